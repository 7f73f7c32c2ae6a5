"""Object stores for AI-attachment blobs and interaction exports.

One small interface, three back ends, chosen by the URL in ``ATTACHMENT_STORAGE_URL`` /
``EXPORT_STORAGE_URL``:

* a local directory (a plain path or ``file://``), :class:`service.storage_local.LocalStore`: writes
  are atomic — the bytes go to a hidden temporary file in the same directory whose name does not end
  in ``.json`` (``.kaireon-tmp.<pid>.<rand>.tmp``, so no ``*.json`` glob of DuckDB/Spark/Athena ever
  sees it), are fsynced, then renamed onto the final name and the directory is fsynced. A crash
  mid-write leaves no partial visible file, only a temporary file a later run removes once stale.
* ``s3://bucket/prefix`` through boto3: one ``PutObject`` per object (an object appears whole or not
  at all); deletes use ``DeleteObjects`` (1000 keys per request). boto3 honours the standard AWS
  variables, including ``AWS_ENDPOINT_URL`` for S3-compatible servers (MinIO, moto).
* ``gs://bucket/prefix`` through fsspec/gcsfs (optional: install ``gcsfs``); one upload per object.

Keys are relative, ``/``-separated paths (``exports/t1/.../batch-….json``) with one canonical form
(:func:`service.storage_keys.clean_key`). A key that is absolute, climbs out of the root (``..``),
holds NUL or a control character, or is too long is refused, so a hostile ``storage_key`` row cannot
reach outside; the local store also never follows a symbolic link below its root
(:mod:`service.storage_local`). Every operation reports a refused key as a ``StorageError`` (or a
``failed`` entry of a delete report) naming it, escaped with :func:`service.storage_keys.show`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any, Protocol
from urllib.parse import urlparse

import fsspec

from service.config import Settings
from service.storage_keys import (
    STALE_TEMP_SECONDS,
    DeleteReport,
    StorageError,
    clean_key,
    is_temp_name,
    segment_problem,
    show,
    temp_name,
)
from service.storage_keys import short_error as _short
from service.storage_local import LocalStore

__all__ = [
    "STALE_TEMP_SECONDS",
    "DeleteReport",
    "FsspecStore",
    "LocalStore",
    "S3Store",
    "Store",
    "StorageError",
    "attachment_store",
    "clean_key",
    "export_store",
    "is_temp_name",
    "open_store",
    "segment_problem",
    "show",
    "temp_name",
]

log = logging.getLogger(__name__)

DELETED = "deleted"
MISSING = "missing"


class Store(Protocol):
    url: str

    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def delete_many(self, keys: Iterable[str]) -> DeleteReport: ...
    def check(self, key: str) -> None: ...  # StorageError when the key is refused
    def remove_stale_temps(self, prefix: str, older_than: float = STALE_TEMP_SECONDS) -> list[str]: ...
    def list(self, prefix: str = "") -> list[str]: ...  # last: below it, `list` names this method


# --------------------------------------------------------------------------------------------------
# S3 (boto3)
# --------------------------------------------------------------------------------------------------
class S3Store:
    """``s3://bucket/prefix``. Credentials, region and endpoint come from the standard AWS chain."""

    def __init__(self, url: str, client: Any = None) -> None:  # boto3's client: untyped (no stubs)
        parsed = urlparse(url)
        if not parsed.netloc:
            raise StorageError(f"{url!r}: an s3:// URL needs a bucket (s3://bucket/prefix)")
        self.url = url
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        if client is None:
            # lazy: only an s3:// store needs boto3: ~120 ms, ~7 MB RSS per process (-X importtime)
            import boto3

            client = boto3.client("s3")
        self.client = client

    def _key(self, key: str) -> str:
        k = clean_key(key)
        return f"{self.prefix}/{k}" if self.prefix else k

    def check(self, key: str) -> None:
        self._key(key)

    def remove_stale_temps(self, prefix: str, older_than: float = STALE_TEMP_SECONDS) -> list[str]:
        return []  # one PutObject per object: no temporary objects

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def get(self, key: str) -> bytes:
        obj = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        data: bytes = obj["Body"].read()
        return data

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except self.client.exceptions.ClientError as exc:  # botocore's, without importing botocore here
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def delete_many(self, keys: Iterable[str]) -> DeleteReport:
        """``DeleteObjects`` in chunks of 1000. S3 reports a key that was already gone as deleted."""
        report = DeleteReport()
        chunk: list[tuple[str, str]] = []
        for key in keys:
            try:
                chunk.append((key, self._key(key)))
            except StorageError as exc:
                report.failed[key] = _short(exc)
                continue
            if len(chunk) == 1000:
                self._delete_chunk(chunk, report)
                chunk = []
        if chunk:
            self._delete_chunk(chunk, report)
        return report

    def _delete_chunk(self, chunk: list[tuple[str, str]], report: DeleteReport) -> None:
        by_full = {full: key for key, full in chunk}
        try:
            resp = self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": full} for _, full in chunk], "Quiet": False},
            )
        except Exception as exc:  # noqa: BLE001 - network/permission: every key of the chunk failed
            reason = _short(exc)
            for key, _ in chunk:
                report.failed[key] = reason
            return
        for item in resp.get("Deleted", []):
            report.deleted.append(by_full.get(item["Key"], item["Key"]))
        for item in resp.get("Errors", []):
            report.failed[by_full.get(item["Key"], item["Key"])] = (
                f"{item.get('Code')}: {item.get('Message')}"
            )

    def list(self, prefix: str = "") -> list[str]:
        full_prefix = self._key(prefix) if prefix else self.prefix
        if full_prefix and not full_prefix.endswith("/"):
            full_prefix += "/"
        out: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=full_prefix):
            for obj in page.get("Contents", []):
                k = obj["Key"]
                out.append(k[len(self.prefix) + 1 :] if self.prefix else k)
        return sorted(out)


# --------------------------------------------------------------------------------------------------
# fsspec (gs:// and other remote file systems)
# --------------------------------------------------------------------------------------------------
class FsspecStore:
    def __init__(self, url: str, variable: str) -> None:
        parsed = urlparse(url)
        try:
            self.fs = fsspec.filesystem(parsed.scheme)
        except ImportError as exc:
            extra = "gcsfs" if parsed.scheme in ("gs", "gcs") else f"the fsspec driver for {parsed.scheme}://"
            raise StorageError(
                f"{variable}={url}: the {parsed.scheme}:// back end needs {extra} installed "
                f"(pip install {extra if extra == 'gcsfs' else 'fsspec[...]'})"
            ) from exc
        except ValueError as exc:
            raise StorageError(f"{variable}={url}: unsupported scheme {parsed.scheme!r}") from exc
        self.url = url
        self.root = f"{parsed.netloc}/{parsed.path.strip('/')}".rstrip("/")

    def _path(self, key: str) -> str:
        return f"{self.root}/{clean_key(key)}"

    def check(self, key: str) -> None:
        self._path(key)

    def remove_stale_temps(self, prefix: str, older_than: float = STALE_TEMP_SECONDS) -> list[str]:
        return []  # one upload per object: no temporary objects

    def put(self, key: str, data: bytes) -> None:
        self.fs.pipe_file(self._path(key), data)

    def get(self, key: str) -> bytes:
        data: bytes = self.fs.cat_file(self._path(key))
        return data

    def exists(self, key: str) -> bool:
        return bool(self.fs.exists(self._path(key)))

    def delete_many(self, keys: Iterable[str]) -> DeleteReport:
        report = DeleteReport()
        for key in keys:
            try:
                self.fs.rm_file(self._path(key))
                report.deleted.append(key)
            except FileNotFoundError:
                report.missing.append(key)
            except Exception as exc:  # noqa: BLE001
                report.failed[key] = _short(exc)
        return report

    def list(self, prefix: str = "") -> list[str]:
        base = self._path(prefix) if prefix else self.root
        try:
            found = self.fs.find(base)
        except FileNotFoundError:
            return []
        root = self.fs._strip_protocol(self.root).rstrip("/")  # e.g. memory:// adds a leading "/"
        return sorted(p[len(root) :].lstrip("/") if p.startswith(root) else p for p in found)


# --------------------------------------------------------------------------------------------------
# Factories
# --------------------------------------------------------------------------------------------------
def open_store(url: str, variable: str = "STORAGE_URL") -> Store:
    """The store for ``url``; ``variable`` names the setting in error messages."""
    if not url or not url.strip():
        raise StorageError(f"{variable} is empty; use a directory, s3://bucket/prefix or gs://bucket/prefix")
    url = url.strip()
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme in ("", "file") or (len(scheme) == 1 and os.name == "nt"):
        return LocalStore(parsed.path if scheme == "file" else url)
    if scheme in ("s3", "s3a"):
        if not parsed.netloc:
            raise StorageError(f"{variable}={url}: an s3:// URL needs a bucket (s3://bucket/prefix)")
        return S3Store(url)
    if scheme in ("gs", "gcs"):
        if not parsed.netloc:
            raise StorageError(f"{variable}={url}: a gs:// URL needs a bucket (gs://bucket/prefix)")
        return FsspecStore(url, variable)
    raise StorageError(
        f"{variable}={url}: unsupported scheme {scheme!r}; use a directory, s3://bucket/prefix or gs://bucket/prefix"
    )


def attachment_store(settings: Settings) -> Store:
    return open_store(settings.attachment_storage_url, "ATTACHMENT_STORAGE_URL")


def export_store(settings: Settings) -> Store:
    return open_store(settings.export_storage_url, "EXPORT_STORAGE_URL")
