"""`render-values doctor`: connect, read, diagnose, report (or --run-now); the exit code."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

from ..render import render_cronjobs, resolve_jobs
from ..reports import parse_specs, write_text
from . import ci, client, runnow
from .ci import FORMATS
from .client import Unreachable
from .diagnose import diagnose
from .findings import at_least
from .report import as_json, text

EXIT_OK, EXIT_FINDINGS, EXIT_UNREACHABLE = 0, 1, 2


def clock() -> datetime:
    """The instant a report is made for (the tests pin it: findings depend on the time of day)."""
    return datetime.now(UTC)


def run(
    args: Any, values: dict[str, Any], chart: Any, *, now: datetime | None = None, origins: Any = None
) -> int:
    now = now or clock()
    specs = _specs(args)
    if specs is None:
        return EXIT_UNREACHABLE
    try:
        api = client.connect(args.kubeconfig, args.context)
        if args.run_now:
            return _run_now(api, args, now)
        try:
            rendered = render_cronjobs(values, args.release_name, args.namespace, chart=chart)
            sources = {j.name: dict(j.sources) for j in resolve_jobs(values, args.release_name, chart=chart)}
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            print(
                f"render-values doctor: the values cannot be rendered ({exc}); run `render-values` on them for "
                "the problems",
                file=sys.stderr,
            )
            return EXIT_UNREACHABLE
        snap = client.read_release(api, args.namespace, args.release_name, now)
    except Unreachable as exc:
        print(f"render-values doctor: error: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    views, findings = diagnose(snap, rendered, sources)
    strict = args.fail_on == "warning"
    anchor = (args.files or [None])[0] or f"{chart.path}/values.yaml"
    if specs or args.format not in ("text", "json"):
        for fmt, path in specs:
            try:
                _write(path, _output(fmt, args, views, findings, origins, anchor, strict))
            except OSError as exc:
                print(
                    f"render-values doctor: {path}: cannot write the report: {exc.strerror}", file=sys.stderr
                )
                return EXIT_UNREACHABLE
        if args.format in ci.CI_FORMATS:
            sys.stdout.write(ci.render(args.format, findings, origins, anchor, strict))
            return EXIT_FINDINGS if at_least(findings, args.fail_on) else EXIT_OK
    out = as_json if args.format == "json" else text
    sys.stdout.write(out(args.release_name, args.namespace, views, findings))
    return EXIT_FINDINGS if at_least(findings, args.fail_on) else EXIT_OK


def _specs(args: Any) -> list[tuple[str, str]] | None:
    """``--report FORMAT=PATH`` values, or None after printing what is wrong (exit 2)."""
    try:
        return parse_specs(getattr(args, "reports", None) or [], FORMATS)
    except ValueError as exc:
        print(f"render-values doctor: error: {exc}", file=sys.stderr)
        return None


def _output(fmt: str, args: Any, views: Any, findings: Any, origins: Any, anchor: str, strict: bool) -> str:
    if fmt in ("text", "json"):
        return (as_json if fmt == "json" else text)(args.release_name, args.namespace, views, findings)
    return ci.render(fmt, findings, origins, anchor, strict)


def _write(path: str, content: str) -> None:
    write_text(path, content)


def _run_now(api: Any, args: Any, now: datetime) -> int:
    cronjobs = client.list_cronjobs(api, args.namespace, args.release_name)
    cj = runnow.find_cronjob(cronjobs, args.run_now)
    if cj is None:
        names = ", ".join(sorted(c["metadata"]["name"] for c in cronjobs)) or "none"
        print(
            f"render-values doctor: error: --run-now {args.run_now}: no CronJob of release {args.release_name} "
            f"in {args.namespace} has that name or values key (there are: {names})",
            file=sys.stderr,
        )
        return EXIT_UNREACHABLE
    name = runnow.create(api, cj, now)
    print(f"job.batch/{name} created from cronjob/{cj['metadata']['name']} (manual run)")
    if not args.wait:
        return EXIT_OK
    run = runnow.wait(api, args.namespace, name, args.timeout, poll=args.poll)
    if run.outcome == "active":
        print(f"job.batch/{name} still running after {args.timeout:g}s")
        return EXIT_FINDINGS
    detail = f": {run.reason}" + (f" ({run.message})" if run.message else "") if run.reason else ""
    print(f"job.batch/{name} {run.outcome}{detail if run.outcome == 'failed' else ''}")
    return EXIT_OK if run.outcome == "succeeded" else EXIT_FINDINGS
