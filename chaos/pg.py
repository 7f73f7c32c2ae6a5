"""A private PostgreSQL instance the campaign may stop and freeze (Debian's initdb/pg_ctl).

Never the shared server: a fresh cluster in its own temporary directory on a free loopback port,
with ``fsync=off`` (throw-away data; a process crash
keeps what the OS has). Commits stay synchronous: ``synchronous_commit=off`` would let a crash stop
lose committed transactions (a lease taken, then released, coming back held) — a fault of the test
set-up, not of the service. As root it runs as the ``postgres`` OS user. ``freeze()``
sends SIGSTOP to the postmaster and every backend (a hung server: connections are accepted by the
kernel, nothing answers); ``thaw()`` sends SIGCONT; ``stop("immediate")`` is a crash stop.

``KAIREON_CHAOS_PG_TEMPLATE`` may name an initialised data directory to copy instead of running
initdb again (the campaign makes one per run).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text

from chaos.common import LOOPBACK, free_port


def _pg_bin() -> Path:
    """``KAIREON_CHAOS_PG_BIN``, else the newest ``/usr/lib/postgresql/<version>/bin`` (Debian)."""
    if os.environ.get("KAIREON_CHAOS_PG_BIN"):
        return Path(os.environ["KAIREON_CHAOS_PG_BIN"])
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()
TEMPLATE_ENV = "KAIREON_CHAOS_PG_TEMPLATE"


class PgError(RuntimeError):
    pass


def _os_user() -> str | None:
    """The user PostgreSQL runs as: ``postgres`` when we are root, else ourselves (None)."""
    return "postgres" if os.geteuid() == 0 else None


def _prepare_dir(prefix: str) -> Path:
    d = Path(tempfile.mkdtemp(prefix=prefix))
    d.chmod(0o755)
    user = _os_user()
    if user:
        shutil.chown(d, user, user)
    return d


def _run(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    for exe in (args[0],):
        if not Path(exe).exists():
            raise PgError(f"{exe} not found: install Debian's postgresql (make install does, as root)")
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, user=_os_user())
    if proc.returncode != 0:
        raise PgError(
            f"{Path(args[0]).name} failed ({proc.returncode}): {(proc.stderr or proc.stdout)[-500:]}"
        )
    return proc


def _initdb(data: Path) -> None:
    """Initialise a trust-auth, UTF-8, C-locale data directory at ``data``."""
    _run(
        [
            str(PG_BIN / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ],
        timeout=120,
    )


def make_template() -> Path:
    """An initialised, never-started data directory (copied by :class:`PgCluster`)."""
    base = _prepare_dir("kaireon-chaos-pgtpl-")
    data = base / "data"
    _initdb(data)
    return data


class PgCluster:
    def __init__(self) -> None:
        self.base = _prepare_dir("kaireon-chaos-pg-")
        self.data = self.base / "data"
        self.port = free_port()
        self.running = False
        template = os.environ.get(TEMPLATE_ENV)
        if template and Path(template, "PG_VERSION").exists():
            cmd = ["cp", "-a", template, str(self.data)]
            subprocess.run(cmd, check=True, timeout=60, user=_os_user())
        else:
            _initdb(self.data)

    # -- life cycle -------------------------------------------------------------------------------
    def start(self) -> PgCluster:
        opts = (
            f"-p {self.port} -c listen_addresses={LOOPBACK} -k {self.base} -c fsync=off "
            "-c max_connections=200"
        )
        _run(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.base / "server.log"),
                "-o",
                opts,
                "-w",
                "-t",
                "60",
                "start",
            ],
            timeout=90,
        )
        self.running = True
        return self

    def stop(self, mode: str = "immediate") -> None:
        self.thaw()
        _run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"], timeout=90)
        self.running = False

    def close(self) -> None:
        """Stop (if running) and remove the cluster; never raises."""
        try:
            if self.running or (self.data / "postmaster.pid").exists():
                self.stop("immediate")
        except Exception:  # noqa: BLE001 - last resort: kill our own postmaster by pid
            pid = self.postmaster_pid()
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        shutil.rmtree(self.base, ignore_errors=True)

    # -- faults -----------------------------------------------------------------------------------
    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def pids(self) -> list[int]:
        """The postmaster and its children (backends, checkpointer, ...)."""
        root = self.postmaster_pid()
        if root is None:
            return []
        found = [root]
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path("/proc", entry, "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == root:
                found.append(int(entry))
        return found

    def _signal_all(self, sig: int) -> None:
        for pid in self.pids():
            try:
                os.kill(pid, sig)
            except OSError:
                pass

    def freeze(self) -> None:
        self._signal_all(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal_all(signal.SIGCONT)

    # -- URLs -------------------------------------------------------------------------------------
    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@{LOOPBACK}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        eng = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with eng.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            eng.dispose()
        return self.url(name)

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
