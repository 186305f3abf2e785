"""One depth event's content (``velox.binance.streams.depth.Window``), worked by hand: every
level quoted since the last event is sent at its final quantity, so a book built from a
snapshot read at any id inside the event's ``U``..``u`` still ends at exactly the quote."""

from __future__ import annotations

from velox.binance.streams.depth import Window
from velox.engine.state import Quote
from velox.money import Price, units

MAX = "1000000.00000000"
ZERO = "0.00000000"


def quote(bid: str, ask: str) -> Quote:
    return Quote(Price((units(bid) + units(ask)) // 2), Price(units(bid)), Price(units(ask)), 0)


def test_a_level_that_came_and_went_within_the_window_is_sent_with_zero() -> None:
    window = Window(pu=10, left=quote("99", "101"))  # the last event left 99 / 101
    window.add(quote("98", "100"), 12)  # a snapshot read now shows 98 / 100 at id 12
    window.add(quote("97", "99"), 15)
    bids, asks = window.levels()
    assert bids == [["99.00000000", ZERO], ["98.00000000", ZERO], ["97.00000000", MAX]]
    assert asks == [["99.00000000", MAX], ["100.00000000", ZERO], ["101.00000000", ZERO]]
    assert (window.pu + 1, window.u) == (11, 15)  # U <= 12 <= u: the snapshot's event

    book = {"b": {"98.00000000": MAX}, "a": {"100.00000000": MAX}}  # the snapshot at id 12
    for side, levels in (("b", bids), ("a", asks)):
        for price, qty in levels:
            if qty == ZERO:
                book[side].pop(price, None)
            else:
                book[side][price] = qty
    assert book == {"b": {"97.00000000": MAX}, "a": {"99.00000000": MAX}}

    window.advance()  # sent: the next event follows on from it
    assert (window.pu, window.left, window.quote) == (15, quote("97", "99"), None)
    window.add(quote("97", "99.5"), 18)
    assert window.levels() == ([["97.00000000", MAX]],
                               [["99.00000000", ZERO], ["99.50000000", MAX]])  # fmt: skip


def test_a_first_window_has_no_level_to_take_back() -> None:
    window = Window(pu=7, left=None)  # the symbol had no quote before
    window.add(quote("50", "51"), 9)
    assert window.levels() == ([["50.00000000", MAX]], [["51.00000000", MAX]])
