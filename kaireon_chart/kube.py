"""Rendered manifests against the Kubernetes OpenAPI schema (kubernetes-validate's bundled schemas).

Strict mode: unknown fields and wrong types are errors, as ``kubectl apply --validate=strict`` and
the API server's JSON decoding reject them. kubernetes-validate (and jsonschema's 2020-12 validator
with ``referencing``) are imported only when this layer runs; the compiled validator is cached per
Kubernetes minor version for the life of the process.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MIN_VERSION = (1, 27)  # chart kubeVersion >=1.27.0-0 (timeZone is GA from 1.27)
_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$")


class KubeVersionError(ValueError):
    """--kube-version is malformed or outside what the chart and the bundled schemas support."""


class KubeUnavailable(RuntimeError):
    """kubernetes-validate is not installed."""


@dataclass(frozen=True)
class KubeIssue:
    index: int  # manifest index
    path: tuple  # path inside the manifest (e.g. ("spec", "jobTemplate", ...))
    message: str


@lru_cache(maxsize=1)
def _schema_root() -> Path:
    # the schemas' location without importing kubernetes_validate (its import alone costs ~0.1 s)
    import importlib.util

    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.origin:
        raise KubeUnavailable(
            "the Kubernetes OpenAPI layer needs kubernetes-validate; install `kaireon-chart[k8s]` "
            "or pass --no-kube-schema"
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
def _validator(version: tuple[int, int]):
    import jsonschema
    from referencing import Registry, Resource

    directory = _schema_dir(version)
    schema = json.loads((directory / "cronjob-batch-v1.json").read_text(encoding="utf-8"))
    definitions = json.loads((directory / "_definitions.json").read_text(encoding="utf-8"))
    registry = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(definitions) @ registry
    _SHAPE_SAFE[version] = _only_types(schema, definitions.get("$defs", {}))
    return jsonschema.Draft202012Validator(schema, registry=registry)


# keywords whose verdict depends on a value, not only on its JSON type
_VALUE_KEYWORDS = frozenset({"enum", "const", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                             "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "multipleOf",
                             "minProperties", "maxProperties", "not", "if", "contains", "dependentRequired",
                             "propertyNames", "patternProperties"})
_SHAPE_SAFE: dict[tuple[int, int], bool] = {}


def _only_types(schema: dict, defs: dict) -> bool:
    """True when the CronJob schema (all it references) constrains nothing but keys and types -- apart
    from the apiVersion/kind enums, which the shape keeps literally. Then equal shapes get equal verdicts."""
    seen: set[str] = set()
    stack = [(schema, True)]
    while stack:
        node, top = stack.pop()
        if isinstance(node, list):
            stack.extend((x, False) for x in node)
            continue
        if not isinstance(node, dict):
            continue
        for k, v in node.items():
            if k in _VALUE_KEYWORDS:
                return False
            if k == "$ref" and isinstance(v, str):
                name = v.rsplit("/", 1)[-1]
                if name not in seen and name in defs:
                    seen.add(name)
                    stack.append((defs[name], False))
            elif k == "properties" and isinstance(v, dict):  # property names are not keywords
                stack.extend((sub, False) for key, sub in v.items() if not (top and key in ("apiVersion", "kind")))
            elif isinstance(v, (dict, list)) and k != "x-kubernetes-group-version-kind":
                stack.append((v, False))
    return True


def validate_manifests(manifests: list[dict], kube_version: str | None = None) -> list[KubeIssue]:
    """Every schema violation of the rendered CronJobs under the given Kubernetes version.

    The OpenAPI schema of a CronJob constrains types and field names only (its only enums are
    apiVersion and kind; ``format`` is not asserted), so whether a manifest passes depends on its
    *shape* alone: the same keys and value types. Shapes known to pass are remembered for the process
    and on disk (see checks/cache.py), so validating many environments costs one real validation per
    distinct shape. A manifest whose shape is not known to pass is validated in full, which is also
    where the messages (that quote the values) come from.
    """
    from .checks import cache

    version = parse_version(kube_version)
    passing = _PASSING.setdefault(version, set())
    stamp = None
    issues: list[KubeIssue] = []
    for index, manifest in enumerate(manifests):
        shape = _shape_key(manifest)
        if shape in passing:
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


def _shape(node, top: bool = False):
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


def _shape_key(manifest) -> str:
    return json.dumps(_shape(manifest, top=True), sort_keys=True, separators=(",", ":"))


def _validate_one(validator, index: int, manifest) -> list[KubeIssue]:
    out = []
    for err in validator.iter_errors(manifest):
        leaf = err
        # report the most specific error of anyOf/oneOf groups
        while leaf.context:
            leaf = min(leaf.context, key=lambda e: len(e.path) * -1)
        out.append(KubeIssue(index, tuple(leaf.absolute_path), _message(leaf)))
    return out


def _message(err) -> str:
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
    return err.message
