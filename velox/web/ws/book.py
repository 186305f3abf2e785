"""Account figures of connected users, kept incrementally (SPEC section 3's figures).

Why: recomputing every connected user's figures from all their positions on every price push
cost O(connected users x positions) inside the engine's task (issue 11 section 3). The book
keeps, for connected users only, what their figures are made of: the free balance and a copy
of each open position, grouped by asset, with each asset's sums (used margin, unrealized PnL,
the equity part) cached with the quote they were computed at. A price move of one asset
recomputes that asset's sums for the users holding it, and nothing else; an event re-reads
only the position and balance it names.

The book is written only once a batch's commit succeeded, from copies read when the batch
was applied (velox/web/ws/reads.py), and read by the pusher at any time: what it shows is
always durable. Its "users" are follow keys (``Connection.follow_key``): a user's first
account, or one account a socket named, so each followed account has its own figures.
Trailing marks follow ``MarksMoved(asset, bid, ask)``: the largest bid and
smallest ask seen per asset since the last round are applied to each trailing position when
its owner is pushed (LONG mark = max(mark, bid), SHORT mark = min(mark, ask)); a position read
from the engine during a round is exact already and takes only the moves that follow it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from velox.engine.engine import Engine
from velox.engine.formulas import LONG
from velox.engine.state import Position, Quote
from velox.engine.views import AccountFigures
from velox.money import SCALE, Price
from velox.web.ws.reads import AccountRead, Refresh, UserRead, read_refresh, read_user
from velox.web.ws.sums import Columns, Sums, columns
from velox.web.ws.sums import sums as asset_sums


@dataclass(slots=True)
class Leg:
    """A copy of one open position (never the engine's own object, which changes in place)."""

    pos: Position
    window: int  # the marks window in which it was read from the engine


@dataclass(slots=True)
class UserBook:
    """One followed account's figures' parts (a user's first, or one a socket named)."""

    account_id: str | None = None
    balance: int = 0
    pending: int = 0  # reserved for pending orders (engine v2)
    fees: int = 0
    funding: int = 0
    assets: dict[str, dict[str, Leg]] = field(default_factory=dict)  # asset -> order id -> leg
    sums: dict[str, Sums] = field(default_factory=dict)  # asset -> cached sums
    columns: dict[str, Columns] = field(default_factory=dict)  # asset -> positions as columns
    asset_of: dict[str, str] = field(default_factory=dict)  # order id -> asset
    moved: dict[str, None] = field(default_factory=dict)  # orders whose mark moved, unsent


@dataclass(slots=True)
class Marks:
    """An asset's trailing-mark moves in the current window: the best bid and ask seen."""

    bid: Price
    ask: Price


class Book:
    def __init__(self) -> None:
        self.users: dict[str, UserBook] = {}
        self.holders: dict[str, set[str]] = {}  # asset -> connected users with a position on it
        self.quotes: dict[str, Quote] = {}  # the latest published quote per asset
        self.computations = 0  # (user, asset) sums recomputed: the pusher's unit of work
        self.window = 0
        self._marks: dict[str, Marks] = {}  # asset -> moves of the current window
        # asset -> {order id: user} of trailing positions read from the engine this window:
        # they are exact up to their read and take the window's later moves one by one
        self._fresh: dict[str, dict[str, str]] = {}

    # -- written once a batch's commit succeeded (velox/web/ws/reads.py) -------------------
    def load(self, engine: Engine, user_id: str) -> None:
        """Read and install a newly connected user (the engine holding durable state)."""
        self.install(user_id, read_user(engine, user_id))

    def refresh(self, engine: Engine, user_id: str, order_id: str | None) -> None:
        """Read and apply an event's account and position (the engine holding durable state)."""
        self.apply(user_id, read_refresh(engine, user_id, order_id))

    def install(self, user_id: str, read: UserRead) -> None:
        """A newly connected user's first account and open positions (O(their positions))."""
        book = self.users[user_id] = UserBook()
        _set_account(book, read.account)
        for pos in read.positions:
            self._put(book, user_id, pos)
        for asset, quote in read.quotes:
            self.quotes.setdefault(asset, quote)

    def forget(self, user_id: str) -> None:
        book = self.users.pop(user_id, None)
        if book is None:
            return
        for asset in book.assets:
            _discard(self.holders, asset, user_id)

    def apply(self, user_id: str, refresh: Refresh) -> None:
        """An event about ``user_id``: the account's figures again, and the position it named."""
        book = self.users.get(user_id)
        if book is None:
            return
        _set_account(book, refresh.account)
        if refresh.order_id is None:
            return
        if refresh.position is not None:
            self._put(book, user_id, refresh.position)
        else:
            self._remove(book, user_id, refresh.order_id)

    def marks_moved(self, asset: str, bid: Price, ask: Price) -> None:
        """``MarksMoved``: remember the window's extremes; exact positions follow at once."""
        marks = self._marks.get(asset)
        if marks is None:
            self._marks[asset] = Marks(bid, ask)
        else:
            marks.bid = max(marks.bid, bid)
            marks.ask = min(marks.ask, ask)
        for order_id, user_id in self._fresh.get(asset, {}).items():
            book = self.users.get(user_id)
            leg = None if book is None else book.assets.get(asset, {}).get(order_id)
            if book is not None and leg is not None and _move(leg.pos, bid, ask):
                book.moved[order_id] = None

    def _put(self, book: UserBook, user_id: str, pos: Position) -> None:
        asset = pos.asset
        legs = book.assets.get(asset)
        if legs is None:
            legs = book.assets[asset] = {}
            self.holders.setdefault(asset, set()).add(user_id)
        legs[pos.order_id] = Leg(pos, self.window)  # a copy (reads.py): the book's own
        book.asset_of[pos.order_id] = asset
        book.sums.pop(asset, None)
        book.columns.pop(asset, None)
        if pos.trailing_stop is not None:
            self._fresh.setdefault(asset, {})[pos.order_id] = user_id

    def _remove(self, book: UserBook, user_id: str, order_id: str) -> None:
        asset = book.asset_of.pop(order_id, None)
        if asset is None:
            return
        legs = book.assets[asset]
        del legs[order_id]
        book.moved.pop(order_id, None)
        book.sums.pop(asset, None)
        book.columns.pop(asset, None)
        if not legs:
            del book.assets[asset]
            _discard(self.holders, asset, user_id)

    # -- read by the pusher ----------------------------------------------------------------
    def take_marks(self) -> tuple[int, dict[str, Marks]]:
        """End the marks window: its moves, to apply to positions read before it began."""
        window, marks = self.window, self._marks
        self.window += 1
        self._marks = {}
        self._fresh = {}
        return window, marks

    def apply_marks(self, user_id: str, window: int, marks: dict[str, Marks]) -> None:
        """Move the trailing marks of ``user_id``'s positions on the window's assets."""
        book = self.users.get(user_id)
        if book is None:
            return
        for asset, moves in marks.items():
            for order_id, leg in book.assets.get(asset, {}).items():
                if leg.window < window and _move(leg.pos, moves.bid, moves.ask):
                    book.moved[order_id] = None

    def figures(self, user_id: str) -> AccountFigures | None:
        """The user's figures at the latest quotes, recomputing only assets whose quote moved."""
        book = self.users.get(user_id)
        if book is None:
            return None
        used = upnl = equity = 0
        for asset, legs in book.assets.items():
            quote = self.quotes.get(asset)
            bid, ask = (None, None) if quote is None else (quote.bid, quote.ask)
            sums = book.sums.get(asset)
            if sums is None or sums.bid != bid or sums.ask != ask:
                cols = book.columns.get(asset)
                if cols is None:
                    cols = book.columns[asset] = columns(leg.pos for leg in legs.values())
                sums = book.sums[asset] = asset_sums(cols, bid, ask)
                self.computations += 1
            used += sums.used
            upnl += sums.upnl
            equity += sums.equity
        return _figures(book, used, upnl, equity)

    def take_moved(self, user_id: str) -> list[Position]:
        """The positions whose trailing mark moved since the last push, latest state each."""
        book = self.users.get(user_id)
        if book is None or not book.moved:
            return []
        moved = [book.assets[book.asset_of[oid]][oid].pos for oid in book.moved]
        book.moved.clear()
        return moved

    def mark_moved(self, user_id: str, order_id: str) -> None:
        """A ``TrailingStopMoved`` (old journals): that order's mark moved."""
        book = self.users.get(user_id)
        if book is not None and order_id in book.asset_of:
            book.moved[order_id] = None

    def pnl(self, pos: Position) -> int:
        quote = self.quotes.get(pos.asset)
        if quote is None:
            return 0
        return _pnl(pos, quote.bid, quote.ask)


def _pnl(pos: Position, bid: int, ask: int) -> int:
    """SPEC section 3: LONG (bid - open) * qty, SHORT (open - ask) * qty, floored."""
    if pos.side == LONG:
        return (bid - pos.open_price) * pos.qty // SCALE
    return (pos.open_price - ask) * pos.qty // SCALE


def _figures(book: UserBook, used: int, upnl: int, equity_part: int) -> AccountFigures:
    """As ``velox.engine.views.account_figures`` combines them (marginLevel rounded down;
    pending reservations are still the trader's money)."""
    equity = book.balance + book.pending + equity_part
    level = None
    if used > 0:
        hundredths = equity * 100 * 100 // used
        level = f"{hundredths // 100}.{hundredths % 100:02d}"
    return AccountFigures(
        book.balance, used, upnl, equity, book.balance, level, book.pending, book.fees,
        book.funding,
    )  # fmt: skip


def _set_account(book: UserBook, read: AccountRead | None) -> None:
    if read is None:
        return
    book.account_id = read.account_id
    book.balance = read.balance
    book.pending = read.pending
    book.fees = read.fees
    book.funding = read.funding


def _move(pos: Position, bid: Price, ask: Price) -> bool:
    """Move ``pos``'s trailing mark by a MarksMoved's bid/ask; True if it moved."""
    mark = pos.trailing_mark
    if pos.trailing_stop is None or mark is None:
        return False
    if pos.side == LONG:
        if bid <= mark:
            return False
        pos.trailing_mark = bid
    else:
        if ask >= mark:
            return False
        pos.trailing_mark = ask
    return True


def _discard(index: dict[str, set[str]], key: str, member: str) -> None:
    members = index.get(key)
    if members is not None:
        members.discard(member)
        if not members:
            del index[key]
