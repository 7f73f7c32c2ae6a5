"""values.schema.json: each class of bad input is refused by helm 3 and helm 4, naming the key."""

from __future__ import annotations

import pytest
from jsonschema import Draft7Validator

from kaireon_chart.chart import load_chart

ROOT_SCHEMA = load_chart().path.parent / "schemas" / "values.schema.json"


def entry(**fields):
    return {"cron": {"schedules": {"cleanup": fields}}}


def new_entry(key, **fields):
    return {"cron": {"schedules": {key: fields}}}


# id -> (user values, dotted path helm must name, a token that must appear too)
BAD = {
    "typo-in-entry": (entry(shedule="0 1 * * *"), "cron.schedules.cleanup", "shedule"),
    "typo-in-cron-block": ({"cron": {"activeDeadline": 5}}, "cron", "activeDeadline"),
    "typo-at-top-level": ({"crons": {}}, "", "crons"),
    "typo-in-image": ({"cron": {"image": {"tags": "1"}}}, "cron.image", "tags"),
    "type-string-for-int": (
        {"cron": {"successfulJobsHistoryLimit": "3"}},
        "cron.successfulJobsHistoryLimit",
        "",
    ),
    "type-float-for-int": (entry(backoffLimit=1.5), "cron.schedules.cleanup.backoffLimit", ""),
    "type-string-for-bool": (entry(suspend="yes"), "cron.schedules.cleanup.suspend", ""),
    "type-int-for-schedule": (entry(schedule=5), "cron.schedules.cleanup.schedule", ""),
    "type-list-for-schedules": ({"cron": {"schedules": []}}, "cron.schedules", ""),
    "type-enabled-string": ({"cron": {"enabled": "false"}}, "cron.enabled", ""),
    "negative-history": (
        entry(successfulJobsHistoryLimit=-1),
        "cron.schedules.cleanup.successfulJobsHistoryLimit",
        "",
    ),
    "negative-failed-history": ({"cron": {"failedJobsHistoryLimit": -2}}, "cron.failedJobsHistoryLimit", ""),
    "negative-starting-deadline": (
        entry(startingDeadlineSeconds=-10),
        "cron.schedules.cleanup.startingDeadlineSeconds",
        "",
    ),
    "negative-backoff": ({"cron": {"backoffLimit": -1}}, "cron.backoffLimit", ""),
    "int32-overflow": (
        entry(failedJobsHistoryLimit=2147483648),
        "cron.schedules.cleanup.failedJobsHistoryLimit",
        "",
    ),
    "active-deadline-zero": ({"cron": {"activeDeadlineSeconds": 0}}, "cron.activeDeadlineSeconds", ""),
    "active-deadline-zero-per-job": (
        entry(activeDeadlineSeconds=0),
        "cron.schedules.cleanup.activeDeadlineSeconds",
        "",
    ),
    "bad-concurrency-enum": ({"cron": {"concurrencyPolicy": "forbid"}}, "cron.concurrencyPolicy", "Forbid"),
    "bad-concurrency-enum-per-job": (
        entry(concurrencyPolicy="Sometimes"),
        "cron.schedules.cleanup.concurrencyPolicy",
        "",
    ),
    "bad-pull-policy": ({"cron": {"image": {"pullPolicy": "always"}}}, "cron.image.pullPolicy", ""),
    "latest-tag": ({"cron": {"image": {"tag": "latest"}}}, "cron.image.tag", ""),
    "job-key-underscore": (
        new_entry("bad_key", schedule="0 1 * * *", path="/x"),
        "cron.schedules",
        "bad_key",
    ),
    "job-key-leading-hyphen": (
        new_entry("-lead", schedule="0 1 * * *", path="/x"),
        "cron.schedules",
        "-lead",
    ),
    "job-key-dot": (new_entry("a.b", schedule="0 1 * * *", path="/x"), "cron.schedules", "a.b"),
    "job-key-too-long": (new_entry("k" * 64, schedule="0 1 * * *", path="/x"), "cron.schedules", "k" * 64),
    "enabled-without-schedule": (
        new_entry("newJob", path="/api/v1/cron/x"),
        "cron.schedules.newJob",
        "schedule",
    ),
    "enabled-without-path": (
        new_entry("newJob", schedule="0 1 * * *", enabled=True),
        "cron.schedules.newJob",
        "path",
    ),
    "path-semicolon": (entry(path="/x;rm -rf /"), "cron.schedules.cleanup.path", ""),
    "path-command-substitution": (entry(path="$(id)"), "cron.schedules.cleanup.path", ""),
    "path-dollar": (entry(path="/api/$(id)"), "cron.schedules.cleanup.path", ""),
    "path-backtick": (entry(path="/api/`id`"), "cron.schedules.cleanup.path", ""),
    "path-quote": (entry(path="/api/x'\""), "cron.schedules.cleanup.path", ""),
    "path-space": (entry(path="/api/a b"), "cron.schedules.cleanup.path", ""),
    "path-pipe-amp": (entry(path="/api/a|b&c"), "cron.schedules.cleanup.path", ""),
    "path-newline": (entry(path="/api/a\nb"), "cron.schedules.cleanup.path", ""),
    "path-relative": (entry(path="api/v1/cron/x"), "cron.schedules.cleanup.path", ""),
    "api-url-quote": ({"cron": {"apiUrl": 'http://x/"; id'}}, "cron.apiUrl", ""),
    "secret-name": ({"cron": {"secret": {"name": "Api_Secrets"}}}, "cron.secret.name", ""),
    "secret-key": ({"cron": {"secret": {"key": "CRON SECRET"}}}, "cron.secret.key", ""),
    "fullname-override": ({"fullnameOverride": "Bad_Name"}, "fullnameOverride", ""),
    "resources-typo": (
        entry(resources={"request": {"cpu": "1"}}),
        "cron.schedules.cleanup.resources",
        "request",
    ),
}


def named(err: str, dotted: str) -> bool:
    """helm 3 prints dotted paths (cron.backoffLimit), helm 4 JSON pointers ('/cron/backoffLimit')."""
    if not dotted:
        return True
    return f"- {dotted}:" in err or f"'/{dotted.replace('.', '/')}'" in err


@pytest.mark.parametrize("case", sorted(BAD))
def test_helm_refuses_and_names_the_key(helm, case):
    values, path, token = BAD[case]
    err = helm.template_error(values)
    assert "values don't meet the specifications of the schema" in err
    assert named(err, path), err
    assert token in err, err


@pytest.mark.parametrize("case", sorted(BAD))
def test_python_schema_agrees(chart_values, case):
    """The same file read by jsonschema's Draft7Validator (what kaireon_chart.validate uses)."""
    from kaireon_chart.chart import load_chart

    values, _, _ = BAD[case]
    merged = _merge(chart_values(), values)
    errors = list(Draft7Validator(load_chart().schema).iter_errors(merged))
    assert errors, f"{case} passed the schema"


GOOD = {
    "disabled-entry-without-schedule-or-path": new_entry("later", enabled=False),
    "kebab-key": new_entry("dsar-purge", schedule="0 3 * * *", path="/api/v1/cron/dsar-purge"),
    "digits-key": new_entry("2fa-reset", schedule="0 3 * * *", path="/api/v1/cron/2fa-reset"),
    "zeroes": entry(
        successfulJobsHistoryLimit=0, failedJobsHistoryLimit=0, backoffLimit=0, startingDeadlineSeconds=0
    ),
    "int32-max": entry(backoffLimit=2147483647),
    "empty-time-zone": {"cron": {"timeZone": ""}},
    "path-url-characters": entry(path="/api/v1/cron/a.b_c~d-e/f"),
    "api-url": {"cron": {"apiUrl": "https://kaireon-api.prod.svc:8443/base"}},
}


@pytest.mark.parametrize("case", sorted(GOOD))
def test_valid_values_pass(helm, chart_values, case):
    helm.template(GOOD[case])
    from kaireon_chart.chart import load_chart

    assert not list(Draft7Validator(load_chart().schema).iter_errors(_merge(chart_values(), GOOD[case])))


def test_schema_declares_draft_07_and_closes_every_object():
    schema = load_chart().schema
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    Draft7Validator.check_schema(schema)

    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") == "object" and "additionalProperties" not in node:
                # Kubernetes objects passed through verbatim (the OpenAPI layer / the API server
                # validates them): affinity terms, volume sources, selectors, ports, spread constraints
                verbatim = (
                    "Affinity",
                    "podSelector",
                    "namespaceSelector",
                    "ipBlock",
                    "ports/items",
                    "topologySpreadConstraints/items",
                    *(
                        f"volumes/items/properties/{k}"
                        for k in (
                            "configMap",
                            "csi",
                            "downwardAPI",
                            "emptyDir",
                            "ephemeral",
                            "persistentVolumeClaim",
                            "projected",
                            "secret",
                        )
                    ),
                )
                open_ok = (
                    where.endswith(("quantities", "global", *verbatim))
                    or where.endswith("env/items")
                    or where.endswith("envVars/items")
                )
                assert open_ok, f"{where} is an object schema without additionalProperties"
            for key, child in node.items():
                walk(child, f"{where}/{key}")
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, f"{where}/{i}")

    walk(schema, "")


def test_chart_schema_is_the_schemas_copy():
    chart_schema = load_chart().path / "values.schema.json"
    assert chart_schema.read_bytes() == ROOT_SCHEMA.read_bytes(), (
        "chart/values.schema.json differs from schemas/values.schema.json: run `make generate`"
    )


def test_defaults_pass_helm_lint_strict(helm):
    proc = helm.lint()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 chart(s) failed" in proc.stdout


def test_operator_routes_pass_helm_lint_strict(helm):
    proc = helm.lint(
        {
            "cron": {
                "schedules": {
                    "dsarPurge": {"schedule": "0 3 * * *", "path": "/api/v1/cron/dsar-purge"},
                    "siemShip": {"schedule": "*/5 * * * *", "path": "/api/v1/cron/siem-ship"},
                    "exportInteractions": {
                        "schedule": "0 * * * *",
                        "path": "/api/v1/cron/export-interactions",
                    },
                }
            }
        }
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_lint_strict_fails_on_bad_values(helm):
    proc = helm.lint(entry(shedule="x"))
    assert proc.returncode != 0 and "shedule" in proc.stdout + proc.stderr


def _merge(base, over):
    """Helm's coalesce for these tests: maps merge deeply, anything else replaces, null deletes."""
    for key, value in over.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base
