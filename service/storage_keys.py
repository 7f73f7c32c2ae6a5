"""The rules every object store shares: what a key and a path segment may be, the delete report and
the name of a temporary file.

A key is a relative, ``/``-separated path. :func:`clean_key` is its one canonical form (``a//b/./c``
and ``a\\b`` become ``a/b/c`` and ``a/b``): the object a key names is the object of its canonical
form in every back end, so two rows reference the same blob exactly when their canonical keys are
equal. A key is refused (``StorageError``) when it is empty, absolute, climbs out of the root, holds
NUL or another control character, a lone surrogate, a segment over 255 UTF-8 bytes or more than 1024
UTF-8 bytes in all (S3's limit). :func:`show` renders any untrusted value safely for a message.
"""

from __future__ import annotations

import os
import posixpath
import re
import secrets
import unicodedata
from dataclasses import dataclass, field

MAX_KEY_BYTES = 1024  # S3's limit for a whole key
MAX_SEGMENT_BYTES = 255  # NAME_MAX of every common file system
_SHOW_CHARS = 100

# Temporary files of an atomic local write: ``.kaireon-tmp.<pid>.<12 hex>.tmp``. Hidden, and never
# ending in ``.json``, so no reader's ``*.json`` glob sees one; recognisable, so a later run removes
# the ones a crash left behind (:func:`is_temp_name`). ``.batch-….json.<12 hex>.tmp`` is the name
# earlier releases used for export batches; it is recognised too, so their leftovers go as well.
TEMP_PREFIX = ".kaireon-tmp."
TEMP_SUFFIX = ".tmp"
_TEMP_RE = re.compile(r"\.kaireon-tmp\.[0-9]+\.[0-9a-f]{12}\.tmp|\.batch-[^/]*\.json\.[0-9a-f]{12}\.tmp")
# A temporary file untouched for this long is a crash's leftover (a live write touches it every
# write() and renames it away within seconds); a later run removes it.
STALE_TEMP_SECONDS = 3600


class StorageError(Exception):
    """A store cannot be opened, a key is refused, or an operation failed; the message names the key."""


@dataclass
class DeleteReport:
    """Outcome of a best-effort multi-delete: which keys went, which were already gone, which failed."""

    deleted: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # key -> short reason


def show(value: object) -> str:
    """A quoted, ASCII-only, bounded rendering of an untrusted value (control characters, NUL and
    non-ASCII escaped, at most ~100 characters of it shown): safe in a log line or a JSON error."""
    text = value if isinstance(value, str) else repr(value)
    pieces: list[str] = []
    size = 0
    for ch in text:
        piece = ascii(ch)[1:-1] if ch != "'" else "\\'"
        if size + len(piece) > _SHOW_CHARS:
            return "'" + "".join(pieces) + f"'... ({len(text)} chars)"
        pieces.append(piece)
        size += len(piece)
    return "'" + "".join(pieces) + "'"


def unsafe_char(text: str) -> str | None:
    """A description of the first character not allowed in a key or a segment, else None."""
    for ch in text:
        if ch == "\x00":
            return "NUL"
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Zl", "Zp"):
            return f"control character U+{ord(ch):04X}"
        if cat == "Cs":
            return f"lone surrogate U+{ord(ch):04X}"
    return None


def segment_problem(segment: object) -> str | None:
    """Why ``segment`` cannot be one path segment (a tenant id in an export key), else None."""
    if not isinstance(segment, str) or not segment:
        return "it is empty"
    if segment in (".", ".."):
        return f"{segment!r} is a relative path component"
    if "/" in segment or "\\" in segment:
        return "it contains a path separator ('/' or '\\')"
    bad = unsafe_char(segment)
    if bad:
        return f"it contains {bad}"
    if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
        return f"it is longer than {MAX_SEGMENT_BYTES} UTF-8 bytes"
    return None


def clean_key(key: object) -> str:
    """The canonical form of a relative key; ``StorageError`` for a key that is refused."""
    if not isinstance(key, str) or not key:
        raise StorageError(f"invalid storage key {show(key)}: must be a non-empty relative path")
    bad = unsafe_char(key)
    if bad:
        raise StorageError(f"invalid storage key {show(key)}: contains {bad}")
    k = key.replace("\\", "/")
    if k.startswith("/") or (len(k) > 1 and k[1] == ":"):
        raise StorageError(f"invalid storage key {show(key)}: must be relative, not absolute")
    norm = posixpath.normpath(k)
    if norm in (".", "") or norm == ".." or norm.startswith("../"):
        raise StorageError(f"invalid storage key {show(key)}: must stay inside the store root")
    if len(norm.encode("utf-8")) > MAX_KEY_BYTES:
        raise StorageError(f"invalid storage key {show(key)}: longer than {MAX_KEY_BYTES} UTF-8 bytes")
    if any(len(part.encode("utf-8")) > MAX_SEGMENT_BYTES for part in norm.split("/")):
        raise StorageError(
            f"invalid storage key {show(key)}: a segment is longer than {MAX_SEGMENT_BYTES} UTF-8 bytes"
        )
    return norm


def temp_name() -> str:
    """A fresh temporary file name of this process (``.kaireon-tmp.<pid>.<12 hex>.tmp``)."""
    return f"{TEMP_PREFIX}{os.getpid()}.{secrets.token_hex(6)}{TEMP_SUFFIX}"


def is_temp_name(name: str) -> bool:
    """True for the name of a temporary file an atomic write of this project creates."""
    return _TEMP_RE.fullmatch(name) is not None


def short_error(exc: BaseException) -> str:
    """``Type: first line`` (at most 300 characters) of an exception."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__
