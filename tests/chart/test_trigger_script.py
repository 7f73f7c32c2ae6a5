"""The rendered trigger script, run for real: /bin/sh + curl against a local HTTP server.

Checks what the pod relies on: the bearer header arrives, the secret is in no process's argv
while curl runs, a non-2xx answer fails the run, and --max-time cuts a hanging handler.
"""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

SECRET = "kaireon-test-secret-5f1d3c"  # a test value, not a credential


def _curl_ok() -> bool:
    exe = shutil.which("curl")
    if not exe:
        return False
    out = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.split()
    major, minor = (int(x) for x in out[1].split(".")[:2])
    return (major, minor) >= (7, 76)  # --fail-with-body


pytestmark = pytest.mark.skipif(not _curl_ok(), reason="needs curl >= 7.76 on PATH (the image ships 8.11.1)")


def _argv_with_secret() -> list[str]:
    hits = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if SECRET in cmdline:
                hits.append(cmdline)
    return hits


class _Handler(http.server.BaseHTTPRequestHandler):
    seen: list = []

    def do_POST(self):  # noqa: N802 - http.server naming
        self.seen.append({"path": self.path, "auth": self.headers.get("Authorization"),
                          "argv": _argv_with_secret()})
        if self.path.endswith("/slow"):
            time.sleep(3)
        status = 200 if self.path.endswith(("/ok", "/slow")) else 500
        body = b'{"ok": true}' if status == 200 else b'{"error": "boom"}'
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the timed-out client hangs up on the slow handler: expected


@pytest.fixture(scope="module")
def server():
    srv = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def script(helm):
    container = helm.cronjobs()[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    return container["command"]


def run(command, url, max_time="5.0"):
    env = {"PATH": os.environ["PATH"], "CRON_URL": url, "CRON_MAX_TIME": max_time, "CRON_SECRET": SECRET}
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)


def test_posts_with_bearer_header_and_no_secret_in_argv(script, server):
    _Handler.seen.clear()
    proc = run(script, f"{server}/api/v1/cron/ok")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == '{"ok": true}'
    (hit,) = _Handler.seen
    assert hit["path"] == "/api/v1/cron/ok"
    assert hit["auth"] == f"Bearer {SECRET}"
    assert hit["argv"] == []  # the header went to curl on stdin, not on a command line


def test_non_2xx_fails_the_run_and_shows_the_body(script, server):
    proc = run(script, f"{server}/api/v1/cron/broken")
    assert proc.returncode == 22  # curl's --fail exit code: the Job fails
    assert '{"error": "boom"}' in proc.stdout


def test_max_time_cuts_a_hanging_handler(script, server):
    proc = run(script, f"{server}/api/v1/cron/slow", max_time="0.9")
    assert proc.returncode == 28  # operation timed out
