"""Go's standard library as robfig/cron and Kubernetes see it: ``strings.Fields``/``TrimSpace``,
``strconv.Atoi``/``Quote``, ``strings.ToLower``, ``time.ParseDuration`` and ``time.LoadLocation``."""

from __future__ import annotations

import errno
import io
import os
import re
from functools import lru_cache
from typing import Any

_MAX_UINT64 = (1 << 64) - 1
_MAX_INT64 = (1 << 63) - 1


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
def _go_load_location(name: str) -> Any:
    """time.LoadLocation: returns None for UTC, _LOCAL for Local, else a tzinfo."""
    if name in ("", "UTC"):
        return None
    if name == "Local":
        return _LOCAL
    if ".." in name or name[0] in "/\\":
        raise _LocationError("time: invalid location name")
    from zoneinfo import ZoneInfo  # lazy: zoneinfo ~2 ms (bench 8), only for a time zone

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
