"""min_period_seconds (used by forbid-skips-runs / every-minute-allow) against brute force: the
smallest gap between successive fire times robfig's Next gives over a year (UTC, so no DST)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from kaireon_chart.checks.period import min_period_seconds
from kaireon_chart.cron import parse_schedule


def _field(values):
    return st.one_of(
        st.just("*"),
        st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True).map(
            lambda xs: ",".join(map(str, sorted(xs)))
        ),
    )


_schedule = st.tuples(
    st.lists(st.sampled_from([0, 7, 15, 30, 59]), min_size=1, max_size=2, unique=True),
    st.lists(st.sampled_from([0, 1, 5, 12, 23]), min_size=1, max_size=2, unique=True),
    _field([1, 2, 13, 28, 29, 31]),
    _field([2, 4, 6, 12]),
    st.one_of(_field([0, 1, 5, 6]), st.just("*/2")),
).map(lambda t: f"{','.join(map(str, t[0]))} {','.join(map(str, t[1]))} {t[2]} {t[3]} {t[4]}")


def _brute(expr: str) -> int | None:
    sched = parse_schedule(expr)
    start = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
    fires, t = [], start - 1
    while True:
        t = sched.next_unix(t)
        if t is None or t >= end:
            break
        fires.append(t)
    gaps = [b - a for a, b in zip(fires, fires[1:], strict=False)]
    return min(gaps) if gaps else None


@settings(max_examples=30, deadline=None)
@given(expr=_schedule)
def test_min_period_matches_brute_force(expr):
    brute = _brute(expr)
    if brute is None:
        return  # fewer than two fires in two years: nothing to compare
    assert min_period_seconds(parse_schedule(expr)) == brute, expr
