"""Orders as Binance shows them, built from Velox's order rows and fills (pure).

A Velox order (``OrderRecord``: PENDING, OPEN, FILLED, CANCELLED, EXPIRED, REJECTED) is a
Binance order with status NEW, FILLED, CANCELED, EXPIRED or REJECTED; its executed
quantity and average price come from its fills. A position's stop-loss and take-profit show
as Binance's ``closePosition`` conditional orders (STOP_MARKET / TAKE_PROFIT_MARKET), its
trailing stop as a reduce-only TRAILING_STOP_MARKET for the position's quantity, so a bot can
list and cancel them: each placement an order of its own (``stop_id``: the id the engine gave
it, from the order ids; one set with the position, or before stops had ids, derived from the
position's, ``conditional_id``), with the client id it was placed with (``stop_client``),
and kept once cancelled or ended (``stop_json``, from ``stop_orders``). One that fires
places an order of its own (``actual_id``), which executes the close.

Velox trails a fixed distance (set as ``callbackRate`` % of the quote), Binance a rate: the
trailing stop shows its mark (the best price since it was set) as ``activatePrice``, the
distance as a share of that mark as ``priceRate`` / ``callbackRate`` (to 0.01 %, so exactly
the rate sent while the mark has not moved), and the level it fires at as ``stopPrice``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from velox.engine.state import Position
from velox.money import format_units, parse_units
from velox.store.records import (
    ClosedOrderRecord,
    FillRecord,
    FundingRecord,
    OrderRecord,
    StopRecord,
)

Json = dict[str, Any]
STATUS = {"PENDING": "NEW", "OPEN": "FILLED", "FILLED": "FILLED", "CANCELLED": "CANCELED",
          "EXPIRED": "EXPIRED", "REJECTED": "REJECTED"}  # fmt: skip
TYPES = {"MARKET": "MARKET", "LIMIT": "LIMIT", "STOP": "STOP_MARKET"}
# Conditional orders (a position's stops): id = CONDITIONAL + 4 x position id + kind.
CONDITIONAL = 10**15
STOP_LOSS, TAKE_PROFIT, TRAILING = 1, 2, 3
CLOSE = 0  # a position's close by Velox itself (closes.py): the id space's fourth kind
# kind -> (Binance order type, clientOrderId suffix)
KINDS = {STOP_LOSS: ("STOP_MARKET", "sl"), TAKE_PROFIT: ("TAKE_PROFIT_MARKET", "tp"),
         TRAILING: ("TRAILING_STOP_MARKET", "ts")}  # fmt: skip
# a closed order's close reason -> the conditional order that closed it
FIRED_BY = {"STOP_LOSS": STOP_LOSS, "TAKE_PROFIT": TAKE_PROFIT, "TRAILING_STOP": TRAILING}
RATE_STEP = 10**6  # 0.01 (%) in units: the precision a trailing stop's rate is shown to


def conditional_id(position_id: str, kind: int) -> int:
    return CONDITIONAL + int(position_id) * 4 + kind


def position_order(order_id: int) -> tuple[str, int] | None:
    """(position id, kind) of an id of ``conditional_id``'s space, else None."""
    if order_id < CONDITIONAL:
        return None
    position, kind = divmod(order_id - CONDITIONAL, 4)
    return str(position), kind


def conditional_of(order_id: int) -> tuple[str, int] | None:
    """(position id, STOP_LOSS | TAKE_PROFIT | TRAILING) of a conditional order id, else None."""
    found = position_order(order_id)
    return found if found is not None and found[1] in KINDS else None


def trigger_of(pos: Position, kind: int) -> int | None:
    """The price at which the position's stop of this kind fires, None when it has none."""
    if kind == STOP_LOSS:
        return pos.stop_loss
    if kind == TAKE_PROFIT:
        return pos.take_profit
    distance, mark = pos.trailing_stop, pos.trailing_mark
    if distance is None or mark is None:
        return None
    return mark - distance if pos.side == "LONG" else mark + distance


def trailing_rate(pos: Position) -> int:
    """The trailing distance as a percentage of the mark, in units, to the nearest 0.01."""
    return rate_of(pos.trailing_stop or 0, pos.trailing_mark or 1)


def rate_of(distance: int, mark: int) -> int:
    """``distance`` as a percentage of ``mark``, in units, to the nearest 0.01."""
    mark = mark or 1
    steps = (2 * distance * 100 * 10**8 + mark * RATE_STEP) // (2 * mark * RATE_STEP)
    return steps * RATE_STEP


def side_of(velox_side: str) -> str:
    return "BUY" if velox_side == "LONG" else "SELL"


def executed(rec: OrderRecord, fills: list[FillRecord]) -> tuple[int, int]:
    """(executed qty, average price) of the order's own fills (floor of the average)."""
    mine = [f for f in fills if f.order_id == rec.order_id and f.side == side_of(rec.side)]
    qty = sum(f.qty for f in mine)
    if qty == 0:
        return 0, 0
    return qty, sum(f.price * f.qty for f in mine) // qty


def order_json(
    rec: OrderRecord, fills: list[FillRecord], done: tuple[int, int] | None = None
) -> Json:
    """``done``: (executed qty, average price) when known without the fills."""
    qty, avg = done if done is not None else executed(rec, fills)
    kind = TYPES.get(rec.order_type, "MARKET")
    price = rec.price if kind == "LIMIT" and rec.price is not None else 0
    stop = rec.price if kind == "STOP_MARKET" and rec.price is not None else 0
    # never less than what it executed: a flip's row holds the position it opened, and
    # its close fill executed the rest of the order
    orig = qty if rec.qty is None else max(rec.qty, qty)
    gtd = rec.expires_at or 0
    return order_shape(
        int(rec.order_id), rec.asset, STATUS.get(rec.status, rec.status),
        rec.client_order_id or f"velox-{rec.order_id}", side_of(rec.side), kind, orig=orig,
        done=(qty, avg), price=price, stop=stop, tif=shown_tif(rec.time_in_force, gtd),
        reduce=rec.reduce_only, gtd=gtd, created=rec.created_at, updated=rec.updated_at,
    )  # fmt: skip


def shown_tif(time_in_force: str, gtd: int | None) -> str:
    """Binance's ``timeInForce`` of an order: GTD when it has a ``goodTillDate`` (a GTC with
    an expiry, to Velox), else the one it was placed with (its row's, its event's)."""
    return "GTD" if gtd else time_in_force


def order_shape(
    order_id: int, symbol: str, status: str, client: str, side: str, kind: str, *,
    orig: int, done: tuple[int, int] = (0, 0), price: int = 0, stop: int = 0,
    tif: str = "GTC", reduce: bool = False, close: bool = False, gtd: int = 0,
    created: int, updated: int,
) -> Json:  # fmt: skip
    """One order as Binance's order endpoints show it, whatever Velox holds it as (an order
    row, a position's stop, a close of Velox's own); ``done``: (executed quantity, average
    price)."""
    qty, avg = done
    return {
        "orderId": order_id, "symbol": symbol, "status": status, "clientOrderId": client,
        "price": format_units(price), "avgPrice": format_units(avg),
        "origQty": format_units(orig), "executedQty": format_units(qty),
        "cumQty": format_units(qty), "cumQuote": format_units(qty * avg // 10**8),
        "timeInForce": tif, "type": kind, "origType": kind, "reduceOnly": reduce,
        "closePosition": close, "side": side, "positionSide": "BOTH",
        "stopPrice": format_units(stop), "workingType": "CONTRACT_PRICE",
        "priceProtect": False, "priceMatch": "NONE", "selfTradePreventionMode": "NONE",
        "goodTillDate": gtd, "time": created, "updateTime": updated,
    }  # fmt: skip


STOP_FIELDS = {STOP_LOSS: "stop_loss", TAKE_PROFIT: "take_profit", TRAILING: "trailing_stop"}


def stop_id(pos: Position, kind: int) -> int:
    """The algo order id of the position's stop of ``kind``: its own (given when it was
    placed), else (set with the position, or before stops had ids) derived from the
    position's (``conditional_id``)."""
    own = getattr(pos, f"{STOP_FIELDS[kind]}_id")
    return conditional_id(pos.order_id, kind) if own is None else int(own)


def stop_client(pos: Position, kind: int) -> str:
    """The client id of the position's stop of ``kind``: the one it was placed with, else
    ``velox-<its id>`` (``velox-<position>-sl`` for one with a derived id)."""
    own = getattr(pos, f"{STOP_FIELDS[kind]}_client")
    return own or default_client(getattr(pos, f"{STOP_FIELDS[kind]}_id"), pos.order_id, kind)


def default_client(own_id: str | None, position_id: str, kind: int) -> str:
    return f"velox-{own_id}" if own_id else f"velox-{position_id}-{KINDS[kind][1]}"


def conditional_json(pos: Position, kind: int, status: str = "NEW") -> Json:
    """A position's stop-loss or take-profit as a closePosition order, its trailing stop as
    a reduce-only trailing order for the position's quantity."""
    shown = _conditional(pos.order_id, pos.asset, pos.side, pos.qty, kind, status,
                         trigger_of(pos, kind) or 0, pos.opened_at, pos.opened_at,
                         ids=(stop_id(pos, kind), stop_client(pos, kind)))  # fmt: skip
    if kind == TRAILING:
        shown.update(activatePrice=format_units(pos.trailing_mark or 0),
                     priceRate=format_units(trailing_rate(pos)))  # fmt: skip
    return shown


def ended_conditional_json(rec: ClosedOrderRecord, kind: int) -> Json | None:
    """A closed position's stop, ended with it: FILLED when it is what closed the position
    (all of what was left, at the close price), EXPIRED when the position closed otherwise
    with it set; None when the position had none of this kind when it closed."""
    fired = FIRED_BY.get(rec.close_reason) == kind
    stops = {STOP_LOSS: rec.stop_loss, TAKE_PROFIT: rec.take_profit, TRAILING: rec.trailing_stop}
    if not fired and stops[kind] is None:
        return None
    # a trailing stop's level moved with its mark, which the closed order does not keep
    trigger = (rec.close_price if fired else 0) if kind == TRAILING else stops[kind] or 0
    done = (rec.qty, rec.close_price) if fired else (0, 0)
    return _conditional(rec.order_id, rec.asset, rec.side, rec.qty, kind,
                        "FILLED" if fired else "EXPIRED", trigger, rec.opened_at,
                        rec.closed_at, done)  # fmt: skip


def algo_id_of(rec: StopRecord) -> int:
    """A stop's algo order id from its row: its own, else derived from its position's."""
    return int(rec.stop_id) if rec.stop_id else conditional_id(rec.position_id, rec.kind)


def with_times(shown: Json, created: int, updated: int) -> Json:
    """``shown`` (an order, or an algo order) with these times: a position's stop shown
    from its position (which holds no times of its own) says when it was placed and last
    changed (its row's)."""
    shown["createTime" if "algoId" in shown else "time"] = created
    shown["updateTime"] = updated
    return shown


def stop_json(rec: StopRecord) -> Json:
    """A stop as its row keeps it (``stop_orders``): CANCELED, EXPIRED, FILLED (it fired:
    what was left of the position, at the close price); a trailing stop's level moved with
    its mark, which the row does not keep (0, or the close price once it fired)."""
    fired = rec.status == "FINISHED"
    status = {"FINISHED": "FILLED", "CANCELED": "CANCELED", "EXPIRED": "EXPIRED"}.get(
        rec.status, "NEW"
    )
    trigger = (rec.done_price or 0 if fired else 0) if rec.kind == TRAILING else rec.price or 0
    done = (rec.qty or 0, rec.done_price or 0) if fired else (0, 0)
    own = algo_id_of(rec)
    client = rec.client_id or default_client(rec.stop_id, rec.position_id, rec.kind)
    return _conditional(rec.position_id, rec.asset, rec.side, rec.qty or 0, rec.kind, status,
                        trigger, rec.created_at, rec.updated_at, done,
                        ids=(own, client))  # fmt: skip


def _conditional(
    position_id: str, asset: str, position_side: str, qty: int, kind: int, status: str,
    trigger: int, created: int, updated: int, done: tuple[int, int] = (0, 0),
    ids: tuple[int, str] | None = None,
) -> Json:  # fmt: skip
    """``ids``: the stop's (algo id, client id), when not derived from the position's."""
    kind_name, suffix = KINDS[kind]
    trailing = kind == TRAILING
    own, client = ids or (conditional_id(position_id, kind), f"velox-{position_id}-{suffix}")
    return order_shape(
        own, asset, status, client,
        "SELL" if position_side == "LONG" else "BUY", kind_name,
        orig=qty if trailing else 0, done=done, stop=trigger, tif="GTE_GTC", reduce=True,
        close=not trailing, created=created, updated=updated,
    )  # fmt: skip


def conditionals(pos: Position) -> list[Json]:
    return [conditional_json(pos, kind) for kind in KINDS if trigger_of(pos, kind) is not None]


def shown_order_id(fill: FillRecord, closed: dict[str, ClosedOrderRecord]) -> int:
    """The order a fill is shown under: for a position's close with no order of the
    trader's (``closed``: the closed orders of the fills' positions), the conditional order
    of the stop that fired, else the close's own (``closes.py``); else its own."""
    rec = closed.get(fill.order_id)
    if (
        rec is not None
        and fill.order_id == fill.position_id
        and fill.side != side_of(rec.side)
        and (fill.time, fill.qty) == (rec.closed_at, rec.qty)
    ):
        return conditional_id(rec.order_id, FIRED_BY.get(rec.close_reason, CLOSE))
    return int(fill.order_id)


def trade_json(fill: FillRecord, order_id: int | None = None) -> Json:
    """``order_id``: the order it is shown under, when not its own (``shown_order_id``)."""
    return {
        "id": int(fill.fill_id),
        "orderId": int(fill.order_id) if order_id is None else order_id,
        "symbol": fill.asset,
        "side": fill.side,
        "buyer": fill.side == "BUY",
        "maker": fill.maker,
        "price": format_units(fill.price),
        "qty": format_units(fill.qty),
        "quoteQty": format_units(fill.price * fill.qty // 10**8),
        "realizedPnl": format_units(fill.realized_pnl),
        "commission": format_units(fill.fee),
        "commissionAsset": "USDT",
        "positionSide": "BOTH",
        "time": fill.time,
    }


def incomes(fill: FillRecord, order_id: int | None = None) -> list[Json]:
    """The fill's REALIZED_PNL and COMMISSION entries (``/fapi/v1/income``); ``info`` its
    order (``order_id`` when shown under another, as in ``trade_json``)."""
    out = []
    info = fill.order_id if order_id is None else str(order_id)
    base = {"symbol": fill.asset, "asset": "USDT", "time": fill.time,
            "tradeId": fill.fill_id, "info": info}  # fmt: skip
    if fill.realized_pnl:
        out.append(
            {
                **base,
                "incomeType": "REALIZED_PNL",
                "income": format_units(fill.realized_pnl),
                "tranId": int(fill.fill_id) * 2,
            }
        )
    if fill.fee:
        out.append({**base, "incomeType": "COMMISSION", "income": format_units(-fill.fee),
                    "tranId": int(fill.fill_id) * 2 + 1})  # fmt: skip
    return out


def funding_income(charge: FundingRecord) -> Json:
    """A position's funding at one boundary as a FUNDING_FEE entry (``/fapi/v1/income``):
    + received, - paid, at the funding time. ``tranId`` is the charge's journal seq (unique
    among FUNDING_FEE entries; the fill entries number theirs from the fill id)."""
    return {"symbol": charge.asset, "incomeType": "FUNDING_FEE",
            "income": format_units(charge.amount), "asset": "USDT", "info": charge.order_id,
            "time": charge.boundary, "tranId": charge.seq, "tradeId": ""}  # fmt: skip


ALGO_STATUS = {"PENDING": "NEW", "OPEN": "FINISHED", "FILLED": "FINISHED",
               "CANCELLED": "CANCELED", "EXPIRED": "EXPIRED", "REJECTED": "REJECTED",
               "NEW": "NEW", "CANCELED": "CANCELED"}  # fmt: skip


def _algo(
    algo_id: int, client: str, kind: str, symbol: str, side: str, qty: int, status: str,
    trigger: int, *, close: bool, reduce: bool, created: int, updated: int, gtd: int = 0,
    done: tuple[int, int] = (0, 0), actual: int | None = None,
) -> Json:  # fmt: skip
    """``done``: (quantity, average price) it filled when it fired. Then, as on Binance,
    ``actualOrderId`` names the order that executed (``actual``: a position's stop placed
    an order of its own, ``actual_id``; a STOP entry is that order itself: ``GET
    /fapi/v1/order`` by it shows that order FILLED), which freqtrade reads a fired stop's
    fill from."""
    executed, avg = done
    fired = executed > 0
    actual = algo_id if actual is None else actual
    return {
        "algoId": algo_id, "clientAlgoId": client, "algoType": "CONDITIONAL",
        "orderType": kind, "symbol": symbol, "side": side, "positionSide": "BOTH",
        "timeInForce": "GTC", "quantity": format_units(qty), "algoStatus": status,
        "actualOrderId": str(actual) if fired else "", "actualPrice": format_units(avg),
        "executedQty": format_units(executed), "avgPrice": format_units(avg),
        "triggerPrice": format_units(trigger), "price": format_units(0),
        "icebergQuantity": None, "selfTradePreventionMode": "NONE",
        "workingType": "CONTRACT_PRICE", "priceMatch": "NONE", "closePosition": close,
        "priceProtect": False, "reduceOnly": reduce, "createTime": created,
        "updateTime": updated, "triggerTime": updated if fired else 0, "goodTillDate": gtd,
    }  # fmt: skip


def algo_of_record(rec: OrderRecord, fills: Sequence[FillRecord] = ()) -> Json:
    """A STOP entry order (pending, or what became of it) as a Binance algo order; ``fills``
    (the store's ``fills_of_orders``) say what it executed once it fired."""
    return _algo(
        int(rec.order_id), rec.client_order_id or f"velox-{rec.order_id}", "STOP_MARKET",
        rec.asset, side_of(rec.side), rec.qty or 0, ALGO_STATUS.get(rec.status, rec.status),
        rec.price or 0, close=False, reduce=rec.reduce_only, created=rec.created_at,
        updated=rec.updated_at, gtd=rec.expires_at or 0, done=executed(rec, list(fills)),
    )  # fmt: skip


def algo_of_entry(
    order_id: str, symbol: str, velox_side: str, qty: int, trigger: int, *, client: str | None,
    reduce: bool, gtd: int, created: int, updated: int,
) -> Json:  # fmt: skip
    """A STOP entry order from its terms (the user stream's, which has no order row), as
    ``algo_of_record`` shows it while it rests."""
    return _algo(
        int(order_id), client or f"velox-{order_id}", "STOP_MARKET", symbol,
        side_of(velox_side), qty, "NEW", trigger, close=False, reduce=reduce, created=created,
        updated=updated, gtd=gtd,
    )  # fmt: skip


def algo_of_position(pos: Position, kind: int, status: str = "NEW") -> Json:
    """A position's stop-loss / take-profit / trailing stop as a conditional algo order."""
    shown = conditional_json(pos, kind, status)
    algo = algo_of_conditional(shown, actual_id(pos.order_id, kind))
    if kind == TRAILING:
        algo.update(activatePrice=shown["activatePrice"], callbackRate=shown["priceRate"])
    return algo


def algo_of_conditional(shown: Json, actual: int | None = None) -> Json:
    """A conditional order (``conditional_json``, ``ended_conditional_json``, ``stop_json``)
    as Binance's Algo Order API shows it; ``actual``: the order it placed when it fired
    (``actual_id``)."""
    return _algo(
        shown["orderId"], shown["clientOrderId"], shown["type"], shown["symbol"],
        shown["side"], parse_units(shown["origQty"]),
        ALGO_STATUS[shown["status"]], parse_units(shown["stopPrice"]),
        close=shown["closePosition"], reduce=True, created=shown["time"],
        updated=shown["updateTime"],
        done=(parse_units(shown["executedQty"]), parse_units(shown["avgPrice"])), actual=actual,
    )  # fmt: skip


def actual_id(position_id: str, kind: int) -> int:
    """The order a position's stop of ``kind`` placed when it fired (a position closes once,
    so one per position and kind): ``GET /fapi/v1/order``, ``userTrades`` and the user
    stream show the close under it; the stop's own id is the algo order's."""
    return conditional_id(position_id, kind)


def algo_of_stop(rec: StopRecord) -> Json:
    """A stop's row (``stop_json``) as an algo order."""
    return algo_of_conditional(stop_json(rec), actual_id(rec.position_id, rec.kind))


def algos(pos: Position) -> list[Json]:
    return [algo_of_position(pos, kind) for kind in KINDS if trigger_of(pos, kind) is not None]
