"""``/status`` in a real headless browser (Debian's chromium, `make browser-tools`): a real
``kaireon-service serve`` with data from real runs, the page loaded by chromium, its DOM checked,
and a phone-sized screenshot (390x844) that must be a PNG of that size and not blank.

Chromium cannot send an ``Authorization`` header from the command line, so the test puts a small
forwarding proxy (test code only) between the browser and the service that adds the bearer
STATUS_TOKEN; the service itself accepts no token in a URL or cookie."""

from __future__ import annotations

import http.server
import importlib.util
import shutil
import struct
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import httpx
import pytest

_spec = importlib.util.spec_from_file_location("kaireon_tests_procs", Path(__file__).with_name("procs.py"))
procs = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
if not hasattr(procs, "ServeProcess"):
    _spec.loader.exec_module(procs)

CHROMIUM = shutil.which("chromium")
STATUS_TOKEN = "browser-status-token-0123456789abcdef"


def _proxy(upstream: str) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            r = httpx.get(
                upstream + self.path, headers={"Authorization": f"Bearer {STATUS_TOKEN}"}, timeout=30
            )
            self.send_response(r.status_code)
            self.send_header("Content-Type", r.headers.get("content-type", "text/plain"))
            self.send_header("Content-Length", str(len(r.content)))
            self.end_headers()
            self.wfile.write(r.content)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)


def _png(path: Path) -> tuple[int, int, set[bytes]]:
    """Width, height and a sample of the distinct (filtered) pixel bytes of an 8-bit PNG: a blank
    image filters to one value (no imaging library needed)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8
            channels = {2: 3, 6: 4, 0: 1, 4: 2}[color]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels + 1
    pixels = {
        raw[i * stride + 1 + j : i * stride + 1 + j + channels]
        for i in range(0, height, 7)
        for j in range(0, width * channels, channels * 5)
    }
    return width, height, pixels


@pytest.fixture
def served(db_url, tmp_path):
    if CHROMIUM is None:
        pytest.fail("chromium is missing: run `make browser-tools` (Debian's chromium package)")
    proc = procs.ServeProcess(procs.service_env(db_url, STATUS_TOKEN=STATUS_TOKEN), tmp_path).start(90)
    try:
        for route in ("approvals-expire", "outbox-reaper"):
            r = httpx.post(proc.base + f"/api/v1/cron/{route}", headers=procs.AUTH, timeout=60)
            assert r.status_code == 200, r.text
        proxy = _proxy(proc.base)
        try:
            yield f"http://127.0.0.1:{proxy.server_address[1]}"
        finally:
            proxy.shutdown()
    finally:
        proc.close()


def test_status_page_in_chromium(served, tmp_path):
    assert httpx.get(served + "/status.json").status_code == 200  # through the proxy: authenticated
    dom = _chromium(tmp_path, "--dump-dom", served + "/status?refresh=60")
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = dom.stdout
    assert "<h1>kaireon-service status</h1>" in page
    assert 'id="route-approvals-expire" data-outcome="success"' in page
    assert 'id="route-outbox-reaper" data-outcome="success"' in page
    assert 'id="route-cleanup" data-outcome="—"' in page  # never run
    assert 'name="viewport"' in page and 'http-equiv="refresh" content="60"' in page
    assert "*/15 * * * * (UTC)" in page

    shot = tmp_path / "status.png"
    r = _chromium(
        tmp_path, f"--screenshot={shot}", "--window-size=390,844", "--hide-scrollbars", served + "/status"
    )
    assert r.returncode == 0 and shot.exists(), r.stderr[-2000:]
    width, height, pixels = _png(shot)
    assert (width, height) == (390, 844)
    assert len(pixels) > 3, "the screenshot is blank"
