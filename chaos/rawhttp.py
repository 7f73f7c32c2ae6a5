"""Hand-written HTTP/1.1 over a raw socket: requests no well-behaved client library would send."""

from __future__ import annotations

import contextlib
import socket
import time

from chaos.common import LOOPBACK


class NoAnswer(Exception):
    """The server sent nothing (closed, or nothing within the timeout)."""


def exchange(
    port: int, data: bytes, timeout: float = 15.0, half_close: bool = False, pause_after: float = 0.0
) -> tuple[int, bytes, bytes]:
    """Send ``data``; return (status, head, body-so-far). Raises NoAnswer when nothing came back."""
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as s:
        s.sendall(data)
        if pause_after:
            time.sleep(pause_after)
        if half_close:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_WR)
        buf = b""
        deadline = time.monotonic() + timeout
        try:
            while b"\r\n\r\n" not in buf and time.monotonic() < deadline:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
            if b"\r\n\r\n" in buf and data.startswith(b"HEAD "):
                # an answer to HEAD has no body whatever Content-Length says: anything more is a body
                s.settimeout(0.3)
                with contextlib.suppress(TimeoutError):
                    buf += s.recv(65536)
            elif b"\r\n\r\n" in buf:
                head, body = buf.split(b"\r\n\r\n", 1)
                length = _content_length(head)
                while length is not None and len(body) < length and time.monotonic() < deadline:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    body += chunk
        except TimeoutError as exc:
            if not buf:
                raise NoAnswer(f"no answer within {timeout:.0f} s") from exc
        except ConnectionResetError as exc:
            if not buf:
                raise NoAnswer("connection reset") from exc
    if not buf:
        raise NoAnswer("connection closed without an answer")
    head, _, body = buf.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError) as exc:
        raise NoAnswer(f"not an HTTP answer: {head[:80]!r}") from exc
    return status, head, body


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            try:
                return int(v.strip())
            except ValueError:
                return None
    return None


def request(
    method: str,
    path: str,
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    raw_headers: bytes = b"",
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {LOOPBACK}"] + [f"{k}: {v}" for k, v in headers or []]
    return ("\r\n".join(lines)).encode("latin-1") + b"\r\n" + raw_headers + b"\r\n" + body
