"""uvicorn's h11 protocol with the waits it leaves open bounded (settings ``FISCAL_*``).

uvicorn closes an idle keep-alive connection (``timeout_keep_alive``) and caps the request
head's size (``h11_max_incomplete_event_size``), but a connection that never sends a complete
request head is held for ever, and every accepted socket is kept. Here:

- a request head (request line and headers) must arrive within ``header_timeout_seconds`` of
  the connection opening, or of its first byte on a kept-alive connection; otherwise the
  server answers 408 and closes the connection;
- beyond ``max_connections`` open connections (per server worker) a new one is closed at once.

The body's own time limit is the request middleware's (``service.app``): it answers 408 in the
error shape, and a client that leaves mid-body is counted as 499, not as a 5xx.
"""

from __future__ import annotations

import asyncio
from typing import Any, Optional

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from service.settings import get_settings

_TIMEOUT_BODY = b"request head not received in time\n"
_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
                     b"content-length: %d\r\n\r\n%s" % (len(_TIMEOUT_BODY), _TIMEOUT_BODY))


class BoundedH11Protocol(H11Protocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.header_timeout = settings.header_timeout_seconds
        self.max_connections = settings.max_connections
        self._head_timer: Optional[asyncio.TimerHandle] = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            self.transport.close()
            return
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._head_timer is None and self.conn.their_state is h11.IDLE:
            self._arm()  # the first byte of a request on a kept-alive connection
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # the head is in

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timeout)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timeout(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.write(_TIMEOUT_RESPONSE)
            self.transport.close()
