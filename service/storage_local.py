"""The local-directory object store, confined to its root.

Every operation walks the key's directories from an open descriptor of the root, one segment at a
time, with ``O_NOFOLLOW | O_DIRECTORY`` (``openat``), and acts on the last segment relative to its
directory's descriptor: a symbolic link anywhere below the root is never followed — the key is
refused with a ``StorageError`` naming it — and a link swapped in between a check and the action
cannot redirect it (there is no check-then-use of a path). A delete removes only a regular file. The
root itself is resolved once, when the store is opened (the operator's configured directory may be a
link).

Writes are atomic: the bytes go to a temporary file in the same directory
(``.kaireon-tmp.<pid>.<12 hex>.tmp``: hidden, never ``*.json``), are fsynced, then renamed onto the
final name and the directory is fsynced; a crash mid-write leaves no partial visible file, only a
temporary file that :meth:`LocalStore.remove_stale_temps` recognises and removes once it is stale.
"""

from __future__ import annotations

import builtins
import errno
import os
import stat
import time
from collections.abc import Iterable
from pathlib import Path

from service.storage_keys import (
    STALE_TEMP_SECONDS,
    DeleteReport,
    StorageError,
    clean_key,
    is_temp_name,
    short_error,
    show,
    temp_name,
)

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class LocalStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        self.url = str(self.root)

    # -- confinement ---------------------------------------------------------------------------
    def _open_dir(self, key: str, parts: list[str], *, create: bool) -> int:
        """A descriptor of the directory ``parts`` below the root, walked without following links.

        ``FileNotFoundError`` when a directory is missing (and ``create`` is false); ``StorageError``
        when a segment is a link or not a directory."""
        if create:
            self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root, _DIR_FLAGS)
        try:
            for i, name in enumerate(parts):
                try:
                    nfd = os.open(name, _DIR_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    try:
                        os.mkdir(name, 0o750, dir_fd=fd)
                    except FileExistsError:
                        pass
                    nfd = os.open(name, _DIR_FLAGS, dir_fd=fd)
                except OSError as exc:
                    if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                        raise StorageError(self._refusal(key, parts[: i + 1], fd, name)) from None
                    raise
                os.close(fd)
                fd = nfd
            return fd
        except BaseException:
            os.close(fd)
            raise

    def _refusal(self, key: str, parts: list[str], dir_fd: int, name: str) -> str:
        where = "/".join(parts)
        try:
            mode = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
        except OSError:
            mode = 0
        what = "a symbolic link (links are not followed)" if stat.S_ISLNK(mode) else "not a directory"
        return f"storage key {show(key)} refused: {show(where)} is {what}"

    def _leaf(self, key: str) -> tuple[list[str], str]:
        parts = clean_key(key).split("/")
        return parts[:-1], parts[-1]

    def _leaf_mode(self, key: str, dir_fd: int, name: str) -> int | None:
        """The mode of the last segment without following it; None when it does not exist."""
        try:
            return os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
        except FileNotFoundError:
            return None

    def check(self, key: str) -> None:
        """``StorageError`` when ``key`` is refused: invalid, or an existing segment is a link (or the
        last one exists and is not a regular file). A key that does not exist yet is fine."""
        mode = self._existing_mode(key)
        if mode is not None and not stat.S_ISREG(mode):
            raise _not_regular(key, mode)

    def _existing_mode(self, key: str) -> int | None:
        """The mode of ``key``'s last segment without following it; None when it (or a directory above
        it) does not exist."""
        dirs, name = self._leaf(key)
        try:
            dfd = self._open_dir(key, dirs, create=False)
        except FileNotFoundError:
            return None
        try:
            return self._leaf_mode(key, dfd, name)
        finally:
            os.close(dfd)

    # -- operations ----------------------------------------------------------------------------
    def put(self, key: str, data: bytes) -> None:
        dirs, name = self._leaf(key)
        dfd = self._open_dir(key, dirs, create=True)
        try:
            if (mode := self._leaf_mode(key, dfd, name)) is not None and not stat.S_ISREG(mode):
                raise StorageError(
                    f"storage key {show(key)} refused: the existing entry is not a regular file"
                )
            tmp = temp_name()
            created = False
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o640, dir_fd=dfd)
                created = True
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view) :]
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.replace(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
            except BaseException:
                if created:
                    try:
                        os.unlink(tmp, dir_fd=dfd)
                    except FileNotFoundError:
                        pass
                raise
            try:
                os.fsync(dfd)
            except OSError:  # pragma: no cover - file systems without directory fsync
                pass
        finally:
            os.close(dfd)

    def get(self, key: str) -> bytes:
        dirs, name = self._leaf(key)
        dfd = self._open_dir(key, dirs, create=False)
        try:
            try:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), dir_fd=dfd)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise StorageError(f"storage key {show(key)} refused: it is a symbolic link") from None
                raise
        finally:
            os.close(dfd)
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise StorageError(f"storage key {show(key)} refused: not a regular file")
            return f.read()

    def exists(self, key: str) -> bool:
        mode = self._existing_mode(key)
        return mode is not None and stat.S_ISREG(mode)

    def delete_many(self, keys: Iterable[str]) -> DeleteReport:
        report = DeleteReport()
        for key in keys:
            try:
                outcome = self._delete(key)
            except (OSError, StorageError) as exc:
                report.failed[key] = short_error(exc)
                continue
            (report.deleted if outcome else report.missing).append(key)
        return report

    def _delete(self, key: str) -> bool:
        """True when the file was removed, False when it was already gone."""
        dirs, name = self._leaf(key)
        try:
            dfd = self._open_dir(key, dirs, create=False)
        except FileNotFoundError:
            return False
        try:
            mode = self._leaf_mode(key, dfd, name)
            if mode is None:
                return False
            if not stat.S_ISREG(mode):
                raise _not_regular(key, mode)
            try:
                os.unlink(name, dir_fd=dfd)
            except FileNotFoundError:
                return False
            return True
        finally:
            os.close(dfd)

    def list(self, prefix: str = "") -> list[str]:
        """Every regular file below ``prefix`` (links are neither listed nor followed)."""
        base = self.root / clean_key(prefix) if prefix else self.root
        if base.is_symlink() or not base.is_dir():
            return []
        out: builtins.list[str] = []
        for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
            d = Path(dirpath)
            dirnames[:] = [n for n in dirnames if not (d / n).is_symlink()]
            out.extend(
                (d / n).relative_to(self.root).as_posix()
                for n in filenames
                if stat.S_ISREG(os.lstat(d / n).st_mode)
            )
        return sorted(out)

    def remove_stale_temps(self, prefix: str, older_than: float = STALE_TEMP_SECONDS) -> builtins.list[str]:
        """Remove this project's temporary files directly in the directory ``prefix`` that were not
        modified for ``older_than`` seconds (a crash's leftovers); the removed keys. Other files, and
        temporary files of a write still in progress, are left alone."""
        dirs = clean_key(prefix).split("/") if prefix else []
        try:
            dfd = self._open_dir(prefix or ".", dirs, create=False)
        except (FileNotFoundError, StorageError):
            return []
        removed: builtins.list[str] = []
        limit = time.time() - older_than
        try:
            with os.scandir(dfd) as entries:
                for entry in entries:
                    if not is_temp_name(entry.name):
                        continue
                    st = entry.stat(follow_symlinks=False)
                    if stat.S_ISREG(st.st_mode) and st.st_mtime < limit:
                        try:
                            os.unlink(entry.name, dir_fd=dfd)
                        except FileNotFoundError:
                            continue
                        removed.append(f"{prefix}/{entry.name}" if prefix else entry.name)
        finally:
            os.close(dfd)
        return removed


def _not_regular(key: str, mode: int) -> StorageError:
    """The refusal of a key whose last segment exists but is not a regular file."""
    what = "a symbolic link (links are not followed)" if stat.S_ISLNK(mode) else "not a regular file"
    return StorageError(f"storage key {show(key)} refused: it is {what}")
