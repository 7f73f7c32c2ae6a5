"""One test per validation rule: the exact values path, message, severity and check id.

"loose" cases run against the chart with an empty schema, to exercise the Kubernetes-rule layer on
values the JSON Schema would already reject (with the real schema that layer stays quiet at a path the
schema reported, so each mistake gives one line).
"""

from __future__ import annotations

import pytest

from kaireon_chart import Problem, validate
from kaireon_chart.chart import load_chart
from kaireon_chart.checks import CHECKS
from kaireon_chart.checks.job import _job
from kaireon_chart.checks.period import min_period_seconds
from kaireon_chart.cron import parse_schedule
from kaireon_chart.render import ResolvedJob
from kaireon_chart.values import coalesce
from kaireon_chart.valuesfile import parse_yaml

CHART = load_chart()
# the chart without its schema (built positionally: works whether Chart is a dataclass or a plain record)
LOOSE = type(CHART)(CHART.path, CHART.name, CHART.version, CHART.app_version, CHART.values, {})

RULES = [
    pytest.param(
        "cron-schedule",
        "strict",
        "cron:\n  schedules:\n    cleanup:\n      schedule: '30 4 * * 7'\n",
        "cron.schedules.cleanup.schedule",
        '"30 4 * * 7": day-of-week 7 is above the maximum 6 (use 0 or SUN)',  # the example
        "error",
        id="cron_schedule",
    ),
    pytest.param(
        "schedule-tz",
        "strict",
        "cron:\n  schedules:\n    cleanup:\n      schedule: 'CRON_TZ=UTC 30 4 * * *'\n",
        "cron.schedules.cleanup.schedule",
        '"CRON_TZ=UTC 30 4 * * *": TZ/CRON_TZ cannot be used in the schedule; set the timeZone field instead',
        "error",
        id="schedule_tz",
    ),
    pytest.param(
        "schedule-never-fires",
        "strict",
        "cron:\n  schedules:\n    cleanup:\n      schedule: '0 0 30 2 *'\n",
        "cron.schedules.cleanup.schedule",
        '"0 0 30 2 *" never fires (no date matches it); Kubernetes accepts it and never runs the job; allowed: a schedule with at least one real date',
        "error",
        id="schedule_never_fires",
    ),
    pytest.param(
        "time-zone",
        "strict",
        "cron:\n  schedules:\n    cleanup:\n      timeZone: Mars/Olympus\n",
        "cron.schedules.cleanup.timeZone",
        '"Mars/Olympus": unknown time zone Mars/Olympus; allowed: an IANA time zone name such as "Europe/Berlin" or "UTC", or "" to omit spec.timeZone',
        "error",
        id="time_zone",
    ),
    pytest.param(
        "time-zone",
        "strict",
        "cron:\n  timeZone: local\n",
        "cron.timeZone",
        '"local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones; allowed: an IANA time zone name such as "Europe/Berlin" or "UTC", or "" to omit spec.timeZone',
        "error",
        id="time_zone_2",
    ),
    pytest.param(
        "time-zone",
        "strict",
        "cron:\n  timeZone: America/-Bad\n",
        "cron.timeZone",
        '"America/-Bad": unknown time zone America/-Bad; allowed: an IANA time zone name such as "Europe/Berlin" or "UTC", or "" to omit spec.timeZone',
        "error",
        id="time_zone_3",
    ),
    pytest.param(
        "cronjob-name-unique",
        "strict",
        "cron:\n  schedules:\n    a-b: {schedule: '@daily', path: /x}\n    aB: {schedule: '@daily', path: /y}\n",
        "cron.schedules.aB",
        'CronJob name "kaireon-a-b" is already used by cron.schedules.a-b; rename one of the keys',
        "error",
        id="cronjob_name_unique",
    ),
    pytest.param(
        "int-field",
        "loose",
        "cron:\n  successfulJobsHistoryLimit: -1\n",
        "cron.successfulJobsHistoryLimit",
        "-1 is negative; allowed: an integer from 0 to 2147483647 (int32)",
        "error",
        id="int_field",
    ),
    pytest.param(
        "int-field",
        "loose",
        "cron:\n  schedules:\n    cleanup:\n      backoffLimit: 2147483648\n",
        "cron.schedules.cleanup.backoffLimit",
        "2147483648 does not fit int32; allowed: an integer from 0 to 2147483647 (int32)",
        "error",
        id="int_field_2",
    ),
    pytest.param(
        "int-field",
        "loose",
        "cron:\n  startingDeadlineSeconds: '30'\n",
        "cron.startingDeadlineSeconds",
        '"30" is not an integer; allowed: an integer from 0 to 9223372036854775807 (int64)',
        "error",
        id="int_field_3",
    ),
    pytest.param(
        "active-deadline",
        "loose",
        "cron:\n  schedules:\n    cleanup:\n      activeDeadlineSeconds: 0\n",
        "cron.schedules.cleanup.activeDeadlineSeconds",
        "0 fails every run at once (Kubernetes accepts it, the Job is killed on start); allowed: an integer from 1 to 9223372036854775807 (int64)",
        "error",
        id="active_deadline",
    ),
    pytest.param(
        "concurrency-policy",
        "loose",
        "cron:\n  concurrencyPolicy: forbid\n",
        "cron.concurrencyPolicy",
        '"forbid" is not supported; allowed: "Allow", "Forbid", "Replace" (case-sensitive)',
        "error",
        id="concurrency_policy",
    ),
    pytest.param(
        "suspend",
        "loose",
        "cron:\n  suspend: 'no'\n",
        "cron.suspend",
        '"no" is not a boolean; allowed: true or false',
        "error",
        id="suspend",
    ),
    pytest.param(
        "secret-name",
        "loose",
        "cron:\n  secret:\n    name: Api_Secrets\n",
        "cron.secret.name",
        "\"Api_Secrets\" is not a valid Secret name; allowed: a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters)",
        "error",
        id="secret_name",
    ),
    pytest.param(
        "secret-key",
        "loose",
        "cron:\n  secret:\n    key: '..data'\n",
        "cron.secret.key",
        "\"..data\" is not a valid Secret key: must not be '.' or '..' or start with '..'; allowed: e.g. CRON_SECRET",
        "error",
        id="secret_key",
    ),
    pytest.param(
        "secret-key",
        "loose",
        "cron:\n  secret:\n    key: 'CRON SECRET'\n",
        "cron.secret.key",
        "\"CRON SECRET\" is not a valid Secret key: must consist of letters, digits, '-', '_' or '.' (at most 253 characters); allowed: e.g. CRON_SECRET",
        "error",
        id="secret_key_2",
    ),
    pytest.param(
        "plaintext-secret",
        "strict",
        "cron:\n  schedules:\n    cleanup:\n      token: hunter2hunter2\n",
        "cron.schedules.cleanup.token",
        "looks like a plaintext secret (a literal under a key named token); keep it in a Secret and reference it (the cron tier reads the bearer secret through cron.secret.name/cron.secret.key); the value is not shown here",
        "error",
        id="plaintext_secret",
    ),
    pytest.param(
        "plaintext-secret",
        "strict",
        "cron:\n  apiUrl: 'https://ops:pa55word@api.example.com'\n",
        "cron.apiUrl",
        "holds what looks like a URL with a password in plaintext; keep it in a Secret and reference it (the cron tier reads the bearer secret through cron.secret.name/cron.secret.key); the value is not shown here",
        "error",
        id="plaintext_secret_2",
    ),
    pytest.param(
        "plaintext-secret",
        "strict",
        "api:\n  env:\n  - name: DATABASE_PASSWORD\n    value: hunter2\n",
        "api.env[0].value",
        "environment variable DATABASE_PASSWORD holds a plaintext value that looks like a secret; use valueFrom.secretKeyRef instead (the value is not shown here)",
        "error",
        id="plaintext_secret_3",
    ),
    pytest.param(
        "path",
        "loose",
        "cron:\n  schedules:\n    cleanup:\n      path: '/api/v1/cron/cleanup;rm -rf /'\n",
        "cron.schedules.cleanup.path",
        "\"/api/v1/cron/cleanup;rm -rf /\" contains ' ' ';'; allowed: a URL path starting with '/' made of letters, digits and . _ ~ / - only (nothing a shell could interpret)",
        "error",
        id="path",
    ),
    pytest.param(
        "path",
        "loose",
        "cron:\n  schedules:\n    x:\n      schedule: '@daily'\n",
        "cron.schedules.x.path",
        "is required; allowed: the API route, e.g. /api/v1/cron/dsar-purge",
        "error",
        id="path_2",
    ),
    pytest.param(
        "shards",
        "loose",
        "cron:\n  schedules:\n    approvalsExpire:\n      shards: 2\n",
        "cron.schedules.approvalsExpire.shards",
        'is not valid for the route "/api/v1/cron/approvals-expire" (it does not loop over tenants); allowed: an '
        "integer 1-1000 on one of /api/v1/cron/cleanup, /api/v1/cron/dsar-purge, /api/v1/cron/export-interactions, "
        "/api/v1/cron/engagement-health-recompute, /api/v1/cron/gitops-drift-check, or no shards (one pod)",
        "error",
        id="shards",
    ),
    pytest.param(
        "cron-schedule",
        "loose",
        "cron:\n  schedules:\n    x:\n      path: /x\n",
        "cron.schedules.x.schedule",
        'is required; allowed: a cron expression such as "0 3 * * *" or @daily',
        "error",
        id="cron_schedule_2",
    ),
    pytest.param(
        "starting-deadline-short",
        "strict",
        "cron:\n  schedules:\n    cleanup:\n      startingDeadlineSeconds: 5\n",
        "cron.schedules.cleanup.startingDeadlineSeconds",
        "5 s may skip runs: the CronJob controller checks every 10 s; allowed: 10 or more (or omit it)",
        "warning",
        id="starting_deadline_short",
    ),
    pytest.param(
        "forbid-skips-runs",
        "strict",
        "cron:\n  schedules:\n    cleanup:\n      schedule: '0 * * * *'\n      activeDeadlineSeconds: 7200\n",
        "cron.schedules.cleanup.activeDeadlineSeconds",
        '7200 s is longer than the 3600 s between runs of "0 * * * *" under concurrencyPolicy Forbid: a run that takes that long makes the next runs be skipped; allowed: at most 3600 (or concurrencyPolicy Replace)',
        "warning",
        id="forbid_skips_runs",
    ),
    pytest.param(
        "every-minute-allow",
        "strict",
        "cron:\n  schedules:\n    flowSchedulerTick:\n      concurrencyPolicy: Allow\n",
        "cron.schedules.flowSchedulerTick.concurrencyPolicy",
        'Allow with "* * * * *" (every minute): slow runs pile up as parallel Jobs; allowed: Forbid or Replace',
        "warning",
        id="every_minute_allow",
    ),
    pytest.param(
        "every-descriptor",
        "strict",
        "cron:\n  schedules:\n    cleanup:\n      schedule: '@every 1h30m'\n",
        "cron.schedules.cleanup.schedule",
        '"@every 1h30m": @every is accepted by Kubernetes but undocumented and runs relative to the controller\'s start; allowed: a 5-field schedule such as "*/10 * * * *"',
        "warning",
        id="every_descriptor",
    ),
    pytest.param(
        "days-or",
        "strict",
        "cron:\n  schedules:\n    cleanup:\n      schedule: '0 0 13 * FRI'\n",
        "cron.schedules.cleanup.schedule",
        '"0 0 13 * FRI": day-of-month and day-of-week are both restricted, so it runs on days matching EITHER (robfig/cron ORs them), more often than it reads (it fires on day 13 of the month AND on every Friday, not only when both match); allowed: restrict only one of them (put * in the other)',
        "warning",
        id="days_or",
    ),
    pytest.param(
        "step-range",
        "strict",
        'cron:\n  schedules:\n    cleanup:\n      schedule: "*/60 3 * * *"\n',
        "cron.schedules.cleanup.schedule",
        '"*/60 3 * * *": the minute step */60 is at least its range 0-59, so it fires only at minute 0, once per hour, not every 60; allowed: a step below 60, or write 0 if once per hour is meant',
        "warning",
        id="step_range",
    ),
    pytest.param(
        "starting-deadline-long",
        "strict",
        "cron:\n  schedules:\n    outboxReaper:\n      startingDeadlineSeconds: 300\n",
        "cron.schedules.outboxReaper.startingDeadlineSeconds",
        '300 s is longer than the 120 s between runs of "*/2 * * * *": after a controller outage a missed run still starts up to 300 s late, when the next run is already due, instead of being skipped and reported; allowed: at most 120',
        "warning",
        id="starting_deadline_long",
    ),
    pytest.param(
        "job-suspended",
        "strict",
        "cron:\n  schedules:\n    cleanup:\n      suspend: true\n",
        "cron.schedules.cleanup.suspend",
        "true: the CronJob exists but starts no Jobs; set suspend: false to run it",
        "warning",
        id="job_suspended",
    ),
    pytest.param(
        "job-disabled",
        "strict",
        "cron:\n  schedules:\n    cleanup:\n      enabled: false\n",
        "cron.schedules.cleanup.enabled",
        "false: no CronJob is rendered for this entry; remove the entry or set enabled: true",
        "warning",
        id="job_disabled",
    ),
    pytest.param(
        "cron-disabled",
        "strict",
        "cron:\n  enabled: false\n",
        "cron.enabled",
        "false: the cron tier renders no CronJob at all; set cron.enabled: true to run the jobs",
        "warning",
        id="cron_disabled",
    ),
    pytest.param(
        "schema-unknown-key",
        "strict",
        "cron:\n  schedules:\n    cleanup:\n      shedule: '0 0 * * *'\n",
        "cron.schedules.cleanup.shedule",
        'unknown key "shedule"; did you mean `schedule`? allowed keys: activeDeadlineSeconds, affinity, backoffLimit, concurrencyPolicy, containerSecurityContext, enabled, failedJobsHistoryLimit, imagePullSecrets, nodeSelector, path, podAnnotations, podLabels, podSecurityContext, priorityClassName, resources, schedule, shards, startingDeadlineSeconds, successfulJobsHistoryLimit, suspend, timeZone, tolerations',
        "error",
        id="schema_unknown_key",
    ),
    pytest.param(
        "schema-enum",
        "strict",
        "cron:\n  concurrencyPolicy: Sometimes\n",
        "cron.concurrencyPolicy",
        '"Sometimes" is not supported; allowed: "Allow", "Forbid", "Replace" (case-sensitive)',
        "error",
        id="schema_enum",
    ),
    pytest.param(
        "schema-pattern",
        "strict",
        "cron:\n  secret:\n    name: Bad_Name\n",
        "cron.secret.name",
        "\"Bad_Name\" is not valid; allowed: a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
        "error",
        id="schema_pattern",
    ),
    pytest.param(
        "schema-minimum",
        "strict",
        "cron:\n  failedJobsHistoryLimit: -2\n",
        "cron.failedJobsHistoryLimit",
        "-2 is too small; allowed: an integer at least 0",
        "error",
        id="schema_minimum",
    ),
    pytest.param(
        "schema-type",
        "strict",
        "cron:\n  activeDeadlineSeconds: '600'\n",
        "cron.activeDeadlineSeconds",
        '"600" is a string; allowed: an integer (remove the quotes)',
        "error",
        id="schema_type",
    ),
    pytest.param(
        "schema-required",
        "strict",
        "cron:\n  schedules:\n    newJob:\n      schedule: '@daily'\n",
        "cron.schedules.newJob.path",
        "is required; set path under cron.schedules.newJob",
        "error",
        id="schema_required",
    ),
    pytest.param(
        "schema-key",
        "strict",
        "cron:\n  schedules:\n    bad_key:\n      schedule: '@daily'\n      path: /x\n",
        "cron.schedules.bad_key",
        "key \"bad_key\" is not allowed here; keys must be letters, digits and inner '-', at most 63 characters",
        "error",
        id="schema_key",
    ),
    pytest.param(
        "kube-schema",
        "loose",
        "cron:\n  schedules:\n    cleanup:\n      resources:\n        limits:\n          memory: [1]\n",
        "cron.schedules.cleanup.resources",
        "in CronJob kaireon-cleanup at spec.jobTemplate.spec.template.spec.containers.0.resources.limits.memory: [1] is not of type string; the Kubernetes API expects string here (Kubernetes 1.37 OpenAPI schema)",
        "error",
        id="kube_schema",
    ),
    # API-server rules on the pod extension points (kaireon_chart/kuberules.py)
    pytest.param(
        "label",
        "loose",
        "commonLabels:\n  example..com/team: x\n",
        "commonLabels.example..com/team",
        'key "example..com/team": the prefix part must be a DNS-1123 subdomain of at most 253 characters; '
        "allowed: a name of at most 63 characters (letters, digits, '-', '_', '.', starting and ending with "
        "a letter or digit), optionally prefixed by a DNS subdomain of at most 253 characters and '/'",
        "error",
        id="label_key",
    ),
    pytest.param(
        "annotation",
        "loose",
        'api:\n  podAnnotations:\n    "a b": x\n',
        "api.podAnnotations.a b",
        "key \"a b\": the name part must consist of alphanumeric characters, '-', '_' or '.', and must "
        "start and end with an alphanumeric character; allowed: a name of at most 63 characters (letters, "
        "digits, '-', '_', '.', starting and ending with a letter or digit), optionally prefixed by a DNS "
        "subdomain of at most 253 characters and '/'",
        "error",
        id="annotation_key",
    ),
    pytest.param(
        "toleration",
        "strict",
        "cron:\n  schedules:\n    cleanup:\n      tolerations:\n"
        "        - {key: a, operator: Exists, effect: NoSchedule, tolerationSeconds: 5}\n",
        "cron.schedules.cleanup.tolerations[0].tolerationSeconds",
        "effect must be 'NoExecute' when `tolerationSeconds` is set; allowed: effect: NoExecute, or remove "
        "tolerationSeconds",
        "error",
        id="toleration_seconds",
    ),
    pytest.param(
        "quantity",
        "strict",
        "api:\n  resources:\n    requests: {memory: 1Gi}\n    limits: {memory: 512Mi}\n",
        "api.resources.requests.memory",
        '"1Gi" must be less than or equal to the memory limit "512Mi"; allowed: a request <= its limit',
        "error",
        id="quantity_request_above_limit",
    ),
]


@pytest.mark.parametrize(("check", "kind", "text", "path", "message", "severity"), RULES)
def test_rule(check, kind, text, path, message, severity):
    values = coalesce(parse_yaml(text), CHART.values)
    problems = validate(values, chart=LOOSE if kind == "loose" else CHART, kube_schema=check == "kube-schema")
    assert Problem(path, message, severity, check) in problems, [str(p) for p in problems]
    assert check in CHECKS or check.startswith("schema-")


def test_every_check_id_has_a_test():
    # cronjob-name/release-name/render: tests below; values-file: tests/cli (check on a broken file)
    # dst-gap/dst-repeat (dates depend on today) and schedule-herd: tests/checks/test_time_facts.py, tests/schedule
    tested = {r.values[0] for r in RULES} | {
        "cronjob-name",
        "release-name",
        "render",
        "values-file",
        "dst-gap",
        "dst-repeat",
        "schedule-herd",
    }
    declared = {c for c in CHECKS if c != "schema-*"}
    assert declared <= tested, declared - tested


def test_defaults_have_no_errors_and_no_secret_false_positives():
    problems = validate(CHART.values, chart=CHART)
    assert [p for p in problems if p.severity == "error"] == []
    assert not [p for p in problems if p.check == "plaintext-secret"]


def test_schema_error_and_kubernetes_rule_give_one_line():
    values = coalesce(parse_yaml("cron:\n  concurrencyPolicy: Sometimes\n"), CHART.values)
    lines = [
        p for p in validate(values, chart=CHART, kube_schema=False) if p.path == "cron.concurrencyPolicy"
    ]
    assert [p.check for p in lines] == ["schema-enum"]


def test_collects_every_problem():
    text = (
        "cron:\n  timeZone: Mars/Base\n  schedules:\n    cleanup: {schedule: '61 * * * *'}\n"
        "    outboxReaper: {schedule: '0 0 31 4 *'}\n"
    )
    values = coalesce(parse_yaml(text), CHART.values)
    checks = {p.check for p in validate(values, chart=CHART, kube_schema=False) if p.severity == "error"}
    assert {"cron-schedule", "schedule-never-fires", "time-zone"} <= checks


def test_cronjob_name_rule():
    settings = dict(CHART.values["cron"], schedule="@daily", path="/x")
    sources = {k: f"cron.schedules.x.{k}" for k in settings}
    job = ResolvedJob("x", "a" * 53, True, settings, sources)
    [problem] = [p for p in _job(job) if p.check == "cronjob-name"]
    assert str(problem) == (
        'cron.schedules.x: renders the CronJob name "' + "a" * 53 + '", which must be a '
        "DNS-1123 subdomain of at most 52 characters; allowed: a shorter key or fullnameOverride"
    )


def test_release_name_rule():
    problems = validate(CHART.values, chart=CHART, release_name="Bad_Release", kube_schema=False)
    assert [p.check for p in problems if p.severity == "error"] == ["release-name"]
    assert problems[0].path == "--release-name"


def test_render_failure_is_reported_not_raised():
    values = coalesce(
        parse_yaml(
            "cron:\n  schedules:\n    a-b: {schedule: '@daily', path: /x}\n"
            "    aB: {schedule: '@daily', path: /y}\n"
        ),
        CHART.values,
    )
    problems = validate(values, chart=CHART)  # the OpenAPI layer is skipped: there are errors already
    assert any(p.check == "cronjob-name-unique" for p in problems)
    from kaireon_chart.validation import evaluate

    evaluation = evaluate(values, release_name="kaireon", namespace="default", kube_version=None, chart=CHART)
    assert evaluation.manifests is None  # errors: nothing is handed on to be printed


@pytest.mark.parametrize(
    ("expr", "seconds"),
    [
        ("* * * * *", 60),
        ("*/15 * * * *", 900),
        ("0 3 * * *", 86400),
        ("0 1,23 * * *", 7200),
        ("0 23,1 * * MON", 79200),
        ("0,5 0 1 1 *", 300),
        ("@every 90s", 90),
        ("@hourly", 3600),
        ("0 0 * * 1,3", 172800),
    ],
)
def test_min_period(expr, seconds):
    assert min_period_seconds(parse_schedule(expr)) == seconds


@pytest.mark.helm
def test_name_collision_message_is_the_charts_own(tmp_path):
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    helms = [h for h in ("helm3", "helm4") if (root / ".tools" / h).exists()]
    if not helms:
        pytest.skip("helm binaries missing")
    case = root / "tests" / "examples" / "invalid" / "name-collision.yaml"
    from kaireon_chart.values import load_values

    [problem] = [
        p
        for p in validate(load_values([str(case)], chart=CHART), chart=CHART, kube_schema=False)
        if p.check == "cronjob-name-unique"
    ]
    for helm in helms:
        proc = subprocess.run(
            [str(root / ".tools" / helm), "template", "kaireon", str(root / "chart"), "-f", str(case)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode != 0
        assert str(problem) in proc.stderr, (helm, proc.stderr)
