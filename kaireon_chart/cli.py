"""``render-values``: the arguments and help of each subcommand, and ``main`` (the work: commands.py)."""

from __future__ import annotations

import argparse
import os
import sys

from .commands import COMMANDS, ERROR_FORMATS, EXIT_OK, EXIT_USAGE, PROG, UsageError
from .extras import MissingExtra
from .helptext import (
    ADD_ROUTE_EPILOG,
    CHECK_EPILOG,
    DOCTOR_EPILOG,
    EXIT_CODES,
    EXPLAIN_EPILOG,
    RENDER_EPILOG,
    SCHEDULE_EPILOG,
)


def _common(p: argparse.ArgumentParser, *, values: bool = True, kube: bool = True) -> None:
    if values:
        g = p.add_argument_group(
            "values (merged like helm: files in order, then --set-json, --set, --set-string)"
        )
        g.add_argument(
            "-f",
            "--values",
            dest="files",
            action="append",
            default=[],
            metavar="FILE",
            help="values file (repeatable; - reads stdin)",
        )
        g.add_argument(
            "--set",
            dest="set_values",
            action="append",
            default=[],
            metavar="K=V[,K=V]",
            help="set values with helm's grammar (a.b=1, a[0]=x, list={a,b}; \\, and \\. escape)",
        )
        g.add_argument(
            "--set-string",
            dest="set_string",
            action="append",
            default=[],
            metavar="K=V",
            help="like --set, values stay strings",
        )
        g.add_argument(
            "--set-json",
            dest="set_json",
            action="append",
            default=[],
            metavar="K=JSON",
            help="like --set, values are JSON",
        )
    p.add_argument(
        "--chart", metavar="DIR", help="chart directory (default: the chart bundled with this package)"
    )
    p.add_argument("--release-name", default="kaireon", help="helm release name (default: kaireon)")
    p.add_argument("--namespace", "-n", default="default", help="namespace (default: default)")
    if kube:
        p.add_argument(
            "--kube-version",
            metavar="X.Y",
            help="Kubernetes version of the OpenAPI schema check (default: the newest bundled; 1.27+)",
        )
        p.add_argument(
            "--no-kube-schema",
            action="store_true",
            help="skip the Kubernetes OpenAPI schema layer (needs kubernetes-validate)",
        )
        p.add_argument(
            "--error-format",
            choices=ERROR_FORMATS,
            default="text",
            help="problem report format (default: text; sarif/junit/gitlab: see docs/ci/)",
        )
        p.add_argument(
            "--report",
            dest="reports",
            action="append",
            default=[],
            metavar="FORMAT=PATH",
            help="also write a report to PATH (repeatable), FORMAT one of "
            "sarif, junit, gitlab, json, github, text",
        )
        p.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's formatter without its `import shutil` (which drags in bz2/lzma) on every run."""

    def __init__(self, prog: str) -> None:
        try:
            width = int(os.environ.get("COLUMNS", "")) or os.get_terminal_size().columns
        except (ValueError, OSError):
            width = 100
        super().__init__(prog, width=max(40, width - 2))


def _render_parser() -> argparse.ArgumentParser:
    render = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=_Formatter,
        epilog=RENDER_EPILOG,
        description="Validate kaireon chart values exactly as Helm and Kubernetes would, and print the CronJobs "
        "`helm template` renders, without helm.",
    )
    _common(render)
    render.add_argument(
        "--format",
        choices=("yaml", "json"),
        default="yaml",
        help="manifest format: a multi-document YAML stream or a JSON list (default: yaml)",
    )
    render.add_argument(
        "-o", "--output", metavar="FILE", help="write the manifests to FILE instead of stdout"
    )
    render.add_argument(
        "--list-checks", action="store_true", help="list the check ids and their rules, then exit"
    )
    return render


def _check_parser() -> argparse.ArgumentParser:
    check = argparse.ArgumentParser(
        prog=f"{PROG} check",
        formatter_class=_Formatter,
        epilog=CHECK_EPILOG,
        description="Validate each values file on its own over the chart defaults.",
    )
    check.add_argument(
        "paths", nargs="+", metavar="FILE|DIR", help="values files, or directories of *.yaml/*.yml"
    )
    _common(check)
    check.add_argument(
        "--herd",
        type=int,
        metavar="N",
        help="also warn (schedule-herd) when more than N jobs start in one minute over the next 7 days",
    )
    return check


def _explain_parser() -> argparse.ArgumentParser:
    explain = argparse.ArgumentParser(
        prog=f"{PROG} explain",
        formatter_class=_Formatter,
        epilog=EXPLAIN_EPILOG,
        description="Per job: name, schedule, description, next runs, deadlines, limits.",
    )
    _common(explain, kube=False)
    explain.add_argument("--runs", type=int, default=3, help="how many next runs to show (default: 3)")
    explain.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    return explain


def _add_route_parser() -> argparse.ArgumentParser:
    add = argparse.ArgumentParser(
        prog=f"{PROG} add-route",
        formatter_class=_Formatter,
        epilog=ADD_ROUTE_EPILOG,
        description="Add an operator-wired route to a values file (comments kept).",
    )
    add.add_argument("name", metavar="NAME", help="route name, e.g. dsar-purge")
    add.add_argument("--schedule", required=True, metavar="EXPR", help='cron expression, e.g. "0 3 * * *"')
    add.add_argument(
        "--path", metavar="P", help="API route (default: the known route's, or /api/v1/cron/NAME)"
    )
    add.add_argument(
        "-f",
        "--values",
        dest="file",
        metavar="FILE",
        help="values file to edit (created when missing); without it the snippet is printed",
    )
    add.add_argument(
        "--manifest",
        action="store_true",
        help="print the standalone CronJob for this route (for clusters that do not use the chart)",
    )
    _common(add, values=False)
    return add


def _schedule_parser() -> argparse.ArgumentParser:
    sch = argparse.ArgumentParser(
        prog=f"{PROG} schedule",
        formatter_class=_Formatter,
        epilog=SCHEDULE_EPILOG.replace("{EXIT_CODES}", EXIT_CODES),
        description="The jobs over time: collisions, peak concurrency, per-hour heatmap, "
        "herds and stagger suggestions.",
    )
    _common(sch, kube=False)
    sch.add_argument("--days", type=float, default=7.0, help="horizon in days (default: 7; at most 366)")
    sch.add_argument(
        "--from", dest="start", metavar="T", help="start of the horizon, ISO 8601 (default: now; naive = UTC)"
    )
    sch.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    sch.add_argument(
        "--herd",
        type=int,
        default=3,
        metavar="N",
        help="warn (schedule-herd) when more than N jobs start in one minute (default: 3)",
    )
    sch.add_argument(
        "--stagger", action="store_true", help="suggest H-style minutes (and hours, with --window)"
    )
    sch.add_argument(
        "--window",
        metavar="H-H",
        help="with --stagger: hours (in each job's timeZone) a daily job may move to, e.g. 1-5 or 22-4",
    )
    sch.add_argument(
        "--apply", metavar="FILE", help="with --stagger: write the suggestions into FILE (comments kept)"
    )
    sch.add_argument("--strict", action="store_true", help="a schedule-herd warning fails (exit 1)")
    return sch


def _doctor_parser() -> argparse.ArgumentParser:
    doc = argparse.ArgumentParser(
        prog=f"{PROG} doctor",
        formatter_class=_Formatter,
        epilog=DOCTOR_EPILOG,
        description="Check a live release against its values and the operational "
        "checklist: drift, missed or late runs, failing runs, blocked "
        "runs, wiring, suspended CronJobs, history limits.",
    )
    _common(doc, kube=False)
    doc.add_argument(
        "--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)"
    )
    doc.add_argument("--context", metavar="CTX", help="kubeconfig context (default: the current context)")
    doc.add_argument(
        "--format",
        choices=("text", "json", "sarif", "junit", "gitlab", "github"),
        default="text",
        help="output format (default: text; sarif/junit/gitlab/github: the CI reports of `check`, "
        "rule ids doctor-<id>)",
    )
    doc.add_argument(
        "--report",
        dest="reports",
        action="append",
        default=[],
        metavar="FORMAT=PATH",
        help="also write a report to PATH (repeatable), FORMAT one of text, json, sarif, junit, gitlab, github",
    )
    doc.add_argument(
        "--fail-on",
        choices=("warning", "error"),
        default="error",
        help="exit 1 on findings of this severity or above (default: error)",
    )
    doc.add_argument(
        "--run-now",
        metavar="JOB",
        help="create a Job from the CronJob JOB (name or values key) as a manual run, then exit",
    )
    doc.add_argument(
        "--wait", action="store_true", help="with --run-now: wait for the Job and print its outcome"
    )
    doc.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="with --wait: give up after SECONDS (default: 600)",
    )
    doc.add_argument("--poll", type=float, default=2.0, metavar="SECONDS", help=argparse.SUPPRESS)
    return doc


PARSERS = {
    "render": _render_parser,
    "check": _check_parser,
    "explain": _explain_parser,
    "add-route": _add_route_parser,
    "schedule": _schedule_parser,
    "doctor": _doctor_parser,
}


# --------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = (
        argv[0] if argv and argv[0] in ("check", "explain", "add-route", "schedule", "doctor") else "render"
    )
    parser = PARSERS[command]()  # build only the parser this run needs
    try:
        args = parser.parse_args(argv[1:] if command != "render" else argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        return COMMANDS[command](args)
    except (UsageError, MissingExtra) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (
        MemoryError,
        RecursionError,
    ) as exc:  # an input past what this process can hold: exit 2, no traceback
        what = "out of memory" if isinstance(exc, MemoryError) else "nested too deeply"
        print(
            f"{PROG}: error: the input is too large for this process ({what}); see the input limits in "
            f"`{PROG} --help`",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. piped into `head`: stop quietly, as a shell tool does
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
