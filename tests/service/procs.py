"""Real processes for fault-injection tests: a private PostgreSQL instance and `kaireon-service serve`.

:class:`PrivatePostgres` runs its own cluster (Debian's ``initdb``/``pg_ctl``) in a temp directory on
a free port, so a test may stop, restart or freeze (SIGSTOP) it without touching the shared server.
As root it runs as the ``postgres`` system user (PostgreSQL refuses to run as root).

:class:`ServeProcess` starts ``kaireon-service serve`` (through ``tests/service/serve_with_test_jobs.py``,
which can add a slow test job) on a free port and waits until ``/healthz`` answers.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def pg_bin() -> Path | None:
    """The newest Debian PostgreSQL bin directory with initdb and pg_ctl, or None."""
    for d in sorted(
        glob.glob(PG_BIN_GLOB),
        key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0,
        reverse=True,
    ):
        if os.path.exists(os.path.join(d, "initdb")) and os.path.exists(os.path.join(d, "pg_ctl")):
            return Path(d)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    def __init__(self, root: Path) -> None:
        bindir = pg_bin()
        if bindir is None:
            raise RuntimeError("initdb/pg_ctl not found (apt-get install postgresql)")
        self.bin = bindir
        self.root = root
        self.data = root / "data"
        self.sock = root / "sock"
        self.port = 0
        self._user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            self._user = pwd.getpwnam("postgres")

    @classmethod
    def in_temp_dir(cls) -> PrivatePostgres:
        """A cluster in a fresh directory under the system temp dir (pytest's tmp_path is private to
        root, which the ``postgres`` user cannot enter)."""
        root = Path(tempfile.mkdtemp(prefix="kaireon-pg-"))
        os.chmod(root, 0o755)
        return cls(root / "cluster")

    # -- process helpers ----------------------------------------------------------------------------
    def _demote(self) -> None:  # pragma: no cover - runs in the child
        assert self._user is not None
        os.setgid(self._user.pw_gid)
        os.setuid(self._user.pw_uid)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(a) for a in args],
            check=check,
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=self._demote if self._user else None,
            cwd=self.root,
        )

    # -- lifecycle ----------------------------------------------------------------------------------
    def init(self) -> PrivatePostgres:
        self.root.mkdir(parents=True, exist_ok=True)
        self.sock.mkdir(exist_ok=True)
        if self._user is not None:
            for p in (self.root, self.sock):
                os.chown(p, self._user.pw_uid, self._user.pw_gid)
        out = self._run(
            self.bin / "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"initdb failed: {out.stderr[-2000:]}")
        return self

    def start(self) -> None:
        last = ""
        for _attempt in range(5):
            if not self.port:
                self.port = free_port()
            out = self._pg_ctl_start(check=False)
            if out.returncode == 0:
                return
            last = out.stdout + out.stderr
            self.port = 0  # port taken meanwhile: try another
        raise RuntimeError(f"private PostgreSQL did not start: {last}")

    def restart_same_port(self) -> None:
        """Start again on the port it had (clients keep their URL)."""
        self._pg_ctl_start(check=True)

    def _pg_ctl_start(self, *, check: bool) -> subprocess.CompletedProcess[str]:
        """``pg_ctl start`` on ``self.port``, waiting up to 60 s."""
        opts = (
            f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c max_connections=60"
        )
        return self._run(
            self.bin / "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            opts,
            "-l",
            str(self.root / "log"),
            "-w",
            "-t",
            "60",
            "start",
            check=check,
        )

    def ensure_running(self) -> None:
        """Start it again (same port) if a test left it stopped."""
        if self._run(self.bin / "pg_ctl", "-D", str(self.data), "status", check=False).returncode != 0:
            self.restart_same_port()

    def stop(self, mode: str = "immediate") -> None:
        self._run(self.bin / "pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def pids(self) -> list[int]:
        """The postmaster and every backend/auxiliary process."""
        pidfile = self.data / "postmaster.pid"
        master = int(pidfile.read_text().splitlines()[0])
        out = [master]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                if ppid == master:
                    out.append(int(entry))
        return out

    def freeze(self) -> None:
        for pid in self.pids():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        from sqlalchemy import create_engine, text

        eng = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        eng.dispose()
        return self.url(name)

    def close(self) -> None:
        try:
            self.thaw()
        except (OSError, ValueError, IndexError):
            pass
        self.stop("immediate")
        shutil.rmtree(
            self.root.parent if self.root.parent.name.startswith("kaireon-pg-") else self.root,
            ignore_errors=True,
        )


def service_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("SIEM_", "CRON_", "DATABASE_URL", "PORT", "DB_", "READYZ_", "SHUTDOWN_", "LEASE_", "KT_")
        )
    }
    env.update(DATABASE_URL=database_url, CRON_SECRET=SECRET, IN_PROCESS_SCHEDULER="false", LOG_LEVEL="INFO")
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra)
    return env


SECRET = "test-cron-secret-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {SECRET}"}


class ServeProcess:
    """``kaireon-service serve`` in a subprocess (optionally with the slow test job registered)."""

    def __init__(
        self, env: dict[str, str], cwd: Path, *, test_jobs: bool = False, migrate: bool = True
    ) -> None:
        self.env, self.cwd, self.test_jobs, self.migrate = env, cwd, test_jobs, migrate
        self.port = 0
        self.proc: subprocess.Popen[str] | None = None
        self._out_path = self._err_path = cwd / "serve.log"
        self.out = self.err = ""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> ServeProcess:
        self.spawn()
        self.wait_healthy(timeout)
        return self

    def spawn(self) -> None:
        self.port = free_port()
        entry = (
            [sys.executable, str(HERE / "serve_with_test_jobs.py")]
            if self.test_jobs
            else [sys.executable, "-m", "service.cli"]
        )
        args = [*entry, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if not self.migrate:
            args.append("--no-migrate")
        # logs go to files: an unread pipe fills up and then blocks the server's logging
        self._out_path = self.cwd / f"serve-{self.port}.out"
        self._err_path = self.cwd / f"serve-{self.port}.err"
        with open(self._out_path, "w") as out, open(self._err_path, "w") as err:
            self.proc = subprocess.Popen(
                args, env=self.env, cwd=self.cwd, stdout=out, stderr=err, text=True, start_new_session=True
            )

    def wait_healthy(self, timeout: float = 60.0) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._collect()
                raise RuntimeError(f"serve exited with {self.proc.returncode}: {self.err[-2000:]}")
            try:
                if httpx.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("serve did not answer /healthz in time")

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 30.0) -> int:
        """Exit status (raises subprocess.TimeoutExpired on a hang)."""
        assert self.proc is not None
        self.proc.wait(timeout=timeout)
        self._collect()
        return self.proc.returncode

    def _collect(self) -> None:
        self.out = self._out_path.read_text()
        self.err = self._err_path.read_text()

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
            self._collect()
