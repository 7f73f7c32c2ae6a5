"""Differential tests: kaireon_chart.cron against robfig/cron v3.0.1 itself (the Go judge).

Each hypothesis example is a batch of cases sent to the judge in one round trip; for each case the
validity, the exact error text (or the panic), Kubernetes' message list, and the next 3 fire times
from a random base time in a random zone (DST zones included) must match.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import strategies as S
from .judge import compare

pytestmark = pytest.mark.go

# KAIREON_CRON_EXAMPLES scales the run (e.g. 2000 for a long local soak); the suite default stays fast.
EXAMPLES = int(os.environ.get("KAIREON_CRON_EXAMPLES", "40"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    derandomize=False,
)
COUNTS: dict[str, int] = {}


def _check(judge, batch, name):
    mismatches = compare(judge, batch)
    COUNTS[name] = COUNTS.get(name, 0) + len(batch)
    assert mismatches == [], "\n".join(mismatches[:20])


@SETTINGS
@given(st.lists(S.cases(S.schedules(), S.base_times(), S.ZONES), min_size=30, max_size=60))
def test_any_schedule_matches_robfig(cron_judge, batch):
    _check(cron_judge, batch, "mixed")


@SETTINGS
@given(st.lists(S.cases(S.five_fields(), S.base_times(), S.ZONES), min_size=30, max_size=60))
def test_valid_grammar_next_times_match_robfig(cron_judge, batch):
    _check(cron_judge, batch, "valid")


@SETTINGS
@given(st.lists(S.cases(S.five_fields(junk=True), S.base_times(), [None]), min_size=40, max_size=80))
def test_near_valid_and_junk_errors_match_robfig(cron_judge, batch):
    _check(cron_judge, batch, "junk")


@SETTINGS
@given(
    st.lists(
        S.cases(st.one_of(S.descriptor(), S.tz_prefixed(), S.tz_anywhere()), S.base_times(), S.ZONES),
        min_size=30,
        max_size=60,
    )
)
def test_descriptors_every_and_tz_prefixes_match_robfig(cron_judge, batch):
    _check(cron_judge, batch, "descriptors")


@SETTINGS
@given(st.lists(S.cases(S.dst_schedules(), S.dst_times(), S.DST_ZONES), min_size=30, max_size=60))
def test_dst_transitions_match_robfig(cron_judge, batch):
    _check(cron_judge, batch, "dst")


@settings(max_examples=max(30, EXAMPLES // 2), deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(
        st.text(alphabet=st.sampled_from(list("0123456789*?,-/ \tJANMONjanmonLW#H@TZ=_.")), max_size=24),
        min_size=50,
        max_size=100,
    ),
    st.sampled_from(S.ZONES),
)
def test_random_text_matches_robfig(cron_judge, texts, zone):
    from datetime import UTC, datetime

    base = datetime(2025, 6, 1, 12, 34, 56, tzinfo=UTC)
    _check(cron_judge, [(t, base, zone, 2) for t in texts], "text")
