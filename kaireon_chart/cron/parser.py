"""robfig/cron v3.0.1 ``ParseStandard`` (parser.go) and Kubernetes' TZ rule on top of it."""

from __future__ import annotations

from typing import NamedTuple

from .errors import FIELD_NAMES, TZ_ERROR, CronError, _raise
from .gostd import (
    _LOCAL,
    _AtoiError,
    _DurationError,
    _go_atoi,
    _go_fields,
    _go_load_location,
    _go_lower,
    _go_parse_duration,
    _go_trim_space,
    _LocationError,
)
from .schedule import STAR_BIT, Schedule


class _Bounds(NamedTuple):
    min: int
    max: int
    names: dict[str, int] | None


_MONTHS = _Bounds(
    1,
    12,
    {
        n: i + 1
        for i, n in enumerate(
            ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        )
    },
)
_DOWS = _Bounds(0, 6, {n: i for i, n in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])})
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
            ns = max(ns, 10**9)
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
