"""One rule per check id, derived from ``kaireon_chart.checks.CHECKS`` (the one place a check's rule is
written) plus the concrete ids of the schema layer; ``docs/checks.md`` is generated from the same data
(``python -m kaireon_chart.reports.rules > docs/checks.md``; a test keeps them equal)."""

from __future__ import annotations

import os

from ..checks import CHECKS

DOCS_URL = "https://github.com/kaireonai/kaireon-chart/blob/main/docs/checks.md"

SCHEMA_RULES: dict[str, str] = {
    "schema-type": "a value has the type values.schema.json declares (string, integer, boolean, map, list)",
    "schema-enum": "a value is one of the values values.schema.json allows (case-sensitive)",
    "schema-const": "a value equals the one value values.schema.json allows",
    "schema-not": "a value is none of the values values.schema.json forbids",
    "schema-pattern": "a string matches the pattern values.schema.json declares",
    "schema-minimum": "a number is at least the minimum values.schema.json declares",
    "schema-maximum": "a number is at most the maximum values.schema.json declares",
    "schema-length": "a string's length is within the bounds values.schema.json declares",
    "schema-required": "a key values.schema.json requires is present (reported at the parent mapping)",
    "schema-unknown-key": "no key values.schema.json does not know (the closest known key is suggested)",
    "schema-key": "map keys match the key pattern values.schema.json declares (e.g. cron.schedules keys)",
}


def docs_url() -> str:
    return os.environ.get("KAIREON_CHART_DOCS_URL", DOCS_URL)


def all_rules() -> dict[str, tuple[str, str]]:
    """check id -> (severity, rule), every id a problem can carry, in a stable order."""
    out: dict[str, tuple[str, str]] = {}
    for check_id, (severity, rule) in CHECKS.items():
        if check_id == "schema-*":
            out.update((sid, (severity, text)) for sid, text in SCHEMA_RULES.items())
        else:
            out[check_id] = (severity, rule)
    return out


def rule(check_id: str) -> tuple[str, str]:
    """(severity, rule text) of ``check_id``; ids outside the table (e.g. a new schema keyword) get a
    generic rule so a report never fails over them."""
    known = all_rules().get(check_id)
    if known is not None:
        return known
    doctor = doctor_rule(check_id)
    if doctor is not None:
        return doctor
    if check_id.startswith("schema-"):
        return "error", f"values.schema.json keyword {check_id[7:]!r} holds"
    return "error", f"render-values check {check_id}"


def doctor_rule(check_id: str) -> tuple[str, str] | None:
    """(severity, rule) of a ``render-values doctor`` finding id ``doctor-<id>`` (kaireon_chart.doctor.findings.IDS;
    the severity is the usual one, a finding carries its own)."""
    if not check_id.startswith("doctor-"):
        return None
    from ..doctor.findings import IDS  # lazy: ~9 ms (dataclasses; bench 8), only for a doctor- id

    known = IDS.get(check_id[7:])
    return None if known is None else ("warning", f"doctor ({known[0]}): {known[1]}")


def short(check_id: str) -> str:
    text = rule(check_id)[1]
    return (text[:1].upper() + text[1:])[:1000]


def full(check_id: str) -> str:
    severity, text = rule(check_id)
    if check_id.startswith("doctor-"):
        return (
            f"render-values doctor finding `{check_id[7:]}`: {text[text.find(': ') + 2 :]}. A finding of a live "
            "release; `--fail-on` chooses the severity that fails the run. It names the CronJob and, where one "
            "applies, the dotted values path to change."
        )[:1000]
    kind = (
        "An error: it fails the run"
        if severity == "error"
        else "A warning: it fails the run only with --strict"
    )
    return (
        f"render-values check `{check_id}`: {text}. {kind}. Each problem names the dotted values path, "
        "the file and line that set the value, what is wrong and what is allowed."
    )[:1000]


def anchor(check_id: str) -> str:
    if check_id.startswith("doctor-"):  # the finding ids are listed in docs/render-values.md#doctor
        return f"{docs_url().rsplit('/', 1)[0]}/render-values.md#doctor"
    return f"{docs_url()}#{check_id}"


def checks_markdown() -> str:
    """docs/checks.md: one section per check id (the SARIF rules' help URIs point at these anchors)."""
    lines = [
        "# render-values checks",
        "",
        "Generated from `kaireon_chart.checks.CHECKS` by `python -m kaireon_chart.reports.rules`; every "
        "SARIF rule's `helpUri` points at its section here. `render-values --list-checks` prints the same.",
        "",
    ]
    for check_id, (severity, text) in all_rules().items():
        lines += [
            f'<a id="{check_id}"></a>',
            f"## `{check_id}` ({severity})",
            "",
            text[:1].upper() + text[1:] + ".",
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(checks_markdown(), end="")
