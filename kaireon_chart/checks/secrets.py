"""plaintext-secret: no literal credential anywhere in the cron values (or in api.env values).

The CronJobs read the bearer secret through ``secretKeyRef`` (``cron.secret.name``/``.key`` name a
Secret and a key in it; they are not secrets). A literal secret in values ends up in git, in
``helm get values`` and in the release Secret, so it is an error. Two signals, both must be specific
enough to stay quiet on ordinary values:

* a key named like a credential (password, secret, token, apiKey, bearer, credentials, privateKey,
  accessKey, clientSecret ...) holding a non-empty string -- except keys that *name* or *point to*
  one (``secretName``, ``tokenPath``, ``passwordFile``, ``secretRef``, ``key`` ...);
* a value shaped like a credential whatever its key: ``Bearer <token>``, a JWT, a PEM private key,
  AWS/GitHub/Slack/OpenAI-style tokens, or a URL with a password (``https://user:pw@host``).

Messages never repeat the value.

PASS: ``cron: {secret: {name: api-secrets, key: CRON_SECRET}}``
FAIL: ``cron: {schedules: {x: {token: s3cr3t}}}``, ``cron: {apiUrl: "https://u:pw@api"}``
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

ID = "plaintext-secret"

_SENSITIVE_KEY = re.compile(
    r"(?i)(passw(or)?d|passwd|pwd|secret|token|api[-_]?key|bearer|credential|private[-_]?key|"
    r"access[-_]?key|client[-_]?secret|auth[-_]?key|session[-_]?key|signing[-_]?key)"
)
# keys that name/point to a credential instead of holding it
_REFERENCE_SUFFIX = re.compile(
    r"(?i)(name|names|ref|refs|file|files|path|paths|enabled|create|mount|mountpath|dir|env|var|field|"
    r"length|ttl|seconds|url|endpoint|header|type|policy|provider|selector|id)$"
)
# Every shape is linear in the value's length (a CI runner checks files from pull requests): each
# regex below either is anchored, or has runs that stop at a character the next attempt cannot start
# inside; the two shapes whose regex form was quadratic (a JWT, a URL with a password) are parsed.
# tests/validate/test_linear_checks.py runs each on its pathological input under a CPU-time limit.
_VALUE_SHAPES: list[tuple[str, Callable[[str], object]]] = [
    ("a bearer token", re.compile(r"(?i)^\s*bearer\s+[A-Za-z0-9._~+/=-]{8,}").search),
    ("a JSON Web Token", lambda value: _has_jwt(value)),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----").search),
    ("an AWS access key", re.compile(r"\b(?:AKIA|ASIA|A3T[A-Z0-9])[A-Z0-9]{16}\b").search),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b").search),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}").search),
    ("an API secret key", re.compile(r"\bsk-[A-Za-z0-9_-]{20,}").search),
    ("a URL with a password", lambda value: _has_url_password(value)),
]
_JWT_RUN = re.compile(r"[A-Za-z0-9_.-]+")  # a maximal run of base64url characters and dots
_AUTHORITY_END = re.compile(r"[/@\s]")  # where the user-info part of a URL ends
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")


def _has_jwt(value: str) -> bool:
    """``eyJ<5+ chars>.eyJ<5+ chars>.`` somewhere (chars: base64url), as the regex
    ``eyJ[A-Za-z0-9_-]{5,}\\.eyJ[A-Za-z0-9_-]{5,}\\.`` finds it, in one pass: such a match lies inside
    one run of base64url characters and dots, and spans two consecutive dot-separated parts of it
    followed by a dot."""
    if "eyJ" not in value:
        return False
    for run in _JWT_RUN.finditer(value):
        parts = run.group().split(".")
        for first, second in zip(parts, parts[1:-1], strict=False):
            start = first.find("eyJ")
            if 0 <= start <= len(first) - 8 and second.startswith("eyJ") and len(second) >= 8:
                return True
    return False


def _has_url_password(value: str) -> bool:
    """``scheme://user:password@`` somewhere, as the regex
    ``[a-zA-Z][a-zA-Z0-9+.-]*://[^/\\s:@]+:[^/\\s@]+@`` finds it, in one pass: after each ``://`` the
    user-info ends at the first ``/``, ``@`` or whitespace (so these scans never overlap: the next
    ``://`` holds a ``/``), and the scheme before it is the run of scheme characters, which holds a letter."""
    at = value.find("://")
    while at != -1:
        end = _AUTHORITY_END.search(value, at + 3)
        if end is not None and end.group() == "@":
            userinfo = value[at + 3 : end.start()]
            colon = userinfo.find(":")
            if 0 < colon < len(userinfo) - 1 and _scheme_before(value, at):
                return True
        at = value.find("://", at + 3)
    return False


def _scheme_before(value: str, end: int) -> bool:
    """The run of scheme characters right before ``end`` holds a letter (the scheme starts at one)."""
    i = end - 1
    while i >= 0 and value[i] in _SCHEME_CHARS:
        if value[i].isalpha():
            return True
        i -= 1
    return False


_PLACEHOLDER = re.compile(r"^\s*(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$\([A-Za-z_][A-Za-z0-9_]*\))\s*$")

_ADVICE = (
    "keep it in a Secret and reference it (the cron tier reads the bearer secret through "
    "cron.secret.name/cron.secret.key); the value is not shown here"
)


def _is_sensitive_key(key: str) -> bool:
    if not _SENSITIVE_KEY.search(key):
        return False
    return not _REFERENCE_SUFFIX.search(key)


def _shape(value: str) -> str | None:
    for what, found in _VALUE_SHAPES:
        if found(value):
            return what
    return None


def scan(values: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(dotted path, message) for every plaintext secret in cron values and api.env."""
    cron = values.get("cron")
    if isinstance(cron, (dict, list)):
        yield from _walk(cron, "cron")
    api = values.get("api")
    env = api.get("env") if isinstance(api, dict) else None
    if isinstance(env, list):
        for i, item in enumerate(env):
            if not isinstance(item, dict):
                continue
            name, value = item.get("name"), item.get("value")
            path = f"api.env[{i}].value"
            if isinstance(value, str) and value and not _PLACEHOLDER.match(value):
                if isinstance(name, str) and _is_sensitive_key(name):
                    yield (
                        path,
                        (
                            f"environment variable {name} holds a plaintext value that looks like a secret; "
                            f"use valueFrom.secretKeyRef instead ({_ADVICE.split('; ')[1]})"
                        ),
                    )
                elif (what := _shape(value)) is not None:
                    yield (
                        path,
                        f"holds what looks like {what} in plaintext; use valueFrom.secretKeyRef instead "
                        f"({_ADVICE.split('; ')[1]})",
                    )


def _walk(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            sub = f"{path}.{key}"
            if (
                isinstance(value, str)
                and value
                and _is_sensitive_key(str(key))
                and not _PLACEHOLDER.match(value)
            ):
                yield sub, f"looks like a plaintext secret (a literal under a key named {key!s}); {_ADVICE}"
                continue
            yield from _walk(value, sub)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")
    elif isinstance(node, str):
        what = _shape(node)
        if what is not None:
            yield path, f"holds what looks like {what} in plaintext; {_ADVICE}"
