"""``kaireon-service``: serve | migrate | demo-data | run JOB.

Exit codes: 0 success; 1 a job or command failed; 2 bad usage or bad configuration (a message
naming the environment variable, e.g. ``PORT: Input should be a valid integer`` or ``DATABASE_URL:
unsupported driver 'mysql': ...``; values, and so passwords, are never echoed).

Shutdown (``serve``): SIGTERM/SIGINT only set flags (no lock, no I/O in the handler, so repeated
signals cannot deadlock it); running jobs stop at their next batch boundary, commit, release their
lease and answer with ``"stopped": true``; uvicorn drains requests for at most
SHUTDOWN_GRACE_SECONDS; if anything still holds the process after that, it exits anyway.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType
from typing import Any

import uvicorn
from pydantic import ValidationError
from sqlalchemy import Engine

from service.app import create_app, engine_for
from service.config import Settings
from service.db import make_sessionmaker
from service.demo import load_demo_data
from service.errors import ServiceError
from service.jobs import JOB_MODULES
from service.jsonlog import configure_logging, get_logger, log_event, register_settings_secrets
from service.migrations import current_revision, upgrade
from service.runcontext import error_detail
from service.runner import Runner
from service.stopflag import StopFlag

log = get_logger("kaireon.cli")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class ConfigError(Exception):
    """Bad settings; ``str()`` lists one ``VARIABLE: message`` per line."""


def describe_validation_error(exc: ValidationError) -> list[str]:
    """pydantic errors -> ``ENV_VAR: message`` lines (field names translated to variable names)."""
    lines = []
    for err in exc.errors(include_input=False, include_url=False):
        msg = str(err.get("msg", "invalid value"))
        for prefix in ("Value error, ", "Assertion failed, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix) :]
        loc = [str(p) for p in err.get("loc", ()) if p not in ("__root__",)]
        if loc:
            lines.append(f"{loc[0].upper()}: {msg}")
        else:
            lines.append(msg)  # model-level checks already name their variables
    return lines


def load_settings(**overrides: Any) -> Settings:
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError("\n".join(describe_validation_error(exc))) from None
    register_settings_secrets(settings)
    return settings


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kaireon-service",
        description="KaireonAI cron handlers service.",
        epilog="Configuration comes from the environment (DATABASE_URL, CRON_SECRET, ...; see docs/service.md). "
        "Exit codes: 0 ok, 1 failed, 2 bad usage or configuration (one 'VARIABLE: message' line per problem, "
        "e.g. 'DATABASE_URL: unsupported driver ...'; values and passwords are never printed).",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="serve the HTTP API (uvicorn)",
        description="Serve the HTTP API. On SIGTERM/SIGINT (repeated signals are safe) running jobs stop at "
        'their next batch boundary, commit, release their lease and answer with "stopped": true; new '
        "triggers get 503 shutting_down; the process exits within SHUTDOWN_GRACE_SECONDS (default 20). "
        "Database waits are bounded by DB_CONNECT_TIMEOUT_SECONDS, DB_STATEMENT_TIMEOUT_SECONDS, "
        "DB_POOL_TIMEOUT_SECONDS and TCP keepalives; /readyz answers within READYZ_TIMEOUT_SECONDS.",
    )
    serve.add_argument("--host", help="bind address (default: HOST or 0.0.0.0)")
    serve.add_argument("--port", type=int, help="port (default: PORT or 3000)")
    serve.add_argument(
        "--no-migrate",
        action="store_true",
        help="do not upgrade the schema before serving (default: MIGRATE_ON_START)",
    )

    sub.add_parser("migrate", help="upgrade the database schema to the latest revision")

    demo = sub.add_parser("demo-data", help="load realistic demo data into every table")
    demo.add_argument("--tenants", type=int, default=3, help="number of tenants (default 3)")
    demo.add_argument("--rows", type=int, default=500, help="interaction rows per tenant (default 500)")
    demo.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    demo.add_argument("--reset", action="store_true", help="delete all existing rows first")

    run = sub.add_parser(
        "run",
        help="run one job once (under its lease) and print its JSON result",
        description="Run one job once under its lease and print its JSON result. SIGTERM "
        'stops it at its next batch boundary (the result then carries "stopped": true).',
    )
    run.add_argument("job", help="route name, e.g. cleanup, outbox-reaper, tick")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print("kaireon-service: invalid configuration:\n  " + str(exc).replace("\n", "\n  "), file=sys.stderr)
        return EXIT_USAGE
    # serve logs to stdout (container logs); the one-shot commands keep stdout for their JSON result
    configure_logging(settings.log_level.value, stream=sys.stdout if args.command == "serve" else sys.stderr)
    try:
        if args.command == "serve":
            return _serve(settings, args)
        if args.command == "migrate":
            return _migrate(settings)
        if args.command == "demo-data":
            return _demo(settings, args)
        if args.command == "run":
            return _run(settings, args.job)
    except KeyboardInterrupt:
        return 130
    return EXIT_USAGE  # pragma: no cover - argparse enforces the choices


def _engine(settings: Settings, *, statement_timeout: bool = True) -> Engine:
    return engine_for(settings, statement_timeout=statement_timeout)


def _migrate(settings: Settings) -> int:
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))
    engine = _engine(settings, statement_timeout=False)  # a migration may legitimately run long
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    except Exception as exc:  # noqa: BLE001 - reported without a traceback or a URL
        print(f"kaireon-service migrate: failed: {error_detail(exc)}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        engine.dispose()
    log_event(
        log,
        logging.INFO,
        "database migrated",
        revision_before=before,
        revision=after,
        dialect=settings.dialect,
    )
    return EXIT_OK


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    if settings.migrate_on_start and not args.no_migrate:
        rc = _migrate(settings)
        if rc:
            return rc
    host = args.host or settings.host
    port = args.port or settings.port
    if not 1 <= port <= 65535:
        print(f"kaireon-service serve: --port: must be 1-65535, got {port}", file=sys.stderr)
        return EXIT_USAGE
    log_event(
        log,
        logging.INFO,
        "serving",
        host=host,
        port=port,
        dialect=settings.dialect,
        in_process_scheduler=settings.in_process_scheduler,
    )
    app = create_app(settings)
    server_cls = signal_safe_server(app.state.runner.stopping)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=max(1, int(settings.shutdown_grace_seconds)),
    )
    try:
        server_cls(config).run()
    finally:
        # whatever is left of the grace period counted from the signal, plus a little for exit itself
        _exit_watchdog(app.state.runner.stopping.remaining(settings.shutdown_grace_seconds) + 2.0)
    return EXIT_OK


def signal_safe_server(stopping: StopFlag) -> type:
    """A ``uvicorn.Server`` whose signal handler first sets ``stopping`` (a lock-free
    :class:`service.runner.StopFlag`), so running jobs stop at their next batch boundary.

    The handler does plain stores only (the flag, uvicorn's own flags and a list append): no lock,
    no logging, no I/O. A second signal that interrupts it re-enters it on the same thread, and
    anything that takes a lock there (``threading.Event.set`` does) would deadlock the process.
    """
    set_stopping = stopping.set

    class SignalSafeServer(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            set_stopping()
            super().handle_exit(sig, frame)

    return SignalSafeServer


def _exit_watchdog(seconds: float) -> None:
    """After the server stopped: if a thread (a job that ignores the shutdown flag) still keeps the
    interpreter from exiting ``seconds`` later, exit anyway. Its open transaction is rolled back by
    the database and its lease expires after LEASE_TTL_SECONDS, as after a crash."""

    def watch() -> None:
        time.sleep(seconds)
        names = [t.name for t in threading.enumerate() if not t.daemon and t is not threading.main_thread()]
        log_event(
            log, logging.ERROR, "shutdown grace period over; exiting with jobs still running", threads=names
        )
        logging.shutdown()
        os._exit(EXIT_FAILED)

    threading.Thread(target=watch, name="exit-watchdog", daemon=True).start()


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    if args.tenants < 1 or args.rows < 0:
        print("kaireon-service demo-data: --tenants must be >= 1 and --rows >= 0", file=sys.stderr)
        return EXIT_USAGE
    engine = _engine(settings)
    try:
        summary = load_demo_data(
            engine, settings, tenants=args.tenants, rows=args.rows, seed=args.seed, reset=args.reset
        )
    finally:
        engine.dispose()
    print(json.dumps(summary, indent=2, sort_keys=True))
    return EXIT_OK if summary.get("ok", True) else EXIT_FAILED


def _run(settings: Settings, route: str) -> int:
    if route not in JOB_MODULES:
        print(
            f"kaireon-service run: unknown job {route!r}; one of: {', '.join(JOB_MODULES)}", file=sys.stderr
        )
        return EXIT_USAGE
    engine = _engine(settings)
    runner = Runner(settings, engine, make_sessionmaker(engine))
    # SIGTERM (e.g. the pod is deleted): the job stops at its next batch boundary and reports
    # "stopped": true; the handler only sets a lock-free flag
    signal.signal(signal.SIGTERM, lambda _sig, _frame: runner.stopping.set())
    try:
        outcome = runner.run(route, trigger="cli")
    except ServiceError as err:
        print(json.dumps(err.body(), indent=2))
        return EXIT_FAILED
    finally:
        runner.close()
        engine.dispose()
    print(json.dumps(outcome.body, indent=2, default=str))
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
