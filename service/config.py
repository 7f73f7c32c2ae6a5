"""Service settings, read from the environment once at start-up (pydantic-settings).

Every variable is validated when the process starts; a bad value stops it with a message that names
the variable (see ``service.cli``). Secrets are ``SecretStr`` so they never print.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

SIEM_BACKENDS = ("splunk", "datadog", "elastic")


#: driver names the service ships with (``postgres://`` and ``postgresql://`` become psycopg)
SUPPORTED_DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")
_URL_HELP = "use sqlite:///path/to/file.db or postgresql://user:password@host:5432/database"


def normalise_database_url(v: str) -> str:
    """Validate a DATABASE_URL and return it with the driver spelled out.

    Every message is built here from fixed text and the driver name only: the URL itself (which may
    carry a password) never appears in an error.
    """
    v = v.strip()
    if not v:
        raise ValueError("must not be empty")
    for prefix in ("postgres://", "postgresql://"):
        if v.startswith(prefix):
            v = "postgresql+psycopg://" + v[len(prefix) :]
            break
    scheme = v.split("://", 1)[0] if "://" in v else None
    if scheme is None or not scheme:
        raise ValueError(f"not a database URL ({_URL_HELP})")
    if scheme not in SUPPORTED_DRIVERS:
        shown = scheme if len(scheme) <= 40 and scheme.replace("+", "").replace("_", "").isalnum() else "?"
        raise ValueError(
            f"unsupported driver {shown!r}: must be a sqlite:/// or postgresql:// URL ({_URL_HELP})"
        )
    try:
        url = make_url(v)
    except (ArgumentError, ValueError):
        raise ValueError(
            f"cannot be parsed: the port must be a number and an IPv6 host needs brackets ([::1]:5432) ({_URL_HELP})"
        ) from None
    try:
        port = url.port
    except ValueError:  # pragma: no cover - make_url already parses the port
        raise ValueError("the port must be a number") from None
    if port is not None and not 1 <= port <= 65535:
        raise ValueError("the port must be 1-65535")
    if url.host is not None and (not url.host or any(c in url.host for c in "[]/ ")):
        raise ValueError(f"the host is not valid ({_URL_HELP})")
    return v


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class Settings(BaseSettings):
    """All configuration of the service. Environment variable = field name upper-cased."""

    model_config = SettingsConfigDict(
        env_prefix="",
        case_sensitive=False,
        extra="ignore",
        secrets_dir=None,
        hide_input_in_errors=True,
    )

    # -- core -------------------------------------------------------------------------------------
    database_url: str = Field(
        default="sqlite:///./var/kaireon.db",
        description="SQLAlchemy URL. Default: an embedded SQLite file under ./var/. "
        "Production: postgresql+psycopg://user:pass@host/db (postgres:// and postgresql:// are accepted).",
    )
    cron_secret: SecretStr | None = Field(default=None, description="Bearer secret for /api/v1/cron/*.")
    cron_token: SecretStr | None = Field(default=None, description="Legacy shared secret for /api/cron/tick.")
    status_token: SecretStr | None = Field(
        default=None,
        description="Read-only bearer token for /status and /status.json (CRON_SECRET works too).",
    )
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=1, le=65535)
    log_level: LogLevel = LogLevel.INFO
    in_process_scheduler: bool = Field(
        default=True, description="Fire the chart's default schedules in-process, through the same lease."
    )
    migrate_on_start: bool = Field(
        default=True,
        description="`kaireon-service serve` upgrades the database schema to head before serving "
        "(replicas take turns via a transaction-scoped advisory lock on PostgreSQL).",
    )

    # -- storage ----------------------------------------------------------------------------------
    attachment_storage_url: str = Field(
        default="./var/attachments",
        description="Where AI attachment blobs live: a local directory or s3://bucket/prefix.",
    )
    export_storage_url: str = Field(
        default=".",
        description="Root under which exports/... files are written: a local directory (default: the "
        "working directory), s3://bucket/prefix or gs://bucket/prefix.",
    )
    export_max_batches_per_run: int = Field(default=1, ge=1, le=1000)

    # -- job tuning -------------------------------------------------------------------------------
    delete_batch_size: int = Field(default=5000, ge=1, le=100_000, description="Rows per purge batch.")
    dsar_purge_connections: int = Field(
        default=0,
        ge=0,
        le=32,
        description="PostgreSQL: connections dsar-purge deletes slices over at once; 0 = sized to the "
        "server, min(4, max(1, max_connections // 25)). SQLite always uses one writer.",
    )
    lease_ttl_seconds: int = Field(
        default=120,
        ge=5,
        description="Run lease TTL. A running job's heartbeat renews it every TTL/3; a holder that died "
        "(crash, kill -9, lost pod) blocks the job for at most this long.",
    )
    outbox_stuck_after_seconds: int = Field(default=300, ge=1)
    outbox_max_attempts: int = Field(default=10, ge=1)
    engagement_min_impressions: int = Field(default=100, ge=0)
    engagement_watch_drop: float = Field(default=0.2, gt=0, lt=1)
    engagement_at_risk_drop: float = Field(default=0.5, gt=0, le=1)

    # -- database timeouts (PostgreSQL; see docs/service.md "Database outages") -------------------
    db_connect_timeout_seconds: int = Field(
        default=5,
        ge=1,
        le=300,
        description="Connect timeout (libpq connect_timeout) of every new connection.",
    )
    db_statement_timeout_seconds: float = Field(
        default=300.0,
        ge=0,
        le=86_400,
        description="Server-side statement_timeout of the service's sessions (0 = none; set 0 behind "
        "PgBouncer and configure it on the role instead).",
    )
    db_pool_timeout_seconds: float = Field(
        default=10.0, gt=0, le=300, description="Longest wait for a free pooled connection before a 503."
    )
    db_keepalives_idle_seconds: int = Field(
        default=30,
        ge=1,
        le=7200,
        description="TCP keepalives: first probe after this idle time, then every 10 s, 3 failures drop the connection.",
    )
    readyz_timeout_seconds: float = Field(
        default=0.8,
        gt=0,
        le=60,
        description="/readyz answers 503 when the database check takes longer (default under the kubelet's "
        "1 s probe timeout).",
    )
    shutdown_grace_seconds: float = Field(
        default=20.0,
        gt=0,
        le=3600,
        description="After SIGTERM: longest wait for running jobs to stop at a batch boundary and for "
        "requests to drain before the process exits (keep it under the pod's terminationGracePeriodSeconds).",
    )

    # -- SIEM -------------------------------------------------------------------------------------
    siem_backend: str | None = Field(default=None, description="splunk | datadog | elastic; unset = no-op.")
    siem_endpoint: str | None = None
    siem_api_key: SecretStr | None = None
    siem_index: str | None = None
    siem_sourcetype: str | None = None
    siem_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    siem_retry_budget_seconds: float = Field(default=60.0, gt=0, le=600)
    # siem-ship cursor shipping (docs/service.md "siem-ship"): per-run budgets and late commits
    siem_run_budget_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="Total deadline of one siem-ship run: reading, sending, retrying and every network "
        "read (a SIEM that trickles its answer is cut off at it).",
    )
    siem_max_rows_per_run: int = Field(
        default=50_000, ge=1, le=10_000_000, description="Audit rows one siem-ship run ships at most."
    )
    siem_settle_seconds: float = Field(
        default=60.0,
        ge=0,
        le=86_400,
        description="An audit id skipped by the cursor (not visible yet) is re-checked for at least this long "
        "(on PostgreSQL also until every transaction open when it was skipped has ended).",
    )
    siem_gap_max_seconds: float = Field(
        default=86_400.0,
        gt=0,
        le=30 * 86_400,
        description="A skipped audit id is given up after this long even if an old transaction is still open.",
    )

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, v: str) -> str:
        return normalise_database_url(v)

    @field_validator("siem_backend")
    @classmethod
    def _lower_backend(cls, v: str | None) -> str | None:
        return v.strip().lower() or None if v is not None else None

    @model_validator(mode="after")
    def _check_siem(self) -> Settings:
        if self.siem_backend not in SIEM_BACKENDS:
            return self  # unset or unknown: the siem-ship route is a structured no-op
        if not self.siem_endpoint:
            raise ValueError(f"SIEM_ENDPOINT is required when SIEM_BACKEND={self.siem_backend}")
        parsed = urlparse(self.siem_endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError("SIEM_ENDPOINT must be an http(s) URL with a host")
        if self.siem_api_key is None or not self.siem_api_key.get_secret_value():
            raise ValueError(f"SIEM_API_KEY is required when SIEM_BACKEND={self.siem_backend}")
        if self.siem_backend == "elastic" and self.siem_index is None:
            raise ValueError("SIEM_INDEX is required when SIEM_BACKEND=elastic")
        return self

    # -- helpers ----------------------------------------------------------------------------------
    @property
    def cron_secret_value(self) -> bytes | None:
        """The bearer secret as bytes, or None when unset or empty (routes then fail closed)."""
        if self.cron_secret is None or not self.cron_secret.get_secret_value():
            return None
        return self.cron_secret.get_secret_value().encode()

    @property
    def siem_enabled(self) -> bool:
        return self.siem_backend in SIEM_BACKENDS

    @property
    def dialect(self) -> Literal["sqlite", "postgresql"]:
        return "sqlite" if self.database_url.startswith("sqlite") else "postgresql"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (built on first use, not at import)."""
    return Settings()
