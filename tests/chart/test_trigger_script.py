"""The rendered trigger script, run for real: /bin/sh and BusyBox `sh` (Debian's busybox: the same
ash as the Alpine-based curl image, `make chart-tools`) + curl against a local HTTP server; and the
`helm test` pod's script the same way.

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

    def do_GET(self):  # noqa: N802 - http.server naming
        auth = self.headers.get("Authorization")
        self.seen.append({"path": self.path, "auth": auth, "argv": _argv_with_secret() if auth else []})
        ok = self.path == "/readyz" or (self.path == "/status.json" and auth == f"Bearer {SECRET}")
        status = 200 if ok else 503
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def do_POST(self):  # noqa: N802 - http.server naming
        self.seen.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "argv": _argv_with_secret()}
        )
        if self.path.endswith("/slow"):
            time.sleep(3)
        status = 200 if self.path.split("?")[0].endswith(("/ok", "/slow")) else 500
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


SHELLS = {"sh": ["/bin/sh"], "busybox": [shutil.which("busybox") or "busybox", "sh"]}


@pytest.fixture(scope="module", params=sorted(SHELLS))
def shell(request):
    if request.param == "busybox" and not shutil.which("busybox"):
        pytest.fail("busybox is missing: run `make chart-tools` (Debian's busybox package)")
    return SHELLS[request.param]


@pytest.fixture(scope="module")
def script(helm, shell):
    container = helm.cronjobs()[0]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][:2] == ["/bin/sh", "-c"]
    return [*shell, "-c", container["command"][2]]


def run(command, url, max_time="5.0", extra_env=None):
    env = {"PATH": os.environ["PATH"], "CRON_URL": url, "CRON_MAX_TIME": max_time, "CRON_SECRET": SECRET}
    env.update(extra_env or {})
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)


def test_busybox_is_the_ash_the_curl_image_has():
    exe = shutil.which("busybox")
    assert exe, "busybox is missing: run `make chart-tools`"
    out = subprocess.run([exe, "sh", "-c", "printf '%s' ok; type printf"], capture_output=True, text=True)
    assert (
        out.stdout.startswith("ok") and "builtin" in out.stdout
    )  # so the secret never becomes printf's argv


def test_posts_with_bearer_header_and_no_secret_in_argv(script, server):
    _Handler.seen.clear()
    proc = run(script, f"{server}/api/v1/cron/ok")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == '{"ok": true}'
    (hit,) = _Handler.seen
    assert hit["path"] == "/api/v1/cron/ok"
    assert hit["auth"] == f"Bearer {SECRET}"
    assert hit["argv"] == []  # the header went to curl on stdin, not on a command line


def test_sharded_script_posts_its_shard_from_the_environment(helm, shell, server):
    """cron.schedules.<key>.shards: the pod's JOB_COMPLETION_INDEX and CRON_SHARDS reach the query, quoted."""
    jobs = helm.cronjobs({"cron": {"schedules": {"cleanup": {"shards": 3}}}})
    (sharded,) = [j for j in jobs if j["spec"]["jobTemplate"]["spec"].get("completionMode") == "Indexed"]
    container = sharded["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    _Handler.seen.clear()
    command = [*shell, "-c", container["command"][2]]
    extra = {"JOB_COMPLETION_INDEX": "2", "CRON_SHARDS": env["CRON_SHARDS"]}
    proc = run(command, f"{server}/api/v1/cron/ok", extra_env=extra)
    assert proc.returncode == 0, proc.stderr
    (hit,) = _Handler.seen
    assert hit["path"] == "/api/v1/cron/ok?shard=2&shards=3" and hit["argv"] == []
    # a hostile index stays one quoted word of the URL: no command runs, no second request
    _Handler.seen.clear()
    extra["JOB_COMPLETION_INDEX"] = "$(touch /tmp/pwned-shards);x"
    run(command, f"{server}/api/v1/cron/ok", extra_env=extra)
    assert not Path("/tmp/pwned-shards").exists()


def test_non_2xx_fails_the_run_and_shows_the_body(script, server):
    proc = run(script, f"{server}/api/v1/cron/broken")
    assert proc.returncode == 22  # curl's --fail exit code: the Job fails
    assert '{"error": "boom"}' in proc.stdout


def test_max_time_cuts_a_hanging_handler(script, server):
    proc = run(script, f"{server}/api/v1/cron/slow", max_time="0.9")
    assert proc.returncode == 28  # operation timed out


@pytest.fixture(scope="module")
def test_pod_script(helm, shell):
    (pod,) = [d for d in helm.template() if d["kind"] == "Pod"]
    return [*shell, "-c", pod["spec"]["containers"][0]["command"][2]]


def run_test_pod(command, api_url, path):
    env = {"PATH": os.environ["PATH"], "API_URL": api_url, "TEST_PATH": path, "CRON_SECRET": SECRET}
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)


def test_helm_test_pod_checks_readiness_then_an_authenticated_call(test_pod_script, server):
    _Handler.seen.clear()
    proc = run_test_pod(test_pod_script, server, "/status.json")
    assert proc.returncode == 0, proc.stderr
    ready, call = _Handler.seen
    assert ready == {"path": "/readyz", "auth": None, "argv": []}
    assert call["path"] == "/status.json" and call["auth"] == f"Bearer {SECRET}" and call["argv"] == []
    assert run_test_pod(test_pod_script, server, "/broken.json").returncode == 22


def test_helm_test_pod_fails_when_not_ready(test_pod_script, server):
    _Handler.seen.clear()
    proc = run_test_pod(test_pod_script, f"{server}/down", "/status.json")
    assert proc.returncode == 22
    assert [h["path"] for h in _Handler.seen] == ["/down/readyz"]  # no authenticated call after that
