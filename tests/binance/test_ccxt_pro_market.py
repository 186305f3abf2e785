"""ccxt.pro's ``binanceusdm``, unchanged but for its ``urls``: ``watch_ticker`` /
``watch_tickers`` (``<sym>@ticker``, ``<sym>@miniTicker``, ``!ticker@arr``,
``!miniTicker@arr`` on ``/market/ws/<n>``), following the price.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from functools import partial
from typing import Any

from tests.binance.test_ccxt_pro import SYMBOL, D, Session
from tests.binance.test_ccxt_pro import session as session  # the fixture

__all__ = ["session"]


async def until_seen(
    session: Session, watch: Callable[[], Awaitable[Any]], done: Callable[[Any], bool], price: str
) -> Any:
    """Watch again (feeding trades at ``price``) until an answer satisfies ``done``."""
    for _ in range(100):
        answer = await session.feeding(watch(), price)
        if done(answer):
            return answer
    raise AssertionError(f"never saw {price}")


def last_is(price: str) -> Callable[[Any], bool]:
    return lambda ticker: D(ticker["last"]) == Decimal(price)


async def test_watch_ticker_and_tickers_follow_the_price(session: Session) -> None:
    exchange = session.exchange
    await exchange.load_markets()
    # ccxt 4.5's watch_ticker subscribes <sym>@miniTicker (it loses its "watchTicker" option
    # on the way); name="ticker" asks for <sym>@ticker, as other versions do by default
    ticker = await session.feeding(exchange.watch_ticker(SYMBOL), "100000")
    rest = await exchange.fetch_ticker(SYMBOL)
    assert ticker["symbol"] == SYMBOL and D(ticker["last"]) == D(rest["last"]) == Decimal(100000)
    assert (D(ticker["open"]), D(ticker["high"]), D(ticker["low"])) == (
        D(rest["open"]), D(rest["high"]), D(rest["low"])
    )  # fmt: skip

    full = await until_seen(
        session, partial(exchange.watch_ticker, SYMBOL, {"name": "ticker"}), last_is("101000"),
        "101000",
    )  # fmt: skip
    assert full["info"]["e"] == "24hrTicker"
    assert (D(full["open"]), D(full["high"]), D(full["change"]), D(full["percentage"])) == (
        Decimal(100000), Decimal(101000), Decimal(1000), Decimal(1)
    )  # fmt: skip

    def ours_at(price: str) -> Callable[[Any], bool]:
        return lambda tickers: SYMBOL in tickers and last_is(price)(tickers[SYMBOL])

    for name, event in (("miniTicker", "24hrMiniTicker"), ("ticker", "24hrTicker")):
        mine = await until_seen(
            session, partial(exchange.watch_tickers, [SYMBOL], {"name": name}),
            ours_at("102000"), "102000",
        )  # fmt: skip
        every = await until_seen(  # !miniTicker@arr, !ticker@arr
            session, partial(exchange.watch_tickers, None, {"name": name}), ours_at("102000"),
            "102000",
        )  # fmt: skip
        assert mine[SYMBOL]["info"]["e"] == every[SYMBOL]["info"]["e"] == event
