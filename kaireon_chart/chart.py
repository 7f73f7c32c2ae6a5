"""The chart as data: Chart.yaml metadata, the default values and the values schema.

``load_chart()`` finds the chart bundled in the wheel (``kaireon_chart/_chart``, force-included by
pyproject) or, in a checkout, the repository's ``chart/`` next to the package. Parsing is cached per
file modification time; every call returns fresh copies of ``values`` and ``schema`` so callers may
merge into them freely.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from . import chartsnap, limits

__all__ = ["Chart", "ChartError", "load_chart", "default_chart_path"]

_PACKAGE_DIR = Path(__file__).resolve().parent
_FILES = ("Chart.yaml", "values.yaml", "values.schema.json")


class ChartError(Exception):
    """The chart directory is missing or one of its files cannot be read."""


class Chart(NamedTuple):
    path: Path
    name: str
    version: str
    app_version: str | None
    values: dict[str, Any]  # parsed values.yaml (chart defaults)
    schema: dict[str, Any]  # parsed values.schema.json


def default_chart_path() -> Path:
    """The bundled chart of an installed wheel, else ``chart/`` of the checkout."""
    bundled = _PACKAGE_DIR / "_chart"
    if (bundled / "Chart.yaml").is_file():
        return bundled
    return _PACKAGE_DIR.parent / "chart"


def load_chart(path: str | Path | None = None) -> Chart:
    """Load the chart at ``path`` (a directory holding Chart.yaml), or the default chart."""
    root = Path(path) if path is not None else default_chart_path()
    root = root.resolve()
    stamps = []
    for name in _FILES:
        try:
            stamps.append((root / name).stat().st_mtime_ns)
        except OSError as exc:
            raise ChartError(f"{root / name}: cannot read the chart file ({exc.strerror or exc})") from None
    cached = _load(str(root), tuple(stamps))
    return Chart(
        path=cached.path,
        name=cached.name,
        version=cached.version,
        app_version=cached.app_version,
        values=copy.deepcopy(cached.values),
        schema=copy.deepcopy(cached.schema),
    )


@lru_cache(maxsize=8)
def _load(root: str, _stamps: tuple[int, ...]) -> Chart:
    base = Path(root)
    meta = _read_yaml(base / "Chart.yaml")
    if not isinstance(meta, dict) or not meta.get("name") or meta.get("version") is None:
        raise ChartError(f"{base / 'Chart.yaml'}: needs `name` and `version`")
    values = _read_yaml(base / "values.yaml")
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ChartError(f"{base / 'values.yaml'}: the top level must be a mapping")
    try:
        schema = json.loads(_read_text(base / "values.schema.json"))
    except (ValueError, RecursionError) as exc:
        raise ChartError(f"{base / 'values.schema.json'}: {type(exc).__name__}: {str(exc)[:200]}") from None
    app_version = meta.get("appVersion")
    return Chart(
        path=base,
        name=str(meta["name"]),
        version=str(meta["version"]),
        app_version=None if app_version in (None, "") else str(app_version),
        values=values,
        schema=schema,
    )


def _read_text(path: Path) -> str:
    """The file's text, at most limits.max_file_bytes() (a chart from a pull request is input too)."""
    try:
        with open(path, "rb") as stream:
            data = limits.read_bytes(stream)
        return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except limits.LimitError as exc:
        raise ChartError(f"{path}: {exc.message}") from None
    except UnicodeDecodeError as exc:
        raise ChartError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ChartError(f"{path}: {exc.strerror or exc}") from None


def _read_yaml(path: Path) -> Any:
    text = _read_text(path)
    known = chartsnap.lookup(text)  # the chart's own files, parsed by `make generate`: no PyYAML import
    if known is not None:
        return known
    import yaml  # lazy: PyYAML ~12 ms (bench 8); the chart's own files come from the snapshot

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader: same results, faster
    try:
        return limits.guarded_load(text, loader)  # SafeLoader / CSafeLoader, aliases bounded
    except limits.LimitError as exc:
        where = f"{path}:{exc.line}:{exc.column or 1}" if exc.line is not None else str(path)
        raise ChartError(f"{where}: {exc.message}") from None
    except yaml.YAMLError as exc:
        raise ChartError(f"{path}: {exc}") from None
    except (ValueError, TypeError, RecursionError, MemoryError) as exc:
        raise ChartError(f"{path}: cannot read: {type(exc).__name__}: {str(exc)[:200]}") from None
