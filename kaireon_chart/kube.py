"""Rendered manifests against the Kubernetes OpenAPI schema (kubernetes-validate's bundled schemas).

Strict mode: unknown fields and wrong types are errors, as ``kubectl apply --validate=strict`` and
the API server's JSON decoding reject them. A manifest that passes is recognised by ``_Checker`` over the
compact CronJob schema (kube_compact.py) without jsonschema; the full bundled schema, jsonschema's
2020-12 validator and ``referencing`` load only to word a rejection (or when the fast path does not apply),
and that compiled validator is cached per Kubernetes minor version for the life of the process.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from . import cache
from .extras import MissingExtra
from .kube_compact import _Checker, _compact, _only_types

MIN_VERSION = (1, 27)  # chart kubeVersion >=1.27.0-0 (timeZone is GA from 1.27)
_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$")


class KubeVersionError(ValueError):
    """--kube-version is malformed or outside what the chart and the bundled schemas support."""


class KubeUnavailable(MissingExtra):
    """kubernetes-validate is not installed."""


class KubeIssue(NamedTuple):
    """One OpenAPI violation of a rendered manifest."""

    manifest: int  # index of the manifest
    path: tuple[str | int, ...]  # path inside the manifest (e.g. ("spec", "jobTemplate", ...))
    message: str


@lru_cache(maxsize=1)
def _schema_root() -> Path:
    # the schemas' location without importing kubernetes_validate (its import alone costs ~0.1 s)
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.origin:
        raise KubeUnavailable(
            "the Kubernetes OpenAPI layer", "kubernetes-validate", "k8s", "pass --no-kube-schema"
        )
    return Path(spec.origin).resolve().parent / "kubernetes-json-schema"


def available() -> bool:
    """kubernetes-validate (the bundled OpenAPI schemas) is installed."""
    try:
        _schema_root()
    except KubeUnavailable:
        return False
    return True


@lru_cache(maxsize=1)
def supported_versions() -> tuple[tuple[int, int], ...]:
    """(major, minor) pairs with bundled strict schemas, at least MIN_VERSION, oldest first."""
    found = set()
    for entry in _schema_root().iterdir():
        m = re.match(r"^v(\d+)\.(\d+)\.\d+-local-strict$", entry.name)
        if m and (int(m.group(1)), int(m.group(2))) >= MIN_VERSION:
            found.add((int(m.group(1)), int(m.group(2))))
    return tuple(sorted(found))


def default_version() -> str:
    major, minor = supported_versions()[-1]
    return f"{major}.{minor}"


def parse_version(text: str | None) -> tuple[int, int]:
    """'1.30', 'v1.30.2' -> (1, 30); None -> the newest bundled version. Raises KubeVersionError."""
    versions = supported_versions()
    if text is None:
        return versions[-1]
    m = _VERSION_RE.match(text.strip())
    if not m:
        raise KubeVersionError(f"--kube-version {text!r} is not a version; use MAJOR.MINOR such as 1.33")
    wanted = (int(m.group(1)), int(m.group(2)))
    low, high = versions[0], versions[-1]
    if wanted < MIN_VERSION:
        raise KubeVersionError(
            f"--kube-version {text} is older than the chart supports; allowed: {low[0]}.{low[1]} to {high[0]}.{high[1]}"
        )
    if wanted > high:
        raise KubeVersionError(
            f"--kube-version {text} is newer than the bundled Kubernetes schemas; allowed: "
            f"{low[0]}.{low[1]} to {high[0]}.{high[1]} (upgrade kubernetes-validate for newer ones)"
        )
    # the newest bundled schema that is not newer than the wanted version
    return [v for v in versions if v <= wanted][-1]


def _schema_dir(version: tuple[int, int]) -> Path:
    return next(_schema_root().glob(f"v{version[0]}.{version[1]}.*-local-strict"))


def _schema_stamp(version: tuple[int, int]) -> str:
    """The bundled schema in use (directory and its definitions file's mtime/size), for cache keys."""
    directory = _schema_dir(version)
    st = (directory / "_definitions.json").stat()
    return f"{directory}:{st.st_mtime_ns}:{st.st_size}"


@lru_cache(maxsize=4)
def _validator(version: tuple[int, int]) -> Any:
    # lazy: the [k8s] extra's jsonschema + referencing, ~60 ms (bench 8), for a rejection only
    import jsonschema
    from referencing import Registry, Resource

    directory = _schema_dir(version)
    schema = json.loads((directory / "cronjob-batch-v1.json").read_text(encoding="utf-8"))
    definitions = json.loads((directory / "_definitions.json").read_text(encoding="utf-8"))
    registry = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(definitions) @ registry
    _SHAPE_SAFE[version] = _only_types(schema, definitions.get("$defs", {}))
    return jsonschema.Draft202012Validator(schema, registry=registry)


_SHAPE_SAFE: dict[tuple[int, int], bool] = {}


COMPACT_DIR = Path(__file__).resolve().parent / "_generated" / "kube_schemas"


def _digest(path: Path) -> str:
    import hashlib  # lazy: OpenSSL's hashlib ~2.5 ms (bench 8); only files of unrecorded size

    return hashlib.sha256(path.read_bytes()).hexdigest()


_SOURCE_FILES = ("cronjob-batch-v1.json", "_definitions.json")


@lru_cache(maxsize=1)
def _installed_release() -> str | None:
    """kubernetes-validate's version, from its one dist-info directory (importlib.metadata costs ~10 ms)."""
    package = _schema_root().parent
    try:
        found = [
            n
            for n in os.listdir(package.parent)
            if n.startswith("kubernetes_validate-") and n.endswith(".dist-info")
        ]
    except OSError:
        return None
    return found[0][len("kubernetes_validate-") : -len(".dist-info")] if len(found) == 1 else None


def _sources(version: tuple[int, int]) -> dict[str, Any]:
    """What a compact schema was made from: the kubernetes-validate release and the two files' sizes and
    SHA-256."""
    directory = _schema_dir(version)
    files = {}
    for name in _SOURCE_FILES:
        path = directory / name
        files[name] = {"size": path.stat().st_size, "sha256": _digest(path)}
    return {"release": _installed_release(), "files": files}


def _made_from_installed(sources: Any, version: tuple[int, int]) -> bool:
    """The installed bundle is the one ``sources`` describe: same sizes, and the same kubernetes-validate
    release (files of a release are fixed) or else the same SHA-256."""
    try:
        directory = _schema_dir(version)
        files = sources["files"]
        if any((directory / name).stat().st_size != files[name]["size"] for name in _SOURCE_FILES):
            return False
        if sources["release"] is not None and sources["release"] == _installed_release():
            return True
        return all(_digest(directory / name) == files[name]["sha256"] for name in _SOURCE_FILES)
    except (OSError, KeyError, TypeError, StopIteration):
        return False


def compact_path(version: tuple[int, int]) -> Path:
    return COMPACT_DIR / f"cronjob-batch-v1-{version[0]}.{version[1]}.json"


def _build_compact(version: tuple[int, int]) -> dict[str, Any] | None:
    directory = _schema_dir(version)
    return _compact(
        json.loads((directory / "cronjob-batch-v1.json").read_bytes()),
        json.loads((directory / "_definitions.json").read_bytes()),
    )


def compact_document(version: tuple[int, int]) -> str | None:
    """The text of the shipped compact schema for ``version``, built from the installed bundle (for
    ``make generate``); None when the fast path does not support that schema."""
    compact = _build_compact(version)
    if compact is None:
        return None
    doc = {
        "kubernetes": f"{version[0]}.{version[1]}",
        "sources": _sources(version),
        "shape_safe": _only_types(compact["root"], compact["defs"]),
        **compact,
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n"


def shipped_compact(version: tuple[int, int]) -> dict[str, Any] | None:
    """The shipped compact schema of ``version`` when it was made from the installed bundle, else None."""
    try:
        shipped = json.loads(compact_path(version).read_bytes())
    except (OSError, ValueError):
        return None
    if isinstance(shipped, dict) and _made_from_installed(shipped.get("sources"), version):
        return shipped
    return None


@lru_cache(maxsize=4)
def _fast_checker(version: tuple[int, int]) -> tuple[_Checker | None, bool]:
    """(the fast verdict for ``version`` or None when its schema uses a keyword ``_Checker`` lacks,
    whether equal manifest shapes get equal verdicts)."""
    shipped = shipped_compact(version)
    if shipped is not None:
        return _Checker(shipped), bool(shipped.get("shape_safe"))
    compact = _build_compact(version)  # another kubernetes-validate than the shipped files were made from
    if compact is None:
        return None, False
    return _Checker(compact), _only_types(compact["root"], compact["defs"])


def validate_manifests(manifests: list[dict[str, Any]], kube_version: str | None = None) -> list[KubeIssue]:
    """Every schema violation of the rendered CronJobs under the given Kubernetes version.

    The OpenAPI schema of a CronJob constrains types and field names only (its only enums are
    apiVersion and kind; ``format`` is not asserted), so whether a manifest passes depends on its
    *shape* alone: the same keys and value types. Shapes known to pass are remembered for the process
    and on disk (see cache.py), so validating many environments costs one real validation per
    distinct shape. A manifest whose shape is not known to pass is validated in full, which is also
    where the messages (that quote the values) come from.
    """
    version = parse_version(kube_version)
    passing = _PASSING.setdefault(version, set())
    fast, shape_safe = _fast_checker(version)
    stamp = None
    issues: list[KubeIssue] = []
    for index, manifest in enumerate(manifests):
        shape = _shape_key(manifest)
        if shape in passing:
            continue
        if fast is not None:
            if fast(manifest):
                if shape_safe:
                    passing.add(shape)
                continue
            issues.extend(_validate_one(_validator(version), index, manifest))
            continue
        if stamp is None:
            stamp = (_schema_stamp(version), cache.package_stamp("jsonschema"))
        disk_key = cache.key("kube-openapi-shape", *stamp, shape)
        if cache.get(disk_key) == []:
            passing.add(shape)
            continue
        found = _validate_one(_validator(version), index, manifest)
        if found:
            issues.extend(found)
        elif _SHAPE_SAFE.get(version):
            passing.add(shape)
            cache.put(disk_key, [])
    return issues


_PASSING: dict[tuple[int, int], set[str]] = {}


def _shape(node: Any, top: bool = False) -> Any:
    """The manifest with every scalar replaced by a representative of its JSON type."""
    if isinstance(node, dict):
        return {k: (v if top and k in ("apiVersion", "kind") else _shape(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_shape(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node if node is None else False
    if isinstance(node, int):
        return 0
    if isinstance(node, float):
        return 0.0 if node.is_integer() else 0.5
    if isinstance(node, str):
        return ""
    return repr(type(node))  # not JSON: keep it distinct (it will fail validation anyway)


def _shape_key(manifest: Any) -> str:
    return json.dumps(_shape(manifest, top=True), sort_keys=True, separators=(",", ":"))


def _validate_one(validator: Any, index: int, manifest: Any) -> list[KubeIssue]:
    out = []
    for err in validator.iter_errors(manifest):
        leaf = err
        # report the most specific error of anyOf/oneOf groups
        while leaf.context:
            leaf = min(leaf.context, key=lambda e: len(e.path) * -1)
        out.append(KubeIssue(index, tuple(leaf.absolute_path), _message(leaf)))
    return out


def _message(err: Any) -> str:
    if err.validator == "additionalProperties":
        extra = re.findall(r"'([^']+)' was unexpected", err.message)
        field = ", ".join(extra) or "a field"
        return f"unknown field {field}; the Kubernetes API does not define it here"
    if err.validator == "type":
        want = err.validator_value
        want = " or ".join(w for w in want if w != "null") if isinstance(want, list) else want
        return f"{err.instance!r} is not of type {want}; the Kubernetes API expects {want} here"
    if err.validator == "enum":
        allowed = ", ".join(repr(v) for v in err.validator_value if v is not None)
        return f"{err.instance!r} is not supported; allowed: {allowed}"
    if err.validator == "required":
        return f"{err.message}; the Kubernetes API requires it"
    return str(err.message)
