"""validate() never crashes: arbitrary value types anywhere under cron give problems, not exceptions."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaireon_chart import validate
from kaireon_chart.chart import load_chart
from kaireon_chart.values import coalesce

CHART = load_chart()
_scalar = st.one_of(st.none(), st.booleans(), st.integers(-(2**64), 2**64), st.floats(allow_nan=False),
                    st.text(max_size=12), st.sampled_from(["@every 0s", "TZ=UTC", "* * * * *", "Local", "0 0 30 2 *"]))
_any = st.recursive(_scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                    max_leaves=6)
_keys = st.sampled_from(["schedule", "path", "timeZone", "enabled", "suspend", "concurrencyPolicy",
                         "activeDeadlineSeconds", "startingDeadlineSeconds", "successfulJobsHistoryLimit",
                         "failedJobsHistoryLimit", "backoffLimit", "resources", "token"])
_entry = st.one_of(_any, st.dictionaries(_keys, _any, max_size=5))
_cron = st.fixed_dictionaries({}, optional={
    "schedules": st.one_of(_any, st.dictionaries(st.sampled_from(["cleanup", "newJob", "a-b", "aB", "x_y"]), _entry,
                                                 max_size=3)),
    "secret": st.one_of(_any, st.dictionaries(st.sampled_from(["name", "key"]), _any, max_size=2)),
    "timeZone": _any, "activeDeadlineSeconds": _any, "concurrencyPolicy": _any, "enabled": _any, "image": _any,
})


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(cron=_cron, top=st.dictionaries(st.sampled_from(["cron", "api", "nameOverride", "x"]), _any, max_size=2))
def test_validate_never_raises(cron, top):
    user = {**top, "cron": cron} if "cron" not in top or not isinstance(top.get("cron"), dict) else top
    values = coalesce(user, CHART.values)
    problems = validate(values, chart=CHART)
    assert all(p.severity in ("error", "warning") and p.path and p.message for p in problems)
