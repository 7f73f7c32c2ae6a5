"""Schedule and its fire times: robfig's ``SpecSchedule.Next`` / ``ConstantDelaySchedule`` with Go's time
arithmetic (``time.Date`` normalisation in DST gaps and overlaps) on integer Unix seconds."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any

from .gostd import _LOCAL

STAR_BIT = 1 << 63  # robfig: the field was "*" (or "?")


def _days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z: int) -> tuple[int, int, int]:
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


class _Zone:
    """Offsets of a time zone at Unix instants (Go's Location.lookup, offset only)."""

    __slots__ = ("_cache", "tz")

    def __init__(self, tz: tzinfo | None):
        self.tz = tz
        self._cache: dict[int, int] = {}

    def off(self, unix: int) -> int:
        if self.tz is None:
            return 0
        hour = unix // 3600
        c = self._cache.get(hour)
        if c is not None:
            return c
        delta = datetime.fromtimestamp(unix, self.tz).utcoffset()
        o = 0 if delta is None else int(delta.total_seconds())
        # offsets change on transitions; cache per hour only when the whole hour agrees
        if (
            datetime.fromtimestamp(hour * 3600, self.tz).utcoffset()
            == datetime.fromtimestamp(hour * 3600 + 3599, self.tz).utcoffset()
        ):
            self._cache[hour] = o
        return o

    def wall(self, unix: int) -> tuple[int, int, int, int, int, int, int]:
        """(year, month, day, hour, minute, second, weekday) of unix in this zone."""
        local = unix + self.off(unix)
        days, secs = divmod(local, 86400)
        y, m, d = _civil_from_days(days)
        return y, m, d, secs // 3600, secs % 3600 // 60, secs % 60, (days + 4) % 7

    def date(self, y: int, mo: int, d: int, h: int, mi: int, s: int) -> int:
        """time.Date(y, mo, d, h, mi, s, 0, loc) as Unix seconds."""
        yy, mm = divmod(mo - 1, 12)
        local = (_days_from_civil(y + yy, mm + 1, 1) + d - 1) * 86400 + h * 3600 + mi * 60 + s
        return local - self.off(local - self.off(local))


class Schedule:
    """A parsed schedule: robfig's SpecSchedule (bit sets) or ConstantDelaySchedule (@every)."""

    __slots__ = (
        "_zone",
        "descriptor",
        "dom",
        "dow",
        "every_seconds",
        "expr",
        "hour",
        "location",
        "minute",
        "month",
        "second",
    )

    def __init__(
        self,
        expr: str,
        second: int,
        minute: int,
        hour: int,
        dom: int,
        month: int,
        dow: int,
        *,
        location: Any = _LOCAL,
        descriptor: str | None = None,
        every_seconds: int | None = None,
    ):
        self.expr = expr
        self.second, self.minute, self.hour, self.dom, self.month, self.dow = (
            second,
            minute,
            hour,
            dom,
            month,
            dow,
        )
        self.location = location
        self.descriptor = descriptor
        self.every_seconds = every_seconds
        self._zone = None if location is _LOCAL else _Zone(location) if location is not None else None

    def __repr__(self) -> str:
        return f"Schedule({self.expr!r})"

    # -- properties ------------------------------------------------------------------------
    @property
    def is_every(self) -> bool:
        return self.every_seconds is not None

    @property
    def days_or(self) -> bool:
        """dom and dow both restricted (no star bit on either): robfig fires on dom OR dow."""
        return not self.is_every and not (self.dom & STAR_BIT or self.dow & STAR_BIT)

    @staticmethod
    def _set(bits: int, lo: int, hi: int) -> frozenset[int]:
        return frozenset(i for i in range(lo, hi + 1) if bits >> i & 1)

    @property
    def minutes(self) -> frozenset[int]:
        return self._set(self.minute, 0, 59)

    @property
    def hours(self) -> frozenset[int]:
        return self._set(self.hour, 0, 23)

    @property
    def days_of_month(self) -> frozenset[int]:
        return self._set(self.dom, 1, 31)

    @property
    def months(self) -> frozenset[int]:
        return self._set(self.month, 1, 12)

    @property
    def days_of_week(self) -> frozenset[int]:
        return self._set(self.dow, 0, 6)

    @property
    def dom_star(self) -> bool:
        return bool(self.dom & STAR_BIT)

    @property
    def dow_star(self) -> bool:
        return bool(self.dow & STAR_BIT)

    @property
    def never_fires(self) -> bool:
        """No fire time exists at all (e.g. ``0 0 30 2 *``, an empty list ``,``).

        Structural, zone-independent: robfig's Next gives up (returns None) from every base time
        for these. (A Feb-29-only schedule is not "never": it fires in leap years, although from a
        base time in 2097-2099 robfig's 5-year horizon misses 2104 -- next_after is exact there.)
        """
        if self.is_every:
            return False
        if not (self.minutes and self.hours and self.months and self.second & 1):
            return True
        dom_ok = any(
            d <= (29 if m == 2 else 30 if m in (4, 6, 9, 11) else 31)
            for m in self.months
            for d in self.days_of_month
        )
        dow_ok = bool(self.days_of_week)
        if self.dom & STAR_BIT or self.dow & STAR_BIT:
            return not (dom_ok and dow_ok)
        return not (dom_ok or dow_ok)

    # -- next ------------------------------------------------------------------------------
    def next_after(self, dt: datetime, tz: str | tzinfo | None = None) -> datetime | None:
        """The first fire time strictly after ``dt`` (UTC-aware), or None when robfig gives up.

        The schedule is interpreted in ``tz`` (an IANA name or tzinfo; None = UTC) -- the CronJob's
        ``timeZone``. A naive ``dt`` is taken as UTC.
        """
        unix = _to_unix(dt)
        nxt = self.next_unix(unix, tz)
        return None if nxt is None else datetime.fromtimestamp(nxt, UTC)

    def next_times(self, dt: datetime, n: int = 3, tz: str | tzinfo | None = None) -> list[datetime]:
        """Up to n successive fire times after dt (fewer when robfig gives up)."""
        out: list[datetime] = []
        unix = _to_unix(dt)
        for _ in range(n):
            nxt = self.next_unix(unix, tz)
            if nxt is None:
                break
            out.append(datetime.fromtimestamp(nxt, UTC))
            unix = nxt
        return out

    def next_unix(self, unix: int, tz: str | tzinfo | None = None) -> int | None:
        """Next on whole Unix seconds (sub-second input: pass the floor; robfig drops it)."""
        if self.every_seconds is not None:
            return unix + self.every_seconds
        if self.location is _LOCAL:
            zone = _zone_for(tz)
        else:
            zone = self._zone or _UTC_ZONE
        return _spec_next(self, unix, zone)


_UTC_ZONE = _Zone(None)


@lru_cache(maxsize=64)
def _zone_by_name(name: str) -> _Zone:
    from zoneinfo import ZoneInfo  # lazy: zoneinfo ~2 ms (bench 8), only for a time zone

    if name == "UTC":
        return _UTC_ZONE
    return _Zone(ZoneInfo(name))


def _zone_for(tz: str | tzinfo | None) -> _Zone:
    if tz is None or tz == "":
        return _UTC_ZONE
    if isinstance(tz, str):
        return _zone_by_name(tz)
    return _Zone(tz)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _to_unix(dt: datetime) -> int:
    if dt.tzinfo is None or dt.utcoffset() is None:
        dt = dt.replace(tzinfo=UTC)
    delta = dt - _EPOCH
    return delta.days * 86400 + delta.seconds  # floor; microseconds dropped as robfig does


def _day_matches(s: Schedule, day: int, weekday: int) -> bool:
    dom_match = bool(s.dom >> day & 1)
    dow_match = bool(s.dow >> weekday & 1)
    if s.dom & STAR_BIT or s.dow & STAR_BIT:
        return dom_match and dow_match
    return dom_match or dow_match


def _spec_next(s: Schedule, unix: int, z: _Zone) -> int | None:
    """SpecSchedule.Next, line by line."""
    # an impossible field makes every loop spin until the 5-year limit: the answer is "never"
    if not (s.minute & ~STAR_BIT and s.hour & ~STAR_BIT and s.month & ~STAR_BIT and s.second & ~STAR_BIT):
        return None
    if not (s.dom & ~STAR_BIT or s.dow & ~STAR_BIT):
        return None
    if (s.dom & STAR_BIT or s.dow & STAR_BIT) and not (s.dom & ~STAR_BIT and s.dow & ~STAR_BIT):
        return None
    t = unix + 1
    added = False
    year_limit = z.wall(t)[0] + 5
    while True:  # WRAP
        y, mo, d, h, mi, se, wd = z.wall(t)
        if y > year_limit:
            return None
        wrapped = False
        while not (s.month >> mo & 1):
            if not added:
                added = True
                t = z.date(y, mo, 1, 0, 0, 0)
                y, mo, d, h, mi, se, wd = z.wall(t)
            t = z.date(y, mo + 1, d, h, mi, se)
            y, mo, d, h, mi, se, wd = z.wall(t)
            if mo == 1:
                wrapped = True
                break
        if wrapped:
            continue
        while not _day_matches(s, d, wd):
            if not added:
                added = True
                t = z.date(y, mo, d, 0, 0, 0)
                y, mo, d, h, mi, se, wd = z.wall(t)
            t = z.date(y, mo, d + 1, h, mi, se)
            y, mo, d, h, mi, se, wd = z.wall(t)
            if h != 0:
                if h > 12:
                    t += (24 - h) * 3600
                else:
                    t -= h * 3600
                y, mo, d, h, mi, se, wd = z.wall(t)
            if d == 1:
                wrapped = True
                break
        if wrapped:
            continue
        while not (s.hour >> h & 1):
            if not added:
                added = True
                t = z.date(y, mo, d, h, 0, 0)
            t += 3600
            y, mo, d, h, mi, se, wd = z.wall(t)
            if h == 0:
                wrapped = True
                break
        if wrapped:
            continue
        while not (s.minute >> mi & 1):
            if not added:
                added = True
                t -= t % 60
            t += 60
            y, mo, d, h, mi, se, wd = z.wall(t)
            if mi == 0:
                wrapped = True
                break
        if wrapped:
            continue
        while not (s.second >> se & 1):
            if not added:
                added = True
            t += 1
            y, mo, d, h, mi, se, wd = z.wall(t)
            if se == 0:
                wrapped = True
                break
        if wrapped:
            continue
        return t
