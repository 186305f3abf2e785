"""The hub's book follows trailing marks from ``MarksMoved(asset, bid, ask)`` exactly.

The engine's own marks are the truth: the same ticks run through a real engine, and each time
the engine moves marks on a tick the book gets the one per-asset event the contract defines.
"""

from __future__ import annotations

from velox.engine.commands import OpenAccount, OpenPosition, PriceTick
from velox.engine.engine import Engine
from velox.money import units
from velox.web.ws.book import Book

USER = "7"
ASSET = "BTCUSDT"


class Run:
    def __init__(self) -> None:
        self.engine = Engine()
        self.book = Book()
        self.ts = 1_000
        assert self.engine.handle(OpenAccount(USER, self.ts)).ok

    def tick(self, price: str) -> None:
        """A tick; when it moves any mark, the book sees the asset's one MarksMoved."""
        self.ts += 1
        events = self.engine.on_tick(PriceTick(ASSET, units(price), self.ts))
        quote = self.engine.quotes[ASSET]
        self.book.quotes[ASSET] = quote
        if events:
            self.book.marks_moved(ASSET, quote.bid, quote.ask)

    def open(self, side: str) -> str:
        self.ts += 1
        command = OpenPosition(
            USER, ASSET, side, 10, self.ts, margin=units("10"), trailing_stop=units("5000")
        )
        outcome = self.engine.handle(command)
        assert outcome.ok, outcome
        order_id: str = outcome.events[0].order_id  # type: ignore[union-attr]
        self.book.refresh(self.engine, USER, order_id)
        return order_id

    def push(self) -> set[str]:
        """One pusher round for the user: the orders whose mark moved since the last one."""
        window, marks = self.book.take_marks()
        self.book.apply_marks(USER, window, marks)
        return {pos.order_id for pos in self.book.take_moved(USER)}

    def marks(self) -> dict[str, int | None]:
        legs = self.book.users[USER].assets[ASSET]
        return {order_id: leg.pos.trailing_mark for order_id, leg in legs.items()}

    def engine_marks(self) -> dict[str, int | None]:
        return {oid: pos.trailing_mark for oid, pos in self.engine.positions.items()}


def test_a_position_read_mid_window_takes_only_the_later_moves() -> None:
    run = Run()
    run.tick("100000")
    long_a = run.open("LONG")
    short_a = run.open("SHORT")
    run.book.load(run.engine, USER)
    run.tick("101000")  # A's LONG mark moves to this bid
    run.tick("100500")
    long_b = run.open("LONG")  # mark = the bid of 100500, below the window's best bid
    run.tick("100800")  # B's mark moves; A's does not (101000 stays higher)
    assert run.push() == {long_a, long_b}
    assert run.marks() == run.engine_marks()
    assert run.marks()[long_b] != run.marks()[long_a]

    run.tick("99000")  # the SHORTs' mark moves down
    run.tick("99500")
    assert run.push() == {short_a}
    run.tick("101600")  # both LONG marks move
    short_b = run.open("SHORT")
    run.tick("101400")
    run.tick("101300")  # B's SHORT moves down; no LONG moves
    assert run.push() == {long_a, long_b, short_b}
    assert run.marks() == run.engine_marks()
    assert run.push() == set()


def test_a_quiet_window_moves_nothing() -> None:
    run = Run()
    run.tick("100000")
    run.open("LONG")
    run.book.load(run.engine, USER)
    run.tick("99000")
    assert run.push() == set()
    assert run.marks() == run.engine_marks()
