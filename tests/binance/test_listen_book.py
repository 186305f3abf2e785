"""The listen-key book's side for gateways that share it (``velox.bus.listenkeys``): what
another gateway did is applied here, never shortening a key's life, and a key closed there
closes its sockets here without the expiry event."""

from __future__ import annotations

from velox.binance.keyring import Credential
from velox.binance.streams.listenbook import VALIDITY_MS, Listen
from velox.binance.streams.user import ListenKeys
from velox.engine.engine import Engine


class Socket:
    def __init__(self) -> None:
        self.farewells: list[bytes | None] = []

    def end(self, farewell: bytes | None) -> None:
        self.farewells.append(farewell)


class Recording(ListenKeys):
    def __init__(self, now: list[int]) -> None:
        super().__init__(lambda: Engine(), lambda: now[0])
        self.told: list[tuple[str, str]] = []

    def changed(self, listen: Listen) -> None:
        self.told.append(("changed", listen.listen_key))

    def withdrawn(self, listen: Listen) -> None:
        self.told.append(("withdrawn", listen.listen_key))


def test_another_gateways_key_is_adopted_extended_and_forgotten() -> None:
    now = [1_000]
    book = Recording(now)
    book.adopt(Listen("K" * 64, "key1", "u1", "7", 5_000))
    listen = book.lookup("K" * 64)
    assert listen is not None and (listen.account_id, listen.expires_ms) == ("7", 5_000)
    book.adopt(Listen("K" * 64, "key1", "u1", "7", 4_000))  # an older message: no shorter
    book.adopt(Listen("K" * 64, "key1", "u1", "7", 6_000))
    assert listen.expires_ms == 6_000 and book.lookup("K" * 64) is listen
    credential = Credential("key1", "u1", "7", "api", "secret", ("read",))
    assert book.keepalive(credential) is listen  # kept alive here: told to the others
    assert listen.expires_ms == now[0] + VALIDITY_MS
    assert book.told == [("changed", "K" * 64)]  # adopting is never told back
    socket = Socket()
    book.attach(listen, socket)
    book.forget("K" * 64)
    assert book.lookup("K" * 64) is None and book.keepalive(credential) is None
    assert socket.farewells == [None]  # closed, not expired
    assert book.told == [("changed", "K" * 64)]
    book.forget("unknown")  # a key this gateway never heard of: nothing to do


def test_closing_and_revoking_are_told_expiry_is_not() -> None:
    now = [1_000]
    book = Recording(now)
    credential = Credential("key1", "u1", "7", "api", "secret", ("read",))
    first = book.create(credential).listen_key
    assert book.create(credential).listen_key == first  # extended, told again
    assert book.close(credential) is True
    second = book.create(credential).listen_key
    book.revoked("key1")
    third = book.create(credential).listen_key
    now[0] += VALIDITY_MS  # expires: every gateway drops it by itself
    assert book.lookup(third) is None
    assert book.told == [
        ("changed", first), ("changed", first), ("withdrawn", first),
        ("changed", second), ("withdrawn", second), ("changed", third),
    ]  # fmt: skip
    assert [listen.listen_key for listen in book.live()] == []
