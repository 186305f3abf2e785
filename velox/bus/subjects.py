"""The NATS subjects of one Velox deployment, all under one prefix.

Commands are request/reply on ``commands`` (one engine subscribes); ``seq`` answers the last
committed journal sequence (a gateway's read barrier). Every committed batch
(events with their journal sequence numbers, and the prices it carried) goes to ``batches``,
the feed's raw trades to ``trades``, candle updates to ``candles``, the series whose history
was written (an outage filled in) to ``history``, the engine's heartbeat
(state and last sequence) to ``status``, signed-out sessions to ``signouts`` (every gateway
revokes them at once), websocket tickets (issued, redeemed) to ``tickets``, Binance listen
keys (created, extended, closed) to ``listen_keys``, API keys revoked to ``api_keys``
(every gateway forgets what it kept of them), the gateways' heartbeats to ``gateways`` (who
must confirm a signout or a key's revocation before it is answered), and the hits each
gateway's rate limits allowed to ``limits``. ``who`` is answered by the live engine with its
identity: a second engine asks it at start and refuses when another answers, and a running
engine asks it every second naming itself, so two engines that miss each other at start
still meet and stop (``presence``).
"""

from __future__ import annotations

from velox.frozen import frozen


@frozen
class Subjects:
    prefix: str = "velox"

    @property
    def commands(self) -> str:
        return f"{self.prefix}.engine.commands"

    @property
    def seq(self) -> str:
        return f"{self.prefix}.engine.seq"

    @property
    def who(self) -> str:
        return f"{self.prefix}.engine.who"

    @property
    def batches(self) -> str:
        return f"{self.prefix}.engine.batches"

    @property
    def status(self) -> str:
        return f"{self.prefix}.engine.status"

    @property
    def candles(self) -> str:
        return f"{self.prefix}.market.candles"

    @property
    def history(self) -> str:
        return f"{self.prefix}.market.history"

    @property
    def trades(self) -> str:
        return f"{self.prefix}.market.trades"

    @property
    def tickets(self) -> str:
        return f"{self.prefix}.auth.tickets"

    @property
    def listen_keys(self) -> str:
        return f"{self.prefix}.binance.listenkeys"

    @property
    def api_keys(self) -> str:
        return f"{self.prefix}.binance.apikeys"

    @property
    def signouts(self) -> str:
        return f"{self.prefix}.auth.signouts"

    @property
    def limits(self) -> str:
        return f"{self.prefix}.auth.limits"

    @property
    def gateways(self) -> str:
        return f"{self.prefix}.gateways"
