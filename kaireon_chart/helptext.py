"""The ``--help`` epilogs of ``render-values`` and its subcommands (examples, exit codes)."""

from __future__ import annotations

from . import registry
from .commands import PROG

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

_KNOWN_ROUTES = "\n".join(
    f"  {r.name:21}cron.schedules.{r.key:21}{r.path}" for r in registry.operator_wired()
)
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

{EXIT_CODES}
"""


DOCTOR_EPILOG = f"""\
examples:
  {PROG} doctor -f prod.yaml -n kaireon                    # text table; exit 1 on an error finding
  {PROG} doctor -f prod.yaml -n kaireon --format json --fail-on warning
  {PROG} doctor -f prod.yaml -n kaireon --report sarif=doctor.sarif  # text on stdout, SARIF to a file
  {PROG} doctor -n kaireon --run-now cleanup --wait        # like kubectl create job --from=cronjob/...

Reads (get/list in the namespace): CronJobs, Jobs, Pods, Events, the trigger URL's Service and its
EndpointSlices (or Endpoints), and the metadata only of the referenced Secret; --run-now also
creates a Job. Findings (stable ids; CI reports: rule ids doctor-<id>) and the RBAC:
docs/render-values.md#doctor.
The cluster: --kubeconfig, else $KUBECONFIG, else ~/.kube/config, else the in-cluster service account.

exit codes:
  0  healthy (no finding at or above --fail-on); --run-now: created (with --wait: succeeded)
  1  findings at or above --fail-on; --run-now --wait: the Job failed or is still running
  2  the cluster cannot be reached or refused a read (the reason is printed), usage errors,
     the kubernetes client is not installed (pip install 'kaireon-chart[doctor]')
"""
