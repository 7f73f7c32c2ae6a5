"""``render-values``: the arguments and help of each subcommand, and ``main`` (the work: commands.py)."""

from __future__ import annotations

import argparse
import sys

from . import registry
from .commands import COMMANDS, ERROR_FORMATS, EXIT_OK, EXIT_USAGE, PROG, UsageError
from .extras import MissingExtra

EXIT_CODES = """\
exit codes:
  0  valid: no error (warnings are printed to stderr); manifests written
  1  validation errors (or warnings, with --strict)
  2  usage or input errors: bad option, unreadable file, YAML syntax error (file:line:col),
     bad --set expression, unsupported --kube-version, invalid --release-name, missing chart,
     an input past a size, YAML alias or nesting bound (see input limits in `render-values --help`)"""

RENDER_EPILOG = f"""\
subcommands (run `{PROG} <subcommand> --help` for each):
  check FILE|DIR...      validate each values file on its own over the chart defaults (CI mode)
  explain                per job: schedule, plain-English description, next runs, deadlines, limits
  add-route NAME         wire an operator route (dsar-purge, siem-ship, export-interactions, ...)
                         into a values file, keeping its comments
  schedule               the jobs over time: collisions, peak concurrency, heatmap, stagger suggestions
  doctor                 a live release: drift, missed/late, failing, blocked, wiring (needs [doctor])

examples:
  {PROG} -f prod.yaml                              # CronJobs as YAML on stdout, problems on stderr
  {PROG} -f base.yaml -f prod.yaml --set cron.schedules.cleanup.schedule="0 3 * * *"
  {PROG} -f prod.yaml --format json -o cronjobs.json --kube-version 1.30
  {PROG} -f prod.yaml --error-format github --strict   # annotations in GitHub Actions
  {PROG} -f prod.yaml --report sarif=rv.sarif --report junit=rv.xml   # text on stderr, reports in files
  cat prod.yaml | {PROG} -f -

Problems are one line each, `<dotted.values.path>: <what is wrong>; <what is allowed>`, prefixed by
the file and line that set the value when known. Problem reports go to stderr (stdout carries the
manifests). `--list-checks` prints every check id.

environment:
  KAIREON_CHART_CACHE=0       do not cache the schema layers' results (default: cached on disk)
  KAIREON_CHART_CACHE_DIR=D   where to cache them (default: $XDG_CACHE_HOME/kaireon-chart)

input limits (a hostile file gets exit 2 and a clear error; raise them with these variables):
  KAIREON_CHART_MAX_FILE_BYTES=N   bytes per values file, stdin or chart file (default: 1048576, 1 MiB)
  KAIREON_CHART_MAX_TOTAL_BYTES=N  bytes of all the values files of one run (default: 4194304, 4 MiB)
  KAIREON_CHART_MAX_EXPANDED=N     size of a YAML document with its aliases expanded, in nodes plus
                                   scalar characters (default: 4 x the file bound; alias cycles refused)
  KAIREON_CHART_MAX_DEPTH=N        nesting of maps and lists, YAML and --set-json (default: 100)

{EXIT_CODES}
"""

CHECK_EPILOG = f"""\
examples:
  {PROG} check environments/                    # every *.yaml / *.yml in the directory
  {PROG} check dev.yaml staging.yaml prod.yaml --error-format github
  {PROG} check envs/*.yaml --error-format json > report.json
  {PROG} check envs/ --report sarif=rv.sarif --report junit=rv.xml --report gitlab=gl-code-quality.json

Each file is merged over the chart defaults on its own (as its own environment would be) and
reported separately, in one process. `-f BASE` files and `--set*` flags are applied to every checked
file (BASE below it, the flags above it). Reports go to stdout.

{EXIT_CODES}
  (check: 2 when any file is unreadable or not valid YAML, else 1 when any file has errors)
"""

EXPLAIN_EPILOG = f"""\
examples:
  {PROG} explain -f prod.yaml
  {PROG} explain -f prod.yaml --runs 5 --format json

Under the table: each job's time facts over the next 12 months in its timeZone (shortest interval,
deadlines against it, day-of-month OR day-of-week dates, steps as large as their range, DST gaps and
repeats with their dates); --format json: "timeFacts".

{EXIT_CODES}
"""

_KNOWN_ROUTES = "\n".join(f"  {r.name:21}cron.schedules.{r.key:21}{r.path}" for r in registry.operator_wired())
ADD_ROUTE_EPILOG = f"""\
known routes (their values key and path are built in):
{_KNOWN_ROUTES}
other names become the camelCase key and /api/v1/cron/<NAME> unless --path is given.

examples:
  {PROG} add-route dsar-purge --schedule "0 3 * * *" -f values/prod.yaml
  {PROG} add-route siem-ship --schedule "*/5 * * * *"             # print the values snippet
  {PROG} add-route export-interactions --schedule "0 * * * *" --manifest > cronjob.yaml

The result is validated over the chart defaults first; an invalid result is not written (exit 1).

{EXIT_CODES}
"""


SCHEDULE_EPILOG = f"""\
examples:
  {PROG} schedule                                # the chart defaults over the next 7 days
  {PROG} schedule -f prod.yaml --days 1 --from 2026-12-01
  {PROG} schedule -f prod.yaml --stagger --window 1-5          # H-style minutes, daily jobs in 01-05
  {PROG} schedule -f prod.yaml --stagger --apply prod.yaml     # write them (comments kept)
  {PROG} schedule -f prod.yaml --format json --herd 2

Every fire time comes from the Kubernetes parser (robfig/cron v3.0.1) in each job's timeZone; times
are printed in UTC. A run is assumed to last its activeDeadlineSeconds (the worst case). More than
--herd jobs starting in one minute is a schedule-herd warning (stderr; exit 1 with --strict).

{{EXIT_CODES}}
"""


def _common(p: argparse.ArgumentParser, *, values: bool = True, kube: bool = True) -> None:
    if values:
        g = p.add_argument_group("values (merged like helm: files in order, then --set-json, --set, --set-string)")
        g.add_argument("-f", "--values", dest="files", action="append", default=[], metavar="FILE",
                       help="values file (repeatable; - reads stdin)")
        g.add_argument("--set", dest="set_values", action="append", default=[], metavar="K=V[,K=V]",
                       help="set values with helm's grammar (a.b=1, a[0]=x, list={a,b}; \\, and \\. escape)")
        g.add_argument("--set-string", dest="set_string", action="append", default=[], metavar="K=V",
                       help="like --set, values stay strings")
        g.add_argument("--set-json", dest="set_json", action="append", default=[], metavar="K=JSON",
                       help="like --set, values are JSON")
    p.add_argument("--chart", metavar="DIR", help="chart directory (default: the chart bundled with this package)")
    p.add_argument("--release-name", default="kaireon", help="helm release name (default: kaireon)")
    p.add_argument("--namespace", "-n", default="default", help="namespace (default: default)")
    if kube:
        p.add_argument("--kube-version", metavar="X.Y",
                       help="Kubernetes version of the OpenAPI schema check (default: the newest bundled; 1.27+)")
        p.add_argument("--no-kube-schema", action="store_true",
                       help="skip the Kubernetes OpenAPI schema layer (needs kubernetes-validate)")
        p.add_argument("--error-format", choices=ERROR_FORMATS, default="text",
                       help="problem report format (default: text; sarif/junit/gitlab: see docs/ci/)")
        p.add_argument("--report", dest="reports", action="append", default=[], metavar="FORMAT=PATH",
                       help="also write a report to PATH (repeatable), FORMAT one of "
                            "sarif, junit, gitlab, json, github, text")
        p.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's formatter without its `import shutil` (which drags in bz2/lzma) on every run."""

    def __init__(self, prog: str) -> None:
        import os

        try:
            width = int(os.environ.get("COLUMNS", "")) or os.get_terminal_size().columns
        except (ValueError, OSError):
            width = 100
        super().__init__(prog, width=max(40, width - 2))


def _render_parser() -> argparse.ArgumentParser:
    render = argparse.ArgumentParser(
        prog=PROG, formatter_class=_Formatter, epilog=RENDER_EPILOG,
        description="Validate kaireon chart values exactly as Helm and Kubernetes would, and print the CronJobs "
                    "`helm template` renders, without helm.",
    )
    _common(render)
    render.add_argument("--format", choices=("yaml", "json"), default="yaml",
                        help="manifest format: a multi-document YAML stream or a JSON list (default: yaml)")
    render.add_argument("-o", "--output", metavar="FILE", help="write the manifests to FILE instead of stdout")
    render.add_argument("--list-checks", action="store_true", help="list the check ids and their rules, then exit")
    return render


def _check_parser() -> argparse.ArgumentParser:
    check = argparse.ArgumentParser(prog=f"{PROG} check", formatter_class=_Formatter, epilog=CHECK_EPILOG,
                                    description="Validate each values file on its own over the chart defaults.")
    check.add_argument("paths", nargs="+", metavar="FILE|DIR", help="values files, or directories of *.yaml/*.yml")
    _common(check)
    check.add_argument("--herd", type=int, metavar="N",
                       help="also warn (schedule-herd) when more than N jobs start in one minute over the next 7 days")
    return check


def _explain_parser() -> argparse.ArgumentParser:
    explain = argparse.ArgumentParser(prog=f"{PROG} explain", formatter_class=_Formatter, epilog=EXPLAIN_EPILOG,
                                      description="Per job: name, schedule, description, next runs, deadlines, limits.")
    _common(explain, kube=False)
    explain.add_argument("--runs", type=int, default=3, help="how many next runs to show (default: 3)")
    explain.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    return explain


def _add_route_parser() -> argparse.ArgumentParser:
    add = argparse.ArgumentParser(prog=f"{PROG} add-route", formatter_class=_Formatter, epilog=ADD_ROUTE_EPILOG,
                                  description="Add an operator-wired route to a values file (comments kept).")
    add.add_argument("name", metavar="NAME", help="route name, e.g. dsar-purge")
    add.add_argument("--schedule", required=True, metavar="EXPR", help='cron expression, e.g. "0 3 * * *"')
    add.add_argument("--path", metavar="P", help="API route (default: the known route's, or /api/v1/cron/NAME)")
    add.add_argument("-f", "--values", dest="file", metavar="FILE",
                     help="values file to edit (created when missing); without it the snippet is printed")
    add.add_argument("--manifest", action="store_true",
                     help="print the standalone CronJob for this route (for clusters that do not use the chart)")
    _common(add, values=False)
    return add


def _schedule_parser() -> argparse.ArgumentParser:
    sch = argparse.ArgumentParser(prog=f"{PROG} schedule", formatter_class=_Formatter,
                                  epilog=SCHEDULE_EPILOG.replace("{EXIT_CODES}", EXIT_CODES),
                                  description="The jobs over time: collisions, peak concurrency, per-hour heatmap, "
                                              "herds and stagger suggestions.")
    _common(sch, kube=False)
    sch.add_argument("--days", type=float, default=7.0, help="horizon in days (default: 7; at most 366)")
    sch.add_argument("--from", dest="start", metavar="T", help="start of the horizon, ISO 8601 (default: now; naive = UTC)")
    sch.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    sch.add_argument("--herd", type=int, default=3, metavar="N",
                     help="warn (schedule-herd) when more than N jobs start in one minute (default: 3)")
    sch.add_argument("--stagger", action="store_true", help="suggest H-style minutes (and hours, with --window)")
    sch.add_argument("--window", metavar="H-H",
                     help="with --stagger: hours (in each job's timeZone) a daily job may move to, e.g. 1-5 or 22-4")
    sch.add_argument("--apply", metavar="FILE", help="with --stagger: write the suggestions into FILE (comments kept)")
    sch.add_argument("--strict", action="store_true", help="a schedule-herd warning fails (exit 1)")
    return sch


DOCTOR_EPILOG = f"""\
examples:
  {PROG} doctor -f prod.yaml -n kaireon                    # text table; exit 1 on an error finding
  {PROG} doctor -f prod.yaml -n kaireon --format json --fail-on warning
  {PROG} doctor -n kaireon --run-now cleanup --wait        # like kubectl create job --from=cronjob/...

Reads (get/list in the namespace): CronJobs, Jobs, Pods, Events, the trigger URL's Service and its
EndpointSlices (or Endpoints), and the metadata only of the referenced Secret; --run-now also
creates a Job. Findings (stable ids) and the RBAC: docs/render-values.md#doctor.
The cluster: --kubeconfig, else $KUBECONFIG, else ~/.kube/config, else the in-cluster service account.

exit codes:
  0  healthy (no finding at or above --fail-on); --run-now: created (with --wait: succeeded)
  1  findings at or above --fail-on; --run-now --wait: the Job failed or is still running
  2  the cluster cannot be reached or refused a read (the reason is printed), usage errors,
     the kubernetes client is not installed (pip install 'kaireon-chart[doctor]')
"""


def _doctor_parser() -> argparse.ArgumentParser:
    doc = argparse.ArgumentParser(prog=f"{PROG} doctor", formatter_class=_Formatter, epilog=DOCTOR_EPILOG,
                                  description="Check a live release against its values and the operational "
                                              "checklist: drift, missed or late runs, failing runs, blocked "
                                              "runs, wiring, suspended CronJobs, history limits.")
    _common(doc, kube=False)
    doc.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
    doc.add_argument("--context", metavar="CTX", help="kubeconfig context (default: the current context)")
    doc.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    doc.add_argument("--fail-on", choices=("warning", "error"), default="error",
                     help="exit 1 on findings of this severity or above (default: error)")
    doc.add_argument("--run-now", metavar="JOB",
                     help="create a Job from the CronJob JOB (name or values key) as a manual run, then exit")
    doc.add_argument("--wait", action="store_true", help="with --run-now: wait for the Job and print its outcome")
    doc.add_argument("--timeout", type=float, default=600.0, metavar="SECONDS",
                     help="with --wait: give up after SECONDS (default: 600)")
    doc.add_argument("--poll", type=float, default=2.0, metavar="SECONDS", help=argparse.SUPPRESS)
    return doc


PARSERS = {"render": _render_parser, "check": _check_parser, "explain": _explain_parser,
           "add-route": _add_route_parser, "schedule": _schedule_parser, "doctor": _doctor_parser}


# --------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in ("check", "explain", "add-route", "schedule", "doctor") else "render"
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
    except (MemoryError, RecursionError) as exc:  # an input past what this process can hold: exit 2, no traceback
        what = "out of memory" if isinstance(exc, MemoryError) else "nested too deeply"
        print(f"{PROG}: error: the input is too large for this process ({what}); see the input limits in "
              f"`{PROG} --help`", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. piped into `head`: stop quietly, as a shell tool does
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
