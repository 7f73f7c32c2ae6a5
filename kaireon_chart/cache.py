"""A small on-disk cache of layer results, so repeated runs skip importing the heavy validators.

The JSON Schema and Kubernetes OpenAPI layers are pure functions of (layer version, schema, input):
the key is a SHA-256 of exactly that, the value the JSON list of issues found. Repeated runs over
unchanged inputs (pre-commit hooks, CI re-runs, ``check`` over environments sharing defaults) then
never import jsonschema/referencing (about 0.1 s). Stored under ``$KAIREON_CHART_CACHE_DIR`` or
``$XDG_CACHE_HOME/kaireon-chart`` (``~/.cache/kaireon-chart``); ``KAIREON_CHART_CACHE=0`` turns it off.
A cache that cannot be read or written is ignored.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any

LAYER_VERSION = "1"  # bump when a layer's messages or logic change


def _enabled() -> bool:
    return os.environ.get("KAIREON_CHART_CACHE", "1") not in ("0", "false", "no", "off", "")


def _dir() -> Path:
    explicit = os.environ.get("KAIREON_CHART_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kaireon-chart"


def package_stamp(name: str) -> str:
    """Identifies the installed version of a package without importing it (path, mtime, size)."""
    try:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec else None
        st = os.stat(origin) if origin else None
    except (ImportError, OSError, ValueError):
        return f"{name}:missing"
    return f"{origin}:{st.st_mtime_ns}:{st.st_size}" if st else f"{name}:missing"


def key(layer: str, *parts: Any) -> str:
    text = json.dumps([LAYER_VERSION, layer, *parts], sort_keys=True, default=repr, separators=(",", ":"))
    import hashlib  # lazy: OpenSSL's hashlib ~2.5 ms (bench 8); only the OpenAPI slow path keys

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def get(k: str) -> list[Any] | None:
    if not _enabled():
        return None
    try:
        value = json.loads((_dir() / f"{k}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # unreadable, not JSON, or nested past the recursion limit
        return None
    return value if isinstance(value, list) else None  # entries are lists; anything else is damage


def put(k: str, value: Any) -> None:
    if not _enabled():
        return
    try:
        directory = _dir()
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f".tmp-{k}-{os.getpid()}"
        tmp.write_text(json.dumps(value), encoding="utf-8")
        os.replace(tmp, directory / f"{k}.json")
    except OSError:
        pass
