"""Close a connection that does not send a whole request head in time.

uvicorn closes a keep-alive connection left idle after a response, but not one that never sends
a request, nor one that sends its head a byte at a time (slowloris): each holds a socket and a
file descriptor for as long as the client likes, and enough of them keep others out. Here a
request head must arrive within REQUEST_HEAD_S of the connection or of the previous response,
however it is split; a body and the response are not limited by it.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Seconds a client has to send a request's head (its line and headers).
REQUEST_HEAD_S = 5.0


class RequestHeadTimeout(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for each request head."""

    _head_deadline: float | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_deadline = self.loop.time() + REQUEST_HEAD_S
        self._close_at_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # cancels uvicorn's idle timer; may start a request
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self._head_deadline = None  # a head arrived: the request is under way
            return
        if self._head_deadline is None:  # the first bytes of a new request's head
            self._head_deadline = self.loop.time() + REQUEST_HEAD_S
        self._close_at_deadline()  # more bytes do not move the deadline

    def _close_at_deadline(self) -> None:
        assert self._head_deadline is not None
        self._unset_keepalive_if_required()
        delay = max(0.0, self._head_deadline - self.loop.time())
        self.timeout_keep_alive_task = self.loop.call_later(delay, self.timeout_keep_alive_handler)
