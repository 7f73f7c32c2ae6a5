"""helm install refuses, before anything is created, what the API server would refuse, with the
lines render-values prints: the invalid corpus (tests/examples/invalid) and generated schedules,
on helm 3 and helm 4 (chart/templates/_cron.tpl and validate.yaml against kaireon_chart.cron)."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from kaireon_chart import validate
from kaireon_chart.chart import load_chart
from kaireon_chart.values import load_values

from .helmrun import coalesce

INVALID = sorted((Path(__file__).parents[1] / "examples" / "invalid").glob("*.yaml"))
CHART = load_chart()
# render-values' checks whose lines the chart reproduces word for word
MIRRORED = {"cron-schedule", "schedule-tz", "time-zone"}
# what the API server accepts although render-values refuses it (helm may then accept it too)
API_ACCEPTS = {"schedule-never-fires"}


@pytest.mark.parametrize("case", INVALID, ids=[p.stem for p in INVALID])
def test_helm_refuses_what_the_api_server_would(helm, case):
    problems = [
        p for p in validate(load_values([str(case)], chart=CHART), chart=CHART) if p.severity == "error"
    ]
    if {p.check for p in problems} <= API_ACCEPTS:
        helm.template(case)  # renders: Kubernetes would accept these objects
        return
    err = helm.template_error(case)
    for p in problems:
        if p.check in MIRRORED:
            assert f"\n{p}\n" in err, f"{helm.name} does not print: {p}\n{err}"


def test_helm_accepts_the_valid_corpus_and_every_zone_sample(helm):
    zones = ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "America/Port-au-Prince"]
    schedules = {
        f"z{i}": {"schedule": s, "path": "/x", "timeZone": z}
        for i, (s, z) in enumerate(
            zip(
                ["@every 1h30m", "0 0 * * SUN", "*/5 1-3,7 ? JAN-MAR mon-fri", "@hourly", "0 0 1 1 *"],
                zones,
                strict=True,
            )
        )
    }
    docs = helm.template({"cron": {"schedules": schedules}})
    assert len([d for d in docs if d["kind"] == "CronJob"]) == 7 + len(schedules)


NUMBERS = st.one_of(st.integers(0, 70).map(str), st.sampled_from(["-1", "+5", "007", "99999999999999999999"]))
NAMES = st.sampled_from(
    [
        "jan",
        "DEC",
        "Mon",
        "sun",
        "fri",
        "January",
        "sunday",
        "L",
        "5L",
        "LW",
        "15W",
        "1#2",
        "H",
        "R",
        "x",
        "",
        "?",
    ]
)
ATOM = st.one_of(NUMBERS, NAMES, st.just("*"))


@st.composite
def items(draw):
    low = draw(ATOM)
    text = low
    if draw(st.booleans()):
        text += "-" + draw(ATOM)
        if draw(st.integers(0, 5)) == 0:
            text += "-" + draw(ATOM)
    if draw(st.booleans()):
        text += "/" + draw(st.one_of(NUMBERS, st.just("0"), st.just("x")))
        if draw(st.integers(0, 5)) == 0:
            text += "/1"
    return text


FIELD = st.lists(items(), min_size=1, max_size=3).map(",".join)
SCHEDULES = st.one_of(
    st.lists(FIELD, min_size=3, max_size=7).map(" ".join),
    st.lists(FIELD, min_size=5, max_size=5).map(" ".join),
    st.sampled_from(
        [
            "@daily",
            "@Daily",
            "@HOURLY",
            "@weekly",
            "@every 5m",
            "@every 1d",
            "@every 10",
            "@every",
            "@every ",
            "@every x",
            "@every 1.5h",
            "@every -3s",
            "@every .s",
            "@reboot",
        ]
    ),
    st.tuples(
        st.sampled_from(["TZ=UTC ", "CRON_TZ=Europe/Berlin ", "TZ=Mars/X ", "TZ=", "TZ=UTC"]),
        st.lists(FIELD, min_size=5, max_size=5).map(" ".join),
    ).map("".join),
    st.text(alphabet=string.digits + " */-,?LW#é\t", min_size=1, max_size=16),
)


# no shrinking: each example runs helm once with many schedules
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(schedules=st.lists(SCHEDULES, min_size=10, max_size=25))
def test_generated_schedules_get_render_values_verdict_and_message(helm, chart_values, schedules):
    user = {"cron": {"schedules": {f"s{i}": {"schedule": s, "path": "/x"} for i, s in enumerate(schedules)}}}
    problems = validate(coalesce(chart_values(), user), chart=CHART, kube_schema=False)
    expected = [str(p) for p in problems if p.check in ("cron-schedule", "schedule-tz")]
    proc = helm.run(*helm._args(helm.values_file(user), "k", "default", (), ()))
    if not expected:
        assert proc.returncode == 0, proc.stderr
        return
    assert proc.returncode != 0
    got = [line for line in proc.stderr.splitlines() if line.startswith("cron.schedules.")]
    assert sorted(got) == sorted(expected), proc.stderr


def test_the_chart_zone_list_is_what_render_values_accepts():
    from kaireon_chart import tzlist
    from kaireon_chart.tzdb import tz_exists

    names = tzlist.zone_names()
    assert len(names) > 500 and {"UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires"} <= set(names)
    assert all(tz_exists(n) for n in names)
    assert "Local" not in names and "Europe/Atlantis" not in names
    assert not tz_exists("a/0" * 66_666)  # a huge name is unknown, not a RecursionError
