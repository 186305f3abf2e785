"""Web-layer knobs that are not product settings (SPEC has no flag for them).

Defaults are production values; tests lower ``bcrypt_rounds`` to stay fast and shorten TTLs
to observe expiry. Nothing here changes behaviour a client can rely on.
"""

from __future__ import annotations

from velox.clock import SYSTEM_CLOCK, Clock
from velox.frozen import frozen


@frozen
class WebOptions:
    bcrypt_rounds: int = 12
    ticket_ttl_s: float = 30.0  # SPEC section 7: one-time websocket tickets live 30 s
    magic_ttl_s: int = 15 * 60  # magic links live 15 minutes
    ws_queue_size: int = 1024  # messages queued per websocket before the client is dropped
    ws_heartbeat_s: float = 30.0  # SPEC section 8
    ws_max_message: int = 64 * 1024  # client -> server frames are tiny commands
    ws_push_interval_s: float = 0.25  # account figures: at most one push per user per interval
    closed_orders_limit: int = 500  # default page of GET /user/orders?status=CLOSED
    background_start: bool = False  # serve 503s while replaying instead of waiting for READY
    clock: Clock = SYSTEM_CLOCK  # engine and wall time for the whole app (tests: ManualClock)
    clock_tick_s: float | None = 1.0  # SPEC 12: expiry and funding (None: tests send them)
    auth_expiry_s: float = 3600.0  # expired sign-in rows deleted this often (and at start)
