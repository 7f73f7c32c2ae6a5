"""An httpx client whose every socket operation ends by one wall-clock deadline (the run's budget).

httpx's timeouts bound each read, not a request: a SIEM that trickles its answer one byte a second
never trips a 10 s read timeout and can hold a run for as long as it likes. Here every connect, TLS
handshake, write and read of the client's connections gets ``min(its timeout, deadline - now)``
and fails with a timeout once the deadline has passed, so no request outlives the run's budget,
whether the server trickles its headers or its body.

The deadline lives in the network backend of the client's connection pool (httpcore's public
``NetworkBackend`` interface). httpx's ``HTTPTransport`` takes no backend argument, so
:class:`DeadlineTransport` builds the pool itself; an ``HTTPS_PROXY``/``HTTP_PROXY`` from the
environment is honoured through httpcore's proxy pool with the same backend.
"""

from __future__ import annotations

import functools
import ssl
import time
import typing
import urllib.request
from collections.abc import Callable

import httpcore
import httpx

Clock = Callable[[], float]


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadline: Callable[[], float], clock: Clock) -> None:
        self._inner, self._deadline, self._clock = inner, deadline, clock

    def _left(self, timeout: float | None, exc: type[Exception]) -> float:
        left = self._deadline() - self._clock()
        if left <= 0:
            raise exc("the run's deadline has passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: typing.Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, self._left(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(inner, self._deadline, self._clock)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sync backend with every operation cut at ``deadline()`` (a ``clock`` reading)."""

    def __init__(self, deadline: Callable[[], float], clock: Clock = time.monotonic) -> None:
        self._inner = httpcore.SyncBackend()
        self._deadline, self._clock = deadline, clock

    def _left(self, timeout: float | None) -> float:
        left = self._deadline() - self._clock()
        if left <= 0:
            raise httpcore.ConnectTimeout("the run's deadline has passed")
        return left if timeout is None else min(timeout, left)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, self._left(timeout), local_address, socket_options)
        return _DeadlineStream(stream, self._deadline, self._clock)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(path, self._left(timeout), socket_options)
        return _DeadlineStream(stream, self._deadline, self._clock)

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, min(seconds, self._deadline() - self._clock())))


@functools.lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context (certifi's CA bundle), built once per process."""
    return httpx.create_ssl_context()


class DeadlineTransport(httpx.HTTPTransport):
    def __init__(self, backend: DeadlineBackend, proxy: str | None = None) -> None:
        # HTTPTransport.__init__ only builds the pool, which is replaced here
        ssl_context = _ssl_context()
        if proxy:
            url = httpx.URL(proxy)
            self._pool = httpcore.HTTPProxy(
                proxy_url=httpcore.URL(
                    scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
                ),
                ssl_context=ssl_context,
                network_backend=backend,
            )
        else:
            self._pool = httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=backend)


def _proxy_for(url: str) -> str | None:
    """The environment's proxy for ``url`` (HTTPS_PROXY / HTTP_PROXY, NO_PROXY honoured), if any."""
    parsed = httpx.URL(url)
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(parsed.scheme)
    if not proxy or urllib.request.proxy_bypass(parsed.host):  # NO_PROXY from the environment
        return None
    return proxy if proxy.startswith(("http://", "https://")) else None


def deadline_client(endpoint: str, deadline: float, clock: Clock = time.monotonic) -> httpx.Client:
    """A client for ``endpoint`` whose requests all end by ``deadline`` (a ``clock`` reading)."""
    backend = DeadlineBackend(lambda: deadline, clock)
    return httpx.Client(
        transport=DeadlineTransport(backend, _proxy_for(endpoint)), follow_redirects=False, trust_env=False
    )
