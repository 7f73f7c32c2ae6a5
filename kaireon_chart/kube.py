"""Rendered manifests against the Kubernetes OpenAPI schema (kubernetes-validate's bundled schemas).

Strict mode: unknown fields and wrong types are errors, as ``kubectl apply --validate=strict`` and
the API server's JSON decoding reject them. A manifest that passes is recognised by ``_Checker`` over the
compact CronJob schema (see "the fast path" below) without jsonschema; the full bundled schema, jsonschema's
2020-12 validator and ``referencing`` load only to word a rejection (or when the fast path does not apply),
and that compiled validator is cached per Kubernetes minor version for the life of the process.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from ._record import Record
from .extras import MissingExtra

MIN_VERSION = (1, 27)  # chart kubeVersion >=1.27.0-0 (timeZone is GA from 1.27)
_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$")


class KubeVersionError(ValueError):
    """--kube-version is malformed or outside what the chart and the bundled schemas support."""


class KubeUnavailable(MissingExtra):
    """kubernetes-validate is not installed."""


class KubeIssue(Record):
    """One OpenAPI violation of a rendered manifest."""

    __slots__ = _fields = ("index", "path", "message")
    index: int  # manifest index
    path: tuple  # path inside the manifest (e.g. ("spec", "jobTemplate", ...))
    message: str


@lru_cache(maxsize=1)
def _schema_root() -> Path:
    # the schemas' location without importing kubernetes_validate (its import alone costs ~0.1 s)
    import importlib.util

    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.origin:
        raise KubeUnavailable("the Kubernetes OpenAPI layer", "kubernetes-validate", "k8s",
                              "pass --no-kube-schema")
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


# -- the fast path: the CronJob part of the OpenAPI schema, interpreted without jsonschema -------------------
#
# kubernetes-validate bundles each version's whole OpenAPI schema (a 1.8 MB _definitions.json); reading it
# and importing jsonschema and referencing costs more than the rest of a run. A manifest that passes needs
# neither: ``_compact`` keeps only what the CronJob references, and only the keywords that validate, and
# ``_Checker`` gives Draft202012Validator's verdict for them. The compact schemas of the bundled versions ship
# in kaireon_chart/_kube_schemas/ (written by ``python -m kaireon_chart.docs chart``), each naming the
# SHA-256 of the two files it was made from: when the installed kubernetes-validate has other files, the
# compact schema is built from them in-process instead. A rejected manifest goes to jsonschema, which words
# the problem (and has the last word). A keyword ``_Checker`` does not implement disables the fast path.

# Draft 2020-12 keywords that validate (Draft202012Validator.VALIDATORS; a test keeps this in sync)
DRAFT202012_KEYWORDS = frozenset({
    "$dynamicRef", "$ref", "additionalProperties", "allOf", "anyOf", "const", "contains", "dependentRequired",
    "dependentSchemas", "enum", "exclusiveMaximum", "exclusiveMinimum", "format", "if", "items", "maxItems",
    "maxLength", "maxProperties", "maximum", "minItems", "minLength", "minProperties", "minimum", "multipleOf",
    "not", "oneOf", "pattern", "patternProperties", "prefixItems", "properties", "propertyNames", "required",
    "type", "unevaluatedItems", "unevaluatedProperties", "uniqueItems",
})
_KEPT = frozenset({"$ref", "additionalProperties", "allOf", "anyOf", "const", "enum", "items", "not", "oneOf",
                   "properties", "required", "type"})
_IGNORED = frozenset({"format"})  # asserts nothing without a format checker (none is passed)
_DEFS_REF = "/api/_definitions.json#/$defs/"  # from the CronJob file; inside _definitions.json: "#/$defs/"
COMPACT_DIR = Path(__file__).resolve().parent / "_kube_schemas"
_SCALARS = (str, bool, int, float, type(None))


class _Unsupported(Exception):
    pass


def _compact(schema: dict, definitions: dict) -> dict | None:
    """``{"root": ..., "defs": {name: ...}}``: the CronJob schema and every definition it reaches, with the
    validating keywords only and ``$ref`` as a definition name; None when a keyword is not supported."""
    defs_in = definitions.get("$defs", {})
    defs: dict = {}
    todo: list[str] = []

    def ref_name(ref, in_defs: bool) -> str:
        prefix = "#/$defs/" if in_defs else _DEFS_REF
        if not isinstance(ref, str) or not ref.startswith(prefix) or "/" in ref[len(prefix):]:
            raise _Unsupported(ref)
        name = ref[len(prefix):].replace("~1", "/").replace("~0", "~")
        if name not in defs_in:
            raise _Unsupported(ref)
        if name not in defs:
            defs[name] = None
            todo.append(name)
        return name

    def strip(node, in_defs: bool):
        if isinstance(node, bool):
            return node
        if not isinstance(node, dict):
            raise _Unsupported(repr(node)[:40])
        out = {}
        for k, v in node.items():
            if k in _IGNORED or (k not in _KEPT and k not in DRAFT202012_KEYWORDS):
                if k in ("$id", "$anchor", "$dynamicAnchor", "$recursiveRef") and node is not schema:
                    raise _Unsupported(k)  # would change what a $ref means
                continue
            if k not in _KEPT:
                raise _Unsupported(k)
            if k == "$ref":
                out[k] = ref_name(v, in_defs)
            elif k == "properties":
                out[k] = {name: strip(sub, in_defs) for name, sub in v.items()}
            elif k in ("additionalProperties", "items", "not"):
                out[k] = strip(v, in_defs)
            elif k in ("allOf", "anyOf", "oneOf"):
                out[k] = [strip(sub, in_defs) for sub in v]
            elif k in ("enum", "const"):
                values = v if k == "enum" else [v]
                if not isinstance(values, list) or not all(isinstance(x, _SCALARS) for x in values):
                    raise _Unsupported(k)
                out[k] = v
            elif k == "type":
                types = v if isinstance(v, list) else [v]
                if not all(t in _TYPE_CHECKS for t in types):
                    raise _Unsupported(f"type {v!r}")
                out[k] = v
            else:  # required
                if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                    raise _Unsupported(k)
                out[k] = v
        return out

    try:
        root = strip(schema, False)
        while todo:
            name = todo.pop()
            defs[name] = strip(defs_in[name], True)
    except _Unsupported:
        return None
    return {"root": root, "defs": dict(sorted(defs.items()))}


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_TYPE_CHECKS = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
}


def _equal(a, b) -> bool:  # jsonschema's equality for scalars: booleans are not numbers, 1 == 1.0
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if _is_number(a) and _is_number(b):
        return a == b
    return a is None and b is None


class _Checker:
    """Draft202012Validator's verdict (valid or not) for a compact schema (see ``_compact``)."""

    def __init__(self, compact: dict):
        self.defs = compact["defs"]
        self.root = compact["root"]

    def __call__(self, instance) -> bool:
        try:
            return self.ok(self.root, instance)
        except Exception:  # anything odd: let jsonschema decide (and word it)
            return False

    def ok(self, node, d) -> bool:
        if node is True:
            return True
        if node is False:
            return False
        if "$ref" in node and not self.ok(self.defs[node["$ref"]], d):
            return False
        t = node.get("type")
        if t is not None:
            if isinstance(t, list):
                if not any(_TYPE_CHECKS[x](d) for x in t):
                    return False
            elif not _TYPE_CHECKS[t](d):
                return False
        if "enum" in node and not any(_equal(d, x) for x in node["enum"]):
            return False
        if "const" in node and not _equal(d, node["const"]):
            return False
        if isinstance(d, dict):
            for key in node.get("required", ()):
                if key not in d:
                    return False
            props = node.get("properties")
            extra = node.get("additionalProperties", True)
            for key, value in d.items():
                sub = props.get(key) if props is not None else None
                if sub is not None:
                    if not self.ok(sub, value):
                        return False
                elif extra is not True and (extra is False or not self.ok(extra, value)):
                    return False
        elif isinstance(d, list) and "items" in node:
            items = node["items"]
            if not all(self.ok(items, x) for x in d):
                return False
        if "allOf" in node and not all(self.ok(s, d) for s in node["allOf"]):
            return False
        if "anyOf" in node and not any(self.ok(s, d) for s in node["anyOf"]):
            return False
        if "oneOf" in node and sum(1 for s in node["oneOf"] if self.ok(s, d)) != 1:
            return False
        if "not" in node and self.ok(node["not"], d):
            return False
        return True


def _digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


_SOURCE_FILES = ("cronjob-batch-v1.json", "_definitions.json")


@lru_cache(maxsize=1)
def _installed_release() -> str | None:
    """kubernetes-validate's version, from its one dist-info directory (importlib.metadata costs ~10 ms)."""
    import os

    package = _schema_root().parent
    try:
        found = [n for n in os.listdir(package.parent)
                 if n.startswith("kubernetes_validate-") and n.endswith(".dist-info")]
    except OSError:
        return None
    return found[0][len("kubernetes_validate-"):-len(".dist-info")] if len(found) == 1 else None


def _sources(version: tuple[int, int]) -> dict:
    """What a compact schema was made from: the kubernetes-validate release and the two files' sizes and
    SHA-256."""
    directory = _schema_dir(version)
    files = {}
    for name in _SOURCE_FILES:
        path = directory / name
        files[name] = {"size": path.stat().st_size, "sha256": _digest(path)}
    return {"release": _installed_release(), "files": files}


def _made_from_installed(sources, version: tuple[int, int]) -> bool:
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


def _build_compact(version: tuple[int, int]) -> dict | None:
    directory = _schema_dir(version)
    return _compact(json.loads((directory / "cronjob-batch-v1.json").read_bytes()),
                    json.loads((directory / "_definitions.json").read_bytes()))


def compact_document(version: tuple[int, int]) -> str | None:
    """The text of the shipped compact schema for ``version``, built from the installed bundle (for
    ``python -m kaireon_chart.docs chart``); None when the fast path does not support that schema."""
    compact = _build_compact(version)
    if compact is None:
        return None
    doc = {"kubernetes": f"{version[0]}.{version[1]}", "sources": _sources(version),
           "shape_safe": _only_types(compact["root"], compact["defs"]), **compact}
    return json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n"


def shipped_compact(version: tuple[int, int]) -> dict | None:
    """The shipped compact schema of ``version`` when it was made from the installed bundle, else None."""
    try:
        shipped = json.loads(compact_path(version).read_bytes())
    except (OSError, ValueError):
        return None
    if isinstance(shipped, dict) and _made_from_installed(shipped.get("sources"), version):
        return shipped
    return None


@lru_cache(maxsize=4)
def _fast_checker(version: tuple[int, int]):
    """(the fast verdict for ``version`` or None when its schema uses a keyword ``_Checker`` lacks,
    whether equal manifest shapes get equal verdicts)."""
    shipped = shipped_compact(version)
    if shipped is not None:
        return _Checker(shipped), bool(shipped.get("shape_safe"))
    compact = _build_compact(version)  # another kubernetes-validate than the shipped files were made from
    if compact is None:
        return None, False
    return _Checker(compact), _only_types(compact["root"], compact["defs"])


def validate_manifests(manifests: list[dict], kube_version: str | None = None) -> list[KubeIssue]:
    """Every schema violation of the rendered CronJobs under the given Kubernetes version.

    The OpenAPI schema of a CronJob constrains types and field names only (its only enums are
    apiVersion and kind; ``format`` is not asserted), so whether a manifest passes depends on its
    *shape* alone: the same keys and value types. Shapes known to pass are remembered for the process
    and on disk (see cache.py), so validating many environments costs one real validation per
    distinct shape. A manifest whose shape is not known to pass is validated in full, which is also
    where the messages (that quote the values) come from.
    """
    from . import cache

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
