"""Hypothesis strategies for cron schedules: valid, near-valid and junk input in robfig's grammar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

from hypothesis import strategies as st

BOUNDS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]
MONTH_NAMES = "jan feb mar apr may jun jul aug sep oct nov dec".split()
DOW_NAMES = "sun mon tue wed thu fri sat".split()
FULL_NAMES = ["january", "monday", "sunday", "december", "tues", "thur"]
JUNK = [
    "L",
    "W",
    "5L",
    "L5",
    "15W",
    "LW",
    "5#3",
    "MON#1",
    "#",
    "H",
    "H(0-29)",
    "R",
    "x",
    "",
    "-",
    "*",
    "?",
    "TZ",
]
# Go's unicode.IsSpace set, plus characters that are not Go whitespace but Python's str.split() splits on
GO_SPACE = [
    "\t",
    "\n",
    "\v",
    "\f",
    "\r",
    "\x85",
    "\xa0",
    "\u1680",
    "\u2000",
    "\u2009",
    "\u200a",
    "\u2028",
    "\u3000",
]
NOT_GO_SPACE = ["\x1c", "\x1f", "\u200b", "\ufeff", "\x00"]
ODD_CHARS = ["İ", "\u212a", "é", "µ", "\U0001f600", "\x7f", '"', "\\", "\u00ad", "\ufffd"]
ZONES = [
    None,
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "Pacific/Apia",
]
DST_ZONES = [
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",
    "Pacific/Chatham",
]
TZ_PREFIX_ZONES = [
    "UTC",
    "",
    "Local",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Mars/Olympus",
    "America",
    "Europe/Berlin/x",
    "zone.tab",
    "../etc/passwd",
    "/etc/localtime",
    "\\x",
    "utc",
    "Etc/GMT+5",
    "EST5EDT",
]


@cache
def _number(lo: int, hi: int) -> st.SearchStrategy[str]:
    plain = st.integers(lo, hi).map(str)
    edge = st.sampled_from([lo - 1, hi + 1, lo, hi, 0, 7, 60, 99]).map(str)
    decorated = st.tuples(st.sampled_from(["+", "0", "00", "-", "+0"]), st.integers(lo, hi)).map(
        lambda t: t[0] + str(t[1])
    )
    big = st.sampled_from(
        ["999999999999999999", "9223372036854775807", "9223372036854775808", "99999999999999999999"]
    )
    return st.one_of(plain, plain, plain, edge, decorated, big)


@cache
def _name(idx: int) -> st.SearchStrategy[str]:
    names = MONTH_NAMES if idx == 3 else DOW_NAMES if idx == 4 else MONTH_NAMES[:2] + DOW_NAMES[:2]
    case = st.sampled_from([str.lower, str.upper, str.title, lambda s: s[0] + s[1:].upper()])
    return st.one_of(
        st.tuples(st.sampled_from(names), case).map(lambda t: t[1](t[0])),
        st.sampled_from(FULL_NAMES),
    )


@cache
def _atom(idx: int, junk: bool) -> st.SearchStrategy[str]:
    lo, hi = BOUNDS[idx]
    opts = [_number(lo, hi), _number(lo, hi), st.just("*"), st.just("?")]
    if idx >= 3:
        opts += [_name(idx), _name(idx)]
    if junk:
        opts += [st.sampled_from(JUNK), _name(idx), st.sampled_from(ODD_CHARS)]
    return st.one_of(*opts)


@cache
def _item(idx: int, junk: bool) -> st.SearchStrategy[str]:
    lo, hi = BOUNDS[idx]
    atom = _atom(idx, junk)
    rng = st.one_of(
        atom,
        atom,
        st.tuples(atom, atom).map("-".join),
        st.tuples(atom, atom, atom).map("-".join) if junk else atom,
    )
    step = st.one_of(
        st.integers(1, hi + 2).map(str),
        st.sampled_from(["0", "1", "2", "60", "-1", "+2", "02", "x", "", "5-10"]),
    )
    return st.one_of(
        rng,
        rng,
        st.tuples(rng, step).map("/".join),
        st.tuples(rng, step, step).map("/".join) if junk else rng,
    )


@cache
def field(idx: int, junk: bool = False) -> st.SearchStrategy[str]:
    items = st.lists(_item(idx, junk), min_size=1, max_size=4)
    joined = items.map(",".join)
    if junk:
        # empty list items (",", "1,,2", trailing comma) are dropped by strings.FieldsFunc
        joined = st.one_of(
            joined, joined, items.map(lambda xs: ",".join(xs) + ","), items.map(",,".join), st.just(",")
        )
    return joined


@cache
def _sep(junk: bool) -> st.SearchStrategy[str]:
    if not junk:
        return st.sampled_from([" ", " ", " ", "  ", "\t"])
    return st.one_of(
        st.sampled_from([" ", " ", " ", "  ", "\t", " \t "]),
        st.sampled_from(GO_SPACE),
        st.sampled_from(NOT_GO_SPACE),
    )


@st.composite
def five_fields(draw, junk: bool = False) -> str:
    n = 5
    if junk:
        n = draw(st.sampled_from([5, 5, 5, 5, 4, 6, 7, 1, 0]))
    fields = [draw(field(i % 5, junk)) for i in range(n)]
    sep = _sep(junk)
    out = fields[0] if fields else ""
    for f in fields[1:]:
        out += draw(sep) + f
    if junk and draw(st.booleans()):
        out = draw(sep) + out
    if junk and draw(st.booleans()):
        out = out + draw(sep)
    return out


@st.composite
def go_duration(draw) -> str:
    units = st.sampled_from(
        ["ns", "us", "µs", "μs", "ms", "s", "m", "h", "h", "m", "d", "H", "", " s", "sec"]
    )
    num = st.one_of(
        st.integers(0, 10_000).map(str),
        st.tuples(st.integers(0, 99), st.integers(0, 999_999)).map(lambda t: f"{t[0]}.{t[1]}"),
        st.sampled_from(
            [".5", "5.", ".", "0", "00", "2562047", "9223372036854775807", "9223372036854775808"]
        ),
    )
    parts = draw(st.lists(st.tuples(num, units).map("".join), min_size=0, max_size=3))
    sign = draw(st.sampled_from(["", "", "", "-", "+"]))
    return sign + "".join(parts)


DESCRIPTORS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]


@st.composite
def descriptor(draw) -> str:
    kind = draw(st.integers(0, 5))
    if kind <= 1:
        return draw(st.sampled_from(DESCRIPTORS))
    if kind == 2:
        d = draw(st.sampled_from(DESCRIPTORS + ["@every", "@reboot", "@"]))
        mangle = draw(
            st.sampled_from([str.upper, str.title, lambda s: s + " ", lambda s: " " + s, lambda s: s + "\t"])
        )
        return mangle(d)
    sep = draw(st.sampled_from([" ", " ", "  ", "\t", ""]))
    return "@every" + sep + draw(go_duration())


@st.composite
def tz_prefixed(draw) -> str:
    key = draw(st.sampled_from(["TZ=", "CRON_TZ=", "TZ=", "tz=", "CRON_TZ"]))
    zone = draw(st.sampled_from(TZ_PREFIX_ZONES))
    sep = draw(st.sampled_from([" ", " ", "  ", "\t", "", " \t"]))
    rest = draw(st.one_of(five_fields(), descriptor(), st.just(""), five_fields(junk=True)))
    return key + zone + sep + rest


@st.composite
def tz_anywhere(draw) -> str:
    """Kubernetes rejects any schedule containing the substring TZ."""
    base = draw(five_fields())
    pos = draw(st.integers(0, len(base)))
    return base[:pos] + draw(st.sampled_from(["TZ", "CRON_TZ", "tz", "T Z"])) + base[pos:]


def schedules() -> st.SearchStrategy[str]:
    return st.one_of(
        five_fields(),
        five_fields(),
        five_fields(junk=True),
        five_fields(junk=True),
        descriptor(),
        tz_prefixed(),
        tz_anywhere(),
    )


def base_times() -> st.SearchStrategy[datetime]:
    start = datetime(1990, 1, 1, tzinfo=UTC)
    plain = st.integers(0, 70 * 365 * 86400).map(lambda s: start + timedelta(seconds=s))
    micro = st.tuples(st.integers(0, 70 * 365 * 86400), st.integers(0, 999_999)).map(
        lambda t: start + timedelta(seconds=t[0], microseconds=t[1])
    )
    return st.one_of(plain, plain, micro, dst_times())


# known DST transitions (UTC instants) in the zones above, to land base times right around them
_TRANSITIONS = [
    "2025-03-09T07:00:00",  # New York spring forward
    "2025-11-02T06:00:00",  # New York fall back
    "2025-03-30T01:00:00",  # Berlin
    "2025-10-26T01:00:00",
    "2025-04-05T15:00:00",  # Lord Howe: 02:00 -> 01:30
    "2025-10-04T15:30:00",  # Lord Howe: 02:00 -> 02:30
    "2018-11-04T03:00:00",  # Sao Paulo: midnight -> 01:00
    "2019-02-17T02:00:00",  # Sao Paulo: midnight -> 23:00
    "2025-04-05T14:00:00",  # Chatham
    "2025-09-27T14:00:00",
    "2011-12-30T10:00:00",  # Apia skipped 2011-12-30 entirely
]


def dst_times() -> st.SearchStrategy[datetime]:
    anchors = st.sampled_from([datetime.fromisoformat(t).replace(tzinfo=UTC) for t in _TRANSITIONS])
    return st.tuples(anchors, st.integers(-3 * 86400, 3 * 86400)).map(
        lambda t: t[0] + timedelta(seconds=t[1])
    )


@st.composite
def dst_schedules(draw) -> str:
    """Schedules that hit the hours DST transitions move (00-03 and 23)."""
    minute = draw(st.sampled_from(["0", "30", "15", "*/15", "*/30", "0,30", "45", "*", "59", "1-59/7"]))
    hour = draw(
        st.sampled_from(["0", "1", "2", "3", "23", "1-3", "*/2", "*", "0,2", "2,3", "22-23", "0-3/1"])
    )
    dom = draw(st.sampled_from(["*", "*", "4", "30", "1-7", "*/2", "31", "29"]))
    month = draw(st.sampled_from(["*", "*", "*", "3", "10", "11", "2,4", "MAR-APR", "OCT/1"]))
    dow = draw(st.sampled_from(["*", "*", "*", "0", "SUN", "1-5", "6"]))
    return " ".join([minute, hour, dom, month, dow])


def cases(sched: st.SearchStrategy[str], times: st.SearchStrategy[datetime], zones) -> st.SearchStrategy:
    return st.tuples(sched, times, st.sampled_from(zones), st.just(3))
