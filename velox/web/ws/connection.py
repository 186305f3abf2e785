"""One websocket client as the hub sees it: a bounded queue drained by its own writer task.

The hub only ever calls ``offer`` (never awaits a socket), so one slow client cannot stall the
engine's listener or anyone else; when its queue is full the client is dropped instead of
letting memory grow (SPEC section 8).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from velox.tasks import cancel_and_wait, wait_out
from velox.web.auth.sessions import Session

log = logging.getLogger(__name__)
Send = Callable[[bytes], Awaitable[None]]
Close = Callable[[int, bytes], Awaitable[object]]
CLOSE_TIMEOUT_S = 2.0
MAX_BUFFERED = 1 << 20  # bytes the kernel has not taken yet before a client counts as slow
SLOW_CONSUMER = 1013  # "try again later": the client fell too far behind


class Connection:
    def __init__(
        self,
        send: Send,
        close: Close,
        abort: Callable[[], None],
        session: Session | None,
        queue_size: int,
        transport: asyncio.Transport | None = None,
    ) -> None:
        self.session = session
        self.account_id: str | None = None  # the account followed (None: the user's first)
        # what the hub's book and pusher know this socket's figures by (None: public); kept,
        # not computed, as the flusher reads it for every socket on every price pass
        self.follow_key = None if session is None else session.user_id
        self._transport = transport
        self.channels: set[tuple[str, str]] = set()
        self.closed = False
        self._send = send
        self._close = close
        self._abort = abort
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=queue_size)
        self._writer = asyncio.create_task(self._write(), name="ws-writer")
        self._closer: asyncio.Task[None] | None = None

    @property
    def user_id(self) -> str | None:
        return None if self.session is None else self.session.user_id

    def follow(self, account_id: str | None) -> None:
        """Follow ``account_id`` (None: the user's first); the hub re-indexes around it."""
        if self.session is None:
            return
        user_id = self.session.user_id
        self.account_id = account_id
        self.follow_key = user_id if account_id is None else f"{user_id}/{account_id}"

    def offer(self, message: bytes, frame: bytes | None = None) -> bool:
        """Queue a message; False (and nothing queued) when the client is too far behind.

        With ``frame`` (the message already framed, see frames.py) and nothing queued ahead
        of it, the frame is written straight to the socket: same order, no task wake-up.
        """
        if self.closed:
            return True
        transport = self._transport
        if (
            frame is not None
            and transport is not None
            and self._queue.empty()
            and not transport.is_closing()
        ):
            if transport.get_write_buffer_size() > MAX_BUFFERED:
                return False
            transport.write(frame)
            return True
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            return False
        return True

    def offer_all(self, messages: list[bytes], frames: bytes) -> bool:
        """``offer`` of several messages at once; ``frames`` is all of them framed, in order.

        One write (one system call) for the lot when nothing is queued ahead: with thousands
        of sockets, the calls cost more than the bytes.
        """
        if self.closed:
            return True
        transport = self._transport
        if transport is not None and self._queue.empty() and not transport.is_closing():
            if transport.get_write_buffer_size() > MAX_BUFFERED:
                return False
            transport.write(frames)
            return True
        for message in messages:
            try:
                self._queue.put_nowait(message)
            except asyncio.QueueFull:
                return False
        return True

    async def _write(self) -> None:
        try:
            while True:
                message = await self._queue.get()
                await self._send(message)
        except asyncio.CancelledError:
            raise
        except Exception:  # the socket went away: the reader side will clean up
            log.debug("websocket send failed", exc_info=True)
            self.closed = True

    def drop(self, code: int = SLOW_CONSUMER, reason: bytes = b"too slow") -> None:
        """Close from the hub's side without waiting: the client may not be reading at all."""
        if self.closed:
            return
        self.closed = True
        self._writer.cancel()
        self._closer = asyncio.create_task(self._close_or_abort(code, reason), name="ws-drop")

    async def _close_or_abort(self, code: int, reason: bytes) -> None:
        await close_or_abort(self._close, self._abort, code, reason)

    async def stop(self) -> None:
        """Called by the socket's handler on the way out: end the writer task."""
        self.closed = True
        await cancel_and_wait(self._writer)
        if self._closer is not None:
            await wait_out(self._closer)


async def close_or_abort(close: Close, abort: Callable[[], None], code: int, reason: bytes) -> None:
    """Close a socket whose client may not be reading at all: a close frame cannot get
    through a full send buffer (nor can aiohttp's wait for the client's answer end), so
    after ``CLOSE_TIMEOUT_S`` (or any error) the transport is aborted. Also used by
    Binance's stream sockets (velox/binance/streams/endpoint.py)."""
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT_S):
            await close(code, reason)
    except (TimeoutError, Exception):
        abort()
