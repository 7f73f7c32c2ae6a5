"""Helm's ``.Values``: the ``-f`` files merged, then ``--set*`` (strvals.py), coalesced over the chart's defaults.

One file is read and parsed by valuesfile.py (YAML as go-yaml v2 reads it: goyaml.py); origins.py
records where each value came from.

How helm builds ``.Values`` (checked against helm 3.17 and 4.1 by tests/values):

1. Each ``-f`` file is parsed (YAML 1.1 as go-yaml v2 reads it: ``y/n/yes/no/on/off`` are booleans,
   ``1e6`` is a number, dates stay strings, map keys become strings) and merged over the previous
   ones: maps merge deeply, everything else (lists included) replaces; ``null`` is kept for now.
2. ``--set-json``, then ``--set``, then ``--set-string`` are applied on top, in that order whatever
   their order on the command line.
3. The result is coalesced over the chart's ``values.yaml``: maps merge deeply, user values win, and a
   user ``null`` deletes the key when the chart has it (so ``null`` removes a chart default). A
   ``null`` for a key the chart does not have stays ``null``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import limits, strvals
from .chart import Chart, load_chart
from .valuesfile import ValuesError, parse_yaml, read_values_file
from .yamltypes import YamlMap

if TYPE_CHECKING:
    from .origins import Origins

__all__ = [
    "ValuesError",  # public API: defined in valuesfile.py, raised by load_values
    "coalesce",
    "load_values",
    "merge_maps",
    "user_values",
    "values_from_text",
]


def merge_maps(a: YamlMap, b: YamlMap) -> YamlMap:
    """Helm's ``mergeMaps`` for successive ``-f`` files: maps merge deeply, the rest replaces."""
    out = dict(a)
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge_maps(out[k], v)
        else:
            out[k] = v
    return out


def coalesce(user: YamlMap, defaults: YamlMap) -> YamlMap:
    """Coalesce user values over chart defaults (a new dict; inputs are not modified)."""
    out = copy.deepcopy(user)
    _coalesce_into(out, defaults)
    return out


def _coalesce_into(dst: YamlMap, src: YamlMap) -> None:
    for key, val in src.items():
        if key in dst:
            dv = dst[key]
            if dv is None:
                del dst[key]
            elif isinstance(dv, dict) and isinstance(val, dict):
                _coalesce_into(dv, val)
        else:
            dst[key] = copy.deepcopy(val)


def user_values(
    files: Iterable[str] = (),
    set_values: Iterable[str] = (),
    set_string: Iterable[str] = (),
    set_json: Iterable[str] = (),
    *,
    stdin: Any = None,
    origins: Origins | None = None,
) -> YamlMap:
    """The user-supplied values (``-f`` files then ``--set*``), before the chart defaults."""
    base: YamlMap = {}
    try:
        budget = limits.LimitsBudget()
    except limits.LimitError as exc:
        raise ValuesError(exc.message) from None
    for path in files:
        name, text = read_values_file(str(path), stdin, budget)
        if origins is not None:
            origins.files.append((name, text))
        base = merge_maps(base, parse_yaml(text, name))
    for flag, items, parse in (
        ("--set-json", set_json, strvals.parse_set_json),
        ("--set", set_values, strvals.parse_set),
        ("--set-string", set_string, strvals.parse_set_string),
    ):
        for item in items:
            try:
                parse(item, base)
                alone = parse(item, {})  # the item's own tree from the root: as deep as it makes the merge
                too_deep = limits.check_data(alone)
            except strvals.StrvalsError as exc:
                raise ValuesError(f"failed parsing {flag} data {_short(item)}: {exc}") from None
            except limits.LimitError as exc:
                raise ValuesError(f"{flag} {_short(item)}: {exc.message}") from None
            if too_deep is not None:
                raise ValuesError(
                    f"{flag} {_short(item)}: maps and lists nest {too_deep} levels deep; allowed: at "
                    f"most {limits.max_depth()} (raise KAIREON_CHART_MAX_DEPTH)"
                )
            if origins is not None:
                label = (
                    f"{flag} {item}"
                    if len(item) <= 200
                    else f"{flag} {item[:100]}... ({len(item):,} characters)"
                )
                origins.set_flags.append((label, alone))
    return base


def _short(text: str, limit: int = 120) -> str:
    """``repr(text)``, cut in the middle when long (an error line must stay readable)."""
    if len(text) <= limit:
        return repr(text)
    return repr(text[: limit // 2]) + f" ... ({len(text):,} characters) ... " + repr(text[-limit // 4 :])


def load_values(
    files: Iterable[str] = (),
    set_values: Iterable[str] = (),
    set_string: Iterable[str] = (),
    set_json: Iterable[str] = (),
    chart: Chart | str | Path | None = None,
    *,
    stdin: Any = None,
    origins: Origins | None = None,
) -> YamlMap:
    """Fully merged values (chart defaults + user input), exactly as helm's ``.Values``.

    ``chart`` is a :class:`kaireon_chart.chart.Chart` or a chart directory (default: the bundled chart).
    Raises :class:`ValuesError` for unreadable files, YAML errors and bad ``--set*`` expressions.
    """
    if chart is None or isinstance(chart, (str, Path)):
        chart = load_chart(chart)
    user = user_values(files, set_values, set_string, set_json, stdin=stdin, origins=origins)
    return coalesce(user, chart.values)


def values_from_text(text: str, chart: Chart, name: str = "<values>") -> YamlMap:
    """One values document merged over the chart defaults (``render-values check`` per file)."""
    return coalesce(parse_yaml(text, name), chart.values)
