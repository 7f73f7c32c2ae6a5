"""validate() never crashes: arbitrary value types anywhere under cron give problems, not exceptions."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaireon_chart import validate
from kaireon_chart.chart import load_chart
from kaireon_chart.values import coalesce

CHART = load_chart()
_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**64), 2**64),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["@every 0s", "TZ=UTC", "* * * * *", "Local", "0 0 30 2 *"]),
)
_any = st.recursive(
    _scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
_keys = st.sampled_from(
    [
        "schedule",
        "path",
        "timeZone",
        "enabled",
        "suspend",
        "concurrencyPolicy",
        "activeDeadlineSeconds",
        "startingDeadlineSeconds",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
        "backoffLimit",
        "resources",
        "token",
    ]
)
_entry = st.one_of(_any, st.dictionaries(_keys, _any, max_size=5))
_cron = st.fixed_dictionaries(
    {},
    optional={
        "schedules": st.one_of(
            _any,
            st.dictionaries(st.sampled_from(["cleanup", "newJob", "a-b", "aB", "x_y"]), _entry, max_size=3),
        ),
        "secret": st.one_of(_any, st.dictionaries(st.sampled_from(["name", "key"]), _any, max_size=2)),
        "timeZone": _any,
        "activeDeadlineSeconds": _any,
        "concurrencyPolicy": _any,
        "enabled": _any,
        "image": _any,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    cron=_cron, top=st.dictionaries(st.sampled_from(["cron", "api", "nameOverride", "x"]), _any, max_size=2)
)
def test_validate_never_raises(cron, top):
    user = {**top, "cron": cron} if "cron" not in top or not isinstance(top.get("cron"), dict) else top
    values = coalesce(user, CHART.values)
    problems = validate(values, chart=CHART)
    assert all(p.severity in ("error", "warning") and p.path and p.message for p in problems)


# --------------------------------------------------------------------------------------------------
# Every check is linear: big inputs through the real CLI, bounded by CPU time (not wall clock)
# --------------------------------------------------------------------------------------------------

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import yaml  # noqa: E402

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # the campaign package lives at the repository root
    sys.path.insert(0, str(_ROOT))

from chaos.scenarios import render_fuzz as _fuzz  # noqa: E402

# a short unit repeated to ~200,000 characters: the shapes that make backtracking regexes repeat work
_units = st.sampled_from(
    [
        "a",
        "a/",
        "a-",
        "a.",
        "eyJ",
        "://",
        "a://",
        ":",
        "@",
        " ",
        "*/",
        "0",
        "-----BEGIN ",
        "github_pat_",
        "xoxb-",
        "sk-",
        "AKIA",
        "$",
        "\\",
        "é",
        "{",
        "a:1/",
    ]
)
_key_paths = st.sampled_from([*_fuzz.inputs.STRING_KEYS, ["api", "env", 0, "value"], ["cron", "x"]])


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    cases=st.lists(
        st.tuples(_key_paths, st.lists(_units, min_size=1, max_size=3), st.sampled_from(["", "@", "!"])),
        min_size=6,
        max_size=10,
    )
)
def test_big_inputs_finish_within_a_cpu_budget(cases, tmp_path_factory):
    """Each example: several files with a ~200,000-character value, checked by one `render-values check`
    process under RLIMIT_CPU=60 s (a quadratic check needs hours on such input and is killed)."""
    tmp = tmp_path_factory.mktemp("big")
    files = []
    for i, (path, units, tail) in enumerate(cases):
        unit = "".join(units)
        text = unit * (200_000 // len(unit)) + tail
        if path == ["api", "env", 0, "value"]:
            doc = {"api": {"env": [{"name": "X", "value": text}]}}
        else:
            doc = _fuzz.inputs.nest(path, text)
        target = tmp / f"case{i}.yaml"
        target.write_text(yaml.safe_dump(doc, width=10**9, allow_unicode=True))
        files.append(str(target))
    out = _fuzz.run_cli(["check", *files], cpu=60, memory=1024 * 1024 * 1024)
    assert out.failure() is None, out.failure()
