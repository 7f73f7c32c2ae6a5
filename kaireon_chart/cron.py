"""Cron schedules exactly as Kubernetes accepts them: a port of robfig/cron v3.0.1 ``ParseStandard``.

Kubernetes validates ``CronJob.spec.schedule`` on create with ``validateScheduleFormat``::

    if _, err := cron.ParseStandard(schedule); err != nil { allErrs = append(allErrs, <err>) }
    if strings.Contains(schedule, "TZ") { allErrs = append(allErrs, <TZ error>) }

:func:`parse_schedule` mirrors that: it raises :class:`CronError` whose ``messages`` list holds the
robfig error (if any) first and then the TZ error (if any) -- Kubernetes' order. ``str(err)`` is the
first of them, i.e. robfig's exact error text when robfig rejects the schedule, otherwise
``cannot use TZ or CRON_TZ in schedule, use timeZone field instead``. :func:`parse_standard` is
robfig alone (no TZ rule), used by the differential tests.

robfig v3.0.1 panics on a ``TZ=``/``CRON_TZ=`` prefix without a following ASCII space
(``slice bounds out of range [:-1]``); here that is a ``CronError`` of kind ``"panic"`` (and, since
such a schedule contains ``TZ``, Kubernetes' TZ rule rejects it as well).

Everything Go does is reproduced, not approximated: ``strings.Fields``/``TrimSpace`` whitespace,
``strconv.Atoi`` (``+5``, ``05``, range errors) and ``strconv.Quote`` in its messages,
``time.ParseDuration`` for ``@every``, ``time.LoadLocation`` for a ``TZ=`` prefix, and
``SpecSchedule.Next`` including Go's ``time.Date`` normalisation in DST gaps and overlaps.

Known limits (documented, not hidden): ``strconv.Quote`` decides printability with Python's
Unicode database (Go 1.19 uses Unicode 13), so an error message that echoes a character assigned
after Unicode 13 may escape it differently; ``$ZONEINFO`` is ignored for ``TZ=`` prefixes (zone files
are read from ``/usr/share/zoneinfo`` as Go does by default); results after year 9999 cannot be
represented by ``datetime`` and raise ``OverflowError``.
"""

from __future__ import annotations

import errno
import io
import os
import re
from datetime import UTC, datetime, tzinfo
from functools import lru_cache

from ._record import Record

__all__ = [
    "CronError",
    "Schedule",
    "parse_schedule",
    "parse_standard",
    "friendly",
    "TZ_ERROR",
    "FIELD_NAMES",
]

TZ_ERROR = "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
FIELD_NAMES = ("minute", "hour", "day-of-month", "month", "day-of-week")
STAR_BIT = 1 << 63
_MAX_UINT64 = (1 << 64) - 1
_MAX_INT64 = (1 << 63) - 1

# --------------------------------------------------------------------------------------------
# Errors


class CronError(ValueError):
    """A schedule Kubernetes rejects.

    ``str(err)`` is the first message (robfig's exact error text when robfig rejects it).
    ``messages``: every message in Kubernetes' order (robfig error, then the TZ rule).
    ``field``: minute/hour/day-of-month/month/day-of-week or None.
    ``kind``: empty, field-count, descriptor, duration, location, panic, tz, above-max,
    below-min, reversed, zero-step, negative, not-int, hyphens, slashes.
    ``token``: the offending item (range expression / text); ``value``, ``bound``: numbers involved.
    ``tz``: True when Kubernetes' TZ rule also rejects the schedule.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        field: str | None = None,
        token: str | None = None,
        value: int | None = None,
        bound: int | None = None,
        expr: str | None = None,
        go_panic: str | None = None,
    ):
        super().__init__(message)
        self.messages: list[str] = [message]
        self.kind = kind
        self.kinds: list[str] = [kind]
        self.field = field
        self.token = token
        self.value = value
        self.bound = bound
        self.expr = expr
        self.go_panic = go_panic
        self.tz = kind == "tz"

    def __str__(self) -> str:
        return self.messages[0]


def _raise(message: str, **kw) -> None:
    raise CronError(message, **kw)


# --------------------------------------------------------------------------------------------
# Go runtime helpers


def _go_is_space(c: str) -> bool:
    """unicode.IsSpace."""
    o = ord(c)
    if o <= 0xFF:
        return c in "\t\n\v\f\r \x85\xa0"
    return o == 0x1680 or 0x2000 <= o <= 0x200A or o in (0x2028, 0x2029, 0x202F, 0x205F, 0x3000)


_WS = (
    "\t\n\v\f\r \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
_FIELDS_RE = re.compile("[^" + re.escape(_WS) + "]+")


def _go_fields(s: str) -> list[str]:
    """strings.Fields."""
    return _FIELDS_RE.findall(s)


def _go_trim_space(s: str) -> str:
    """strings.TrimSpace."""
    return s.strip(_WS)


def _go_strconv_quote(s: str) -> str:
    """strconv.Quote (printability by Python's Unicode database)."""
    out = ['"']
    for c in s:
        o = ord(c)
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif c == " " or (o >= 0x20 and o != 0x7F and c.isprintable()):
            out.append(c)
        elif c in "\a\b\f\n\r\t\v":
            out.append(
                {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}[c]
            )
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\x{o:02x}")
        elif 0xD800 <= o <= 0xDFFF:
            out.append("\\ufffd")
        elif o < 0x10000:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    out.append('"')
    return "".join(out)


def _go_time_quote(s: str) -> str:
    """The time package's own quote() used in ParseDuration errors."""
    out = ['"']
    for c in s:
        o = ord(c)
        if o >= 0x80 or o < 0x20:
            out.extend(f"\\x{b:02x}" for b in c.encode("utf-8", "surrogatepass"))
        else:
            if c == '"' or c == "\\":
                out.append("\\")
            out.append(c)
    out.append('"')
    return "".join(out)


class _AtoiError(Exception):
    pass


def _go_atoi(s: str) -> int:
    """strconv.Atoi on a 64-bit platform; raises _AtoiError with Go's message."""

    def err(kind: str) -> _AtoiError:
        return _AtoiError(f"strconv.Atoi: parsing {_go_strconv_quote(s)}: {kind}")

    syntax, rng = "invalid syntax", "value out of range"
    blen = len(s.encode("utf-8", "surrogatepass"))
    if blen == 0:
        raise err(syntax)
    neg = s[0] == "-"
    rest = s[1:] if s[0] in "+-" else s
    if blen < 19:
        if not rest or not all("0" <= ch <= "9" for ch in rest):
            raise err(syntax)
        n = int(rest)
        return -n if neg else n
    if not rest:
        raise err(syntax)
    n = 0
    for ch in rest:
        if not ("0" <= ch <= "9"):
            raise err(syntax)
        n = n * 10 + (ord(ch) - 48)
        if n > _MAX_UINT64:
            raise err(rng)
    if (not neg and n >= 1 << 63) or (neg and n > 1 << 63):
        raise err(rng)
    return -n if neg else n


_GO_LOWER_SPECIAL = {"\u0130": "i", "\u212a": "k"}


def _go_lower(s: str) -> str:
    """strings.ToLower with Go's simple case mapping (only matters for 3-letter name lookup)."""
    out = []
    for c in s:
        if c in _GO_LOWER_SPECIAL:
            out.append(_GO_LOWER_SPECIAL[c])
        else:
            low = c.lower()
            out.append(low if len(low) == 1 else c)
    return "".join(out)


_UNITS = {
    "ns": 1,
    "us": 1000,
    "µs": 1000,
    "μs": 1000,
    "ms": 1_000_000,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}
_UNITS_B = {k.encode(): v for k, v in _UNITS.items()}


class _DurationError(Exception):
    pass


def _go_parse_duration(orig: str) -> int:
    """time.ParseDuration (Go 1.19) -> nanoseconds; raises _DurationError with Go's message."""
    bad = _DurationError("time: invalid duration " + _go_time_quote(orig))
    s = orig.encode("utf-8", "surrogatepass")
    d = 0
    neg = False
    if s and s[:1] in (b"-", b"+"):
        neg = s[:1] == b"-"
        s = s[1:]
    if s == b"0":
        return 0
    if not s:
        raise bad
    while s:
        if not (s[0] == 0x2E or 0x30 <= s[0] <= 0x39):
            raise bad
        i = 0
        v = 0
        while i < len(s) and 0x30 <= s[i] <= 0x39:
            if v > (1 << 63) // 10:
                raise bad
            v = v * 10 + s[i] - 0x30
            if v > 1 << 63:
                raise bad
            i += 1
        pre = i > 0
        s = s[i:]
        f, scale, post = 0, 1.0, False
        if s and s[0] == 0x2E:
            s = s[1:]
            i = 0
            overflow = False
            while i < len(s) and 0x30 <= s[i] <= 0x39:
                c = s[i]
                i += 1
                if overflow:
                    continue
                if f > ((1 << 63) - 1) // 10:
                    overflow = True
                    continue
                y = f * 10 + c - 0x30
                if y > 1 << 63:
                    overflow = True
                    continue
                f = y
                scale *= 10
            post = i > 0
            s = s[i:]
        if not pre and not post:
            raise bad
        i = 0
        while i < len(s) and not (s[i] == 0x2E or 0x30 <= s[i] <= 0x39):
            i += 1
        if i == 0:
            raise _DurationError("time: missing unit in duration " + _go_time_quote(orig))
        u, s = s[:i], s[i:]
        unit = _UNITS_B.get(u)
        if unit is None:
            raise _DurationError(
                "time: unknown unit "
                + _go_time_quote(u.decode("utf-8", "surrogatepass"))
                + " in duration "
                + _go_time_quote(orig)
            )
        if v > (1 << 63) // unit:
            raise bad
        v *= unit
        if f > 0:
            v += int(float(f) * (float(unit) / scale))
            if v > 1 << 63:
                raise bad
        d += v
        if d > 1 << 63:
            raise bad
    if neg:
        return -d
    if d > _MAX_INT64:
        raise bad
    return d


_ZONE_SOURCES = ("/usr/share/zoneinfo/", "/usr/share/lib/zoneinfo/", "/usr/lib/locale/TZ/")
_LOCAL = "Local"  # marker: robfig's time.Local -> the zone of the time handed to Next


class _LocationError(Exception):
    pass


def _errno_text(e: OSError) -> str:
    text = os.strerror(e.errno) if e.errno else str(e)
    return text[:1].lower() + text[1:]


@lru_cache(maxsize=256)
def _go_load_location(name: str):
    """time.LoadLocation: returns None for UTC, _LOCAL for Local, else a tzinfo."""
    if name in ("", "UTC"):
        return None
    if name == "Local":
        return _LOCAL
    if ".." in name or name[0] in "/\\":
        raise _LocationError("time: invalid location name")
    from zoneinfo import ZoneInfo

    first_err: str | None = None
    for source in _ZONE_SOURCES:
        path = source + "/" + name
        try:
            if "\x00" in path:
                raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
            fd = os.open(path, os.O_RDONLY)
            try:
                chunks = []
                while True:
                    b = os.read(fd, 65536)
                    if not b:
                        break
                    chunks.append(b)
            finally:
                os.close(fd)
        except OSError as e:
            if e.errno != errno.ENOENT and first_err is None:
                first_err = _errno_text(e)
            continue
        data = b"".join(chunks)
        try:
            if not data.startswith(b"TZif"):
                raise ValueError("bad magic")
            return ZoneInfo.from_file(io.BytesIO(data), key=name)
        except Exception:
            if first_err is None:
                first_err = "malformed time zone information"
    raise _LocationError(first_err or "unknown time zone " + name)


# --------------------------------------------------------------------------------------------
# Parsing (parser.go)


class _Bounds(Record):
    __slots__ = _fields = ("min", "max", "names")
    min: int
    max: int
    names: dict[str, int] | None


_MONTHS = _Bounds(
    1, 12, {n: i + 1 for i, n in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
)
_DOWS = _Bounds(0, 6, {n: i for i, n in enumerate("sun mon tue wed thu fri sat".split())})
_FIELD_BOUNDS = (_Bounds(0, 59, None), _Bounds(0, 23, None), _Bounds(1, 31, None), _MONTHS, _DOWS)


def _get_bits(lo: int, hi: int, step: int) -> int:
    if step == 1:
        return ((1 << (hi + 1)) - 1) & ~((1 << lo) - 1)
    return sum(1 << i for i in range(lo, hi + 1, step))


def _all(b: _Bounds) -> int:
    return _get_bits(b.min, b.max, 1) | STAR_BIT


def _must_parse_int(expr: str, field: str) -> int:
    try:
        num = _go_atoi(expr)
    except _AtoiError as e:
        _raise(f"failed to parse int from {expr}: {e}", kind="not-int", field=field, token=expr)
    if num < 0:
        _raise(
            f"negative number ({num}) not allowed: {expr}",
            kind="negative",
            field=field,
            token=expr,
            value=num,
        )
    return num


def _parse_int_or_name(expr: str, b: _Bounds, field: str) -> int:
    if b.names is not None:
        v = b.names.get(_go_lower(expr))
        if v is not None:
            return v
    return _must_parse_int(expr, field)


def _get_range(expr: str, b: _Bounds, field: str) -> int:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    single = len(low_and_high) == 1
    extra = 0
    if low_and_high[0] in ("*", "?"):
        start, end, extra = b.min, b.max, STAR_BIT
    else:
        start = _parse_int_or_name(low_and_high[0], b, field)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _parse_int_or_name(low_and_high[1], b, field)
        else:
            _raise(f"too many hyphens: {expr}", kind="hyphens", field=field, token=expr)
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _must_parse_int(range_and_step[1], field)
        if single:
            end = b.max
        if step > 1:
            extra = 0
    else:
        _raise(f"too many slashes: {expr}", kind="slashes", field=field, token=expr)
    if start < b.min:
        _raise(
            f"beginning of range ({start}) below minimum ({b.min}): {expr}",
            kind="below-min",
            field=field,
            token=expr,
            value=start,
            bound=b.min,
        )
    if end > b.max:
        _raise(
            f"end of range ({end}) above maximum ({b.max}): {expr}",
            kind="above-max",
            field=field,
            token=expr,
            value=end,
            bound=b.max,
        )
    if start > end:
        _raise(
            f"beginning of range ({start}) beyond end of range ({end}): {expr}",
            kind="reversed",
            field=field,
            token=expr,
            value=start,
            bound=end,
        )
    if step == 0:
        _raise(
            f"step of range should be a positive number: {expr}", kind="zero-step", field=field, token=expr
        )
    return _get_bits(start, end, step) | extra


def _get_field(text: str, b: _Bounds, field: str) -> int:
    bits = 0
    for item in text.split(","):
        if item:  # strings.FieldsFunc drops empty items
            bits |= _get_range(item, b, field)
    return bits


def _go_list(items: list[str]) -> str:
    return "[" + " ".join(items) + "]"


_DESCRIPTORS = {
    "@yearly": (1, 1, 1 << 1, 1 << 1, _all(_DOWS)),
    "@annually": (1, 1, 1 << 1, 1 << 1, _all(_DOWS)),
    "@monthly": (1, 1, 1 << 1, _all(_MONTHS), _all(_DOWS)),
    "@weekly": (1, 1, _all(_FIELD_BOUNDS[2]), _all(_MONTHS), 1 << 0),
    "@daily": (1, 1, _all(_FIELD_BOUNDS[2]), _all(_MONTHS), _all(_DOWS)),
    "@midnight": (1, 1, _all(_FIELD_BOUNDS[2]), _all(_MONTHS), _all(_DOWS)),
    "@hourly": (1, _all(_FIELD_BOUNDS[1]), _all(_FIELD_BOUNDS[2]), _all(_MONTHS), _all(_DOWS)),
}


def parse_standard(expr: str) -> Schedule:
    """robfig/cron v3.0.1 ``ParseStandard`` alone (no Kubernetes TZ rule)."""
    if not isinstance(expr, str):
        raise TypeError(f"schedule must be a string, not {type(expr).__name__}")
    spec = expr
    if len(spec) == 0:
        _raise("empty spec string", kind="empty", expr=expr)
    loc = _LOCAL
    if spec.startswith("TZ=") or spec.startswith("CRON_TZ="):
        i = spec.find(" ")
        eq = spec.find("=")
        if i < 0:
            msg = "runtime error: slice bounds out of range [:-1]"
            _raise(
                f"TZ= or CRON_TZ= prefix without a schedule after a space (robfig/cron v3.0.1 panics: {msg})",
                kind="panic",
                expr=expr,
                go_panic=msg,
            )
        name = spec[eq + 1 : i]
        try:
            loc = _go_load_location(name)
        except _LocationError as e:
            _raise(f"provided bad location {name}: {e}", kind="location", token=name, expr=expr)
        spec = _go_trim_space(spec[i:])
    if spec.startswith("@"):
        d = _DESCRIPTORS.get(spec)
        if d is not None:
            return Schedule(expr, 1, *d, location=loc, descriptor=spec)
        if spec.startswith("@every "):
            try:
                ns = _go_parse_duration(spec[len("@every ") :])
            except _DurationError as e:
                _raise(f"failed to parse duration {spec}: {e}", kind="duration", token=spec, expr=expr)
            if ns < 10**9:
                ns = 10**9
            ns -= ns % 10**9
            return Schedule(expr, 0, 0, 0, 0, 0, 0, location=loc, descriptor=spec, every_seconds=ns // 10**9)
        _raise(f"unrecognized descriptor: {spec}", kind="descriptor", token=spec, expr=expr)
    fields = _go_fields(spec)
    if len(fields) != 5:
        _raise(
            f"expected exactly 5 fields, found {len(fields)}: {_go_list(fields)}",
            kind="field-count",
            value=len(fields),
            expr=expr,
        )
    bits = []
    for text, b, name in zip(fields, _FIELD_BOUNDS, FIELD_NAMES, strict=True):
        try:
            bits.append(_get_field(text, b, name))
        except CronError as e:
            e.expr = expr
            raise
    return Schedule(expr, 1, *bits, location=loc)


def parse_schedule(expr: str) -> Schedule:
    """What the Kubernetes API server accepts for ``spec.schedule`` on create.

    robfig/cron v3.0.1 ``ParseStandard`` and then the TZ rule; a CronError carries every message in
    Kubernetes' order (robfig's first).
    """
    err: CronError | None = None
    sched: Schedule | None = None
    try:
        sched = parse_standard(expr)
    except CronError as e:
        err = e
    if "TZ" in expr:
        if err is None:
            err = CronError(TZ_ERROR, kind="tz", expr=expr)
        else:
            err.messages.append(TZ_ERROR)
            err.kinds.append("tz")
            err.tz = True
    if err is not None:
        raise err
    assert sched is not None
    return sched


# --------------------------------------------------------------------------------------------
# Next (spec.go, constantdelay.go) with Go's time arithmetic on integer Unix seconds


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

    __slots__ = ("tz", "_cache")

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
        o = datetime.fromtimestamp(unix, self.tz).utcoffset()
        o = 0 if o is None else int(o.total_seconds())
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
        "expr",
        "second",
        "minute",
        "hour",
        "dom",
        "month",
        "dow",
        "location",
        "descriptor",
        "every_seconds",
        "_zone",
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
        location=_LOCAL,
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
    from zoneinfo import ZoneInfo

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


# --------------------------------------------------------------------------------------------
# Friendly messages


_DOW_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_ALLOWED = {
    "minute": "0-59",
    "hour": "0-23",
    "day-of-month": "1-31",
    "month": "1-12 or JAN-DEC",
    "day-of-week": "0-6 or SUN-SAT",
}
_DESCRIPTOR_LIST = "@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @every <duration>"
_FULL_NAMES = {
    **{
        n.lower(): i
        for i, n in enumerate(
            "january february march april may june july august september october november december".split(), 1
        )
    },
}
_FULL_DAYS = {n: i for i, n in enumerate("sunday monday tuesday wednesday thursday friday saturday".split())}


def _friendly_robfig(e: CronError) -> str:
    f, k, tok = e.field, e.kind, e.token
    allowed = _ALLOWED.get(f or "", "")
    if k == "empty":
        return "the schedule is empty; use 5 fields (minute hour day-of-month month day-of-week) or a descriptor like @daily"
    if k == "field-count":
        hint = ""
        if e.value in (6, 7):
            hint = " (Kubernetes has no seconds or year field)"
        return f"expected 5 fields (minute hour day-of-month month day-of-week), found {e.value}{hint}"
    if k == "descriptor":
        low = (tok or "").lower()
        hint = f" (descriptors are case-sensitive: use {low})" if low in _DESCRIPTORS and low != tok else ""
        return f"unknown descriptor {tok!r}{hint}; allowed: {_DESCRIPTOR_LIST}"
    if k == "duration":
        msg = str(e).split(": ", 1)[-1]
        return f"bad @every duration ({msg}); use a Go duration such as 90s, 15m or 1h30m (units ns, us, ms, s, m, h; no d)"
    if k in ("panic", "location"):
        return "a TZ= or CRON_TZ= prefix is not allowed in the schedule; set the timeZone field instead"
    if k == "above-max":
        is_range = tok is not None and "-" in tok.split("/")[0]
        sunday = f == "day-of-week" and e.value == 7
        if is_range:
            what = f"{f} range {tok!r} ends at {e.value}, which is above the maximum {e.bound}"
            return what + (" (use 0 or SUN for Sunday)" if sunday else f"; allowed: {allowed}")
        if sunday:
            return "day-of-week 7 is above the maximum 6 (use 0 or SUN)"
        return f"{f} {e.value} is above the maximum {e.bound}; allowed: {allowed}"
    if k == "below-min":
        return f"{f} {e.value} is below the minimum {e.bound}; allowed: {allowed}"
    if k == "reversed":
        return f"{f} range {tok!r} runs backwards ({e.value} > {e.bound}); ranges do not wrap around, write it as two ranges in a list"
    if k == "zero-step":
        return f"{f} step in {tok!r} must be a positive number"
    if k == "negative":
        return f"{f} step in {tok!r} must be a positive number, not {e.value}"
    if k in ("hyphens", "slashes"):
        what = "hyphen" if k == "hyphens" else "slash"
        return f"{f} item {tok!r} has more than one {what}; use N, N-M, N/step or N-M/step"
    if k == "not-int":
        t = tok or ""
        low = t.lower()
        hint = ""
        if re.fullmatch(r"(?i)\d*L\d*|\d*W|LW|\w*#\d*", t):
            hint = " (L, W and # are not supported by Kubernetes)"
        if t.upper() in ("H", "R") or t.upper().startswith("H("):
            hint = " (H and R hash/random values are not supported by Kubernetes)"
        if f == "month" and low in _FULL_NAMES:
            hint = f" (use the 3-letter name {_MONTH_NAMES[_FULL_NAMES[low] - 1]})"
        if f == "day-of-week" and low in _FULL_DAYS:
            hint = f" (use the 3-letter name {_DOW_NAMES[_FULL_DAYS[low]]})"
        if f not in ("month", "day-of-week") and low in {**(_MONTHS.names or {}), **(_DOWS.names or {})}:
            hint = " (names are only allowed in the month and day-of-week fields)"
        if t == "":
            hint = " (a negative number or a missing number around '-' or '/')"
        return f"{f} value {t!r} is not a number{hint}; allowed: {allowed}"
    return str(e)


def friendly(err: CronError) -> str:
    """A human message for a rejected schedule: what is wrong and what is allowed."""
    parts = []
    if err.kinds[0] != "tz":
        parts.append(_friendly_robfig(err))
    if err.tz and err.kinds[0] not in ("panic", "location"):
        parts.append("TZ/CRON_TZ cannot be used in the schedule; set the timeZone field instead")
    return "; ".join(parts)
