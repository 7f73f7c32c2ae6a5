"""HTTP details shared by every route: ``HEAD`` like ``GET``, and a trigger starts only after its
request was fully received.

* :class:`HeadAsGet` (ASGI middleware): a ``HEAD`` request is routed as ``GET`` and answered with
  the same status and headers (``Content-Length`` included) and no body (RFC 9110 §9.3.2). Probes
  and uptime checkers use ``HEAD``. On a cron route, ``HEAD`` is a trigger exactly like ``GET``
  (same credentials, same run).
* :func:`receive_whole_body`: a cron route reads the request body to its end before the job may
  start. A body that never completes (client gone, malformed chunked encoding: the server has
  answered 400 and closed the connection) raises :class:`RequestIncomplete`, so no job runs and no
  audit row is written. Triggers carry no payload: a body over ``MAX_TRIGGER_BODY`` bytes is 413.
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import RequestIncomplete, RequestTooLarge

MAX_TRIGGER_BODY = 64 * 1024


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # swallow the streamed chunks; the final (empty) message ends the response
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(dict(scope, method="GET"), receive, send_headers_only)


async def receive_whole_body(request: Request) -> None:
    """Read the request body to its end (discarding it); raise if it is incomplete or too large."""
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_TRIGGER_BODY:
                raise RequestTooLarge(f"a cron trigger takes no body; got more than {MAX_TRIGGER_BODY} bytes")
    except ClientDisconnect:
        raise RequestIncomplete("the request body was not fully received; the job was not started") from None
