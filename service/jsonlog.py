"""JSON-lines logging with secret redaction.

``configure_logging(level)`` installs one handler on the root logger that writes one JSON object per
line to stdout: ``{"ts", "level", "logger", "msg", ...fields}``. Structured fields are passed as
``logger.info("msg", extra={"fields": {...}})``. Uvicorn's own loggers propagate to the root, so
access and error logs are JSON too.

Redaction: every configured secret (``register_secret``) is replaced by ``***`` in the message, in
string fields and in exception text before anything is written. Secrets are never logged on
purpose; this is the second line of defence.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy.engine import make_url

_secrets: set[str] = set()
_lock = threading.Lock()
REDACTED = "***"


def register_secret(value: str | bytes | None) -> None:
    """Remember a secret value so it is scrubbed from every log line and error message."""
    if value is None:
        return
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if len(value) >= 4:  # scrubbing 1-3 character strings would mangle ordinary text
        with _lock:
            _secrets.add(value)


def register_settings_secrets(settings: Any) -> None:
    """Register every secret the settings hold (SecretStr fields and the database password)."""
    for name in ("cron_secret", "cron_token", "status_token", "siem_api_key"):
        secret = getattr(settings, name, None)
        if secret is not None:
            register_secret(secret.get_secret_value())
    url = getattr(settings, "database_url", "")
    try:
        password = make_url(url).password
        if password:
            register_secret(str(password))
    except Exception:  # noqa: BLE001 - an unparsable URL has no password to hide
        pass


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, REDACTED)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for k, v in fields.items():
                out.setdefault(k, _redact_value(v))
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            out["exc_type"] = type(exc).__name__
            out["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, default=str, ensure_ascii=False)


class RedactingFilter(logging.Filter):
    """Scrubs secrets from records handled by non-JSON handlers too (e.g. pytest's caplog)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            msg = record.getMessage()
            clean = redact(msg)
            if clean != msg:
                record.msg, record.args = clean, None
        return True


_HANDLER_MARK = "_kaireon_json_handler"


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> logging.Handler:
    """Install the JSON-lines handler on the root logger (idempotent: replaces a previous one)."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, _HANDLER_MARK, False):
            root.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
    return handler


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)


def log_event(logger: logging.Logger, level: int, msg: str, **fields: Any) -> None:
    logger.log(level, msg, extra={"fields": fields})
