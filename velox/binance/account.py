"""Signed account reads and settings: account, balance, positionRisk, brackets, leverage...

Every figure is the native API's for the same account, renamed (SPEC section 3 ->
Binance): ``availableBalance`` = ``balance`` (free cash), ``positionInitialMargin`` =
``usedMargin``, ``openOrderInitialMargin`` = ``pendingMargin`` (reserved by resting orders),
``initialMargin`` = both, ``marginBalance`` = ``equity``, ``walletBalance`` = free cash +
locked margin + reserved margin,
``unrealizedProfit`` = ``unrealizedPnl``; a position's ``entryPrice``, ``liquidationPrice``,
``isolatedWallet`` (its margin) and ``unRealizedProfit`` are its order's ``openPrice``,
``liquidationPrice``, ``margin`` and ``unrealizedPnl``, and ``isolatedMargin`` is, as on
Binance, ``isolatedWallet + unRealizedProfit``; ``markPrice`` is the reference
price (``premiumIndex``). Every account is isolated-margin: ``marginType`` and
``positionSide/dual`` accept only what is already so, with Binance's answers. A NETTING
account is one-way (``BOTH``); a HEDGING account, whose key only reads, is hedge mode: each
of its positions is its own entry on its own side (``velox.binance.sides``).
"""

from __future__ import annotations

from typing import Any

from velox.binance import shapes
from velox.binance.endpoint import Call, endpoint
from velox.binance.errors import BinanceError, invalid
from velox.binance.keyring import READ, TRADE
from velox.binance.keys import KEYRING, TERMS
from velox.binance.placing import position_on
from velox.binance.sides import flat_sides, hedge_mode, position_side
from velox.binance.terms import Terms
from velox.engine.engine import Engine
from velox.engine.state import Position
from velox.engine.views import account_figures, open_positions, unrealized_pnl
from velox.frozen import frozen
from velox.money import format_units, mul_ceil, mul_floor
from velox.web.keys import OPTIONS, SERVICE, SETTINGS

Json = dict[str, Any]


@frozen
class Owner:
    """An account as the engine's views take it: its user and its id."""

    user_id: str
    account_id: str


def _maint(margin: int, terms: Terms) -> int:
    """The margin left when a position liquidates: margin x mmr, rounded up (SPEC 4)."""
    return mul_ceil(margin, terms.mmr)


def _position(engine: Engine, pos: Position, terms: Terms, now: int, hedged: bool) -> Json:
    quote = engine.quotes.get(pos.asset)
    mark = quote.ref if quote is not None else pos.open_price
    signed_qty = pos.qty if pos.side == "LONG" else -pos.qty
    notional = mul_floor(signed_qty, mark)
    profit = unrealized_pnl(engine, pos)
    return {
        "symbol": pos.asset,
        "positionSide": position_side(pos, hedged),
        "positionAmt": format_units(signed_qty),
        "entryPrice": format_units(pos.open_price),
        "breakEvenPrice": format_units(pos.open_price),
        "markPrice": format_units(mark),
        "unRealizedProfit": format_units(profit),
        "liquidationPrice": format_units(pos.liquidation_price),
        "leverage": str(pos.leverage),
        "maxNotionalValue": format_units(shapes.MAX_QTY),
        "marginType": "isolated",
        "isolatedMargin": format_units(pos.margin + profit),  # Binance's: wallet + profit
        "isAutoAddMargin": "false",
        "notional": format_units(notional),
        "marginAsset": "USDT",
        "isolatedWallet": format_units(pos.margin),
        "initialMargin": format_units(pos.margin),
        "maintMargin": format_units(_maint(pos.margin, terms)),
        "positionInitialMargin": format_units(pos.margin),
        "openOrderInitialMargin": format_units(0),
        "adl": 0,
        "bidNotional": format_units(0),
        "askNotional": format_units(0),
        "updateTime": pos.opened_at,
    }


def _flat(symbol: str, engine: Engine, leverage: int, side: str) -> Json:
    """A symbol without a position on ``side`` (positionRisk v2 lists every symbol)."""
    quote = engine.quotes.get(symbol)
    zero = format_units(0)
    return {
        "symbol": symbol, "positionSide": side, "positionAmt": zero, "entryPrice": zero,
        "breakEvenPrice": zero, "markPrice": format_units(quote.ref if quote else 0),
        "unRealizedProfit": zero, "liquidationPrice": zero, "leverage": str(leverage),
        "maxNotionalValue": format_units(shapes.MAX_QTY), "marginType": "isolated",
        "isolatedMargin": zero, "isAutoAddMargin": "false", "notional": zero,
        "marginAsset": "USDT", "isolatedWallet": zero, "initialMargin": zero,
        "maintMargin": zero, "positionInitialMargin": zero, "openOrderInitialMargin": zero,
        "adl": 0, "bidNotional": zero, "askNotional": zero, "updateTime": 0,
    }  # fmt: skip


def _position_rows(
    engine: Engine,
    owner: Owner,
    terms: Terms,
    now: int,
    wanted: tuple[str, ...],
    leverages: dict[str, int],
    every_symbol: bool,
) -> list[Json]:
    """The account's positions on the ``wanted`` symbols, and with ``every_symbol`` a flat
    row for each symbol and side holding none (both sides in hedge mode), as Binance lists
    them in positionRisk v2 and the account."""
    hedged = hedge_mode(engine, owner.user_id, owner.account_id)
    held = [p for p in open_positions(engine, owner.user_id, owner.account_id) if p.asset in wanted]
    rows = [_position(engine, p, terms, now, hedged) for p in held]
    if every_symbol:
        taken = {(p.asset, position_side(p, hedged)) for p in held}
        rows += [
            _flat(s, engine, leverages.get(s, terms.default_leverage), side)
            for s in wanted
            for side in flat_sides(hedged)
            if (s, side) not in taken
        ]
    return rows


def _as_account_position(risk: Json) -> Json:
    """A positionRisk row as ``/fapi/v2/account`` lists it: Binance spells its profit
    ``unrealizedProfit`` there (``unRealizedProfit`` in positionRisk), and adds
    ``isolated`` and ``maxNotional``."""
    row = {k: v for k, v in risk.items() if k != "unRealizedProfit"}
    row.update(unrealizedProfit=risk["unRealizedProfit"], isolated=True,
               maxNotional=risk["maxNotionalValue"])  # fmt: skip
    return row


def _assets(engine: Engine, owner: Owner, terms: Terms, now: int) -> Json:
    f = account_figures(engine, owner.user_id, owner.account_id)
    positions = open_positions(engine, owner.user_id, owner.account_id)
    maint = sum(_maint(p.margin, terms) for p in positions)
    return {
        "asset": "USDT",
        "walletBalance": format_units(f.cash),
        "unrealizedProfit": format_units(f.unrealized_pnl),
        "marginBalance": format_units(f.equity),
        "maintMargin": format_units(maint),
        "initialMargin": format_units(f.used_margin + f.pending_margin),
        "positionInitialMargin": format_units(f.used_margin),
        "openOrderInitialMargin": format_units(f.pending_margin),
        "crossWalletBalance": format_units(f.balance),
        "crossUnPnl": format_units(0),
        "availableBalance": format_units(f.free_margin),
        "maxWithdrawAmount": format_units(f.free_margin),
        "marginAvailable": True,
        "updateTime": now,
    }


async def _leverages(call: Call) -> dict[str, int]:
    return await call.app[KEYRING].leverages(call.credential.account_id)


def _now(call: Call) -> int:
    return call.app[OPTIONS].clock.wall_ms()


async def _read(call: Call, view: Any) -> Any:
    """``view(engine, account)`` of the key's account (its owner and id)."""
    key = call.credential
    account = Owner(key.user_id, key.account_id)
    return await call.app[SERVICE].read(lambda engine: view(engine, account))


@endpoint(5, signed=READ)
async def account(call: Call) -> Any:
    settings, now = call.app[SETTINGS], _now(call)
    terms = call.app[TERMS]
    leverages = await _leverages(call)
    can_trade = await call.app[KEYRING].may_trade(call.credential)

    def view(engine: Engine, owner: Owner) -> Json:
        usdt = _assets(engine, owner, terms, now)
        rows = _position_rows(engine, owner, terms, now, settings.symbols, leverages, True)
        positions = [_as_account_position(p) for p in rows]
        return {
            "feeTier": 0, "canTrade": can_trade, "canDeposit": False,
            "canWithdraw": False, "updateTime": now, "multiAssetsMargin": False,
            "tradeGroupId": -1,
            "totalInitialMargin": usdt["initialMargin"], "totalMaintMargin": usdt["maintMargin"],
            "totalWalletBalance": usdt["walletBalance"],
            "totalUnrealizedProfit": usdt["unrealizedProfit"],
            "totalMarginBalance": usdt["marginBalance"],
            "totalPositionInitialMargin": usdt["positionInitialMargin"],
            "totalOpenOrderInitialMargin": usdt["openOrderInitialMargin"],
            "totalCrossWalletBalance": usdt["crossWalletBalance"],
            "totalCrossUnPnl": usdt["crossUnPnl"],
            "availableBalance": usdt["availableBalance"],
            "maxWithdrawAmount": usdt["maxWithdrawAmount"],
            "assets": [usdt], "positions": positions,
        }  # fmt: skip

    return await _read(call, view)


@endpoint(5, signed=READ)
async def balance(call: Call) -> Any:
    terms, now = call.app[TERMS], _now(call)

    def view(engine: Engine, owner: Owner) -> list[Json]:
        usdt = _assets(engine, owner, terms, now)
        return [{
            "accountAlias": "Velox", "asset": "USDT", "balance": usdt["walletBalance"],
            "crossWalletBalance": usdt["crossWalletBalance"], "crossUnPnl": usdt["crossUnPnl"],
            "availableBalance": usdt["availableBalance"],
            "maxWithdrawAmount": usdt["maxWithdrawAmount"], "marginAvailable": True,
            "updateTime": now,
        }]  # fmt: skip

    return await _read(call, view)


def _position_risk(every_symbol: bool) -> Any:
    async def handler(call: Call) -> Any:
        settings, now = call.app[SETTINGS], _now(call)
        terms = call.app[TERMS]
        symbol = call.params.symbol(settings.symbols, required=False)
        wanted = (symbol,) if symbol is not None else settings.symbols
        leverages = await _leverages(call)

        def view(engine: Engine, owner: Owner) -> list[Json]:
            return _position_rows(engine, owner, terms, now, wanted, leverages, every_symbol)

        return await _read(call, view)

    return handler


position_risk_v2 = endpoint(5, signed=READ)(_position_risk(every_symbol=True))
position_risk_v3 = endpoint(5, signed=READ)(_position_risk(every_symbol=False))


@endpoint(1, signed=READ)
async def leverage_bracket(call: Call) -> Any:
    settings = call.app[SETTINGS]
    terms = call.app[TERMS]
    symbol = call.params.symbol(settings.symbols, required=False)

    leverages = await _symbol_leverages(call)

    def bracket(s: str) -> Json:
        return shapes.leverage_bracket(s, terms, leverages.get(s, terms.default_leverage))

    return bracket(symbol) if symbol is not None else [bracket(s) for s in settings.symbols]


@endpoint(lambda p: 1 if p.get("symbol") else 10, signed=READ)
async def symbol_config(call: Call) -> Any:
    """``/fapi/v1/symbolConfig`` (ccxt's ``fetch_leverage``, ``fetch_margin_mode``): each
    symbol's margin type (always isolated) and leverage: an open position's own, else the
    one set for the symbol."""
    settings, terms = call.app[SETTINGS], call.app[TERMS]
    symbol = call.params.symbol(settings.symbols, required=False)
    leverages = await _symbol_leverages(call)
    return [{"symbol": s, "marginType": "ISOLATED", "isAutoAddMargin": "false",
             "leverage": leverages.get(s, terms.default_leverage),
             "maxNotionalValue": format_units(shapes.MAX_QTY)}
            for s in ([symbol] if symbol is not None else settings.symbols)]  # fmt: skip


async def _symbol_leverages(call: Call) -> dict[str, int]:
    """Symbol -> leverage: an open position's own, else the one set for the symbol (a new
    dict: the key ring's cached one is never changed)."""
    return {**await _leverages(call), **await _read(call, _held_leverages)}


def _held_leverages(engine: Engine, owner: Owner) -> dict[str, int]:
    """The leverage of each open position's symbol (the native API may have opened it at
    another leverage than the one set for the symbol)."""
    positions = open_positions(engine, owner.user_id, owner.account_id)
    return {p.asset: p.leverage for p in positions}


@endpoint(20, signed=READ)
async def commission_rate(call: Call) -> Any:
    settings = call.app[SETTINGS]
    symbol = call.params.symbol(settings.symbols)
    assert symbol is not None
    return shapes.commission_rate(symbol, call.app[TERMS])


@endpoint(30, signed=READ)
async def get_position_mode(call: Call) -> Any:
    """Hedge mode for a HEDGING account's key (``velox.binance.sides``), else one-way."""
    mode = await call.app[KEYRING].mode_of(call.credential.account_id)
    return {"dualSidePosition": mode == "HEDGING"}


@endpoint(30, signed=READ)
async def get_multi_assets_mode(call: Call) -> Any:
    """Single-asset mode, always (USDT margins each position): freqtrade asks at start."""
    return {"multiAssetsMargin": False}


@endpoint(1, signed=TRADE)
async def set_position_mode(call: Call) -> Any:
    value = call.params.choice("dualSidePosition", ("true", "false"))
    if value == "false":
        raise BinanceError(-4059, "No need to change position side.")
    raise invalid("dualSidePosition")  # hedge mode: Velox accounts are one-way


@endpoint(1, signed=TRADE)
async def set_margin_type(call: Call) -> Any:
    call.params.symbol(call.app[SETTINGS].symbols)
    value = call.params.choice("marginType", ("ISOLATED", "CROSSED"))
    if value == "ISOLATED":
        raise BinanceError(-4046, "No need to change margin type.")
    raise invalid("marginType")  # cross margin: Velox margins every position on its own


@endpoint(1, signed=TRADE)
async def set_leverage(call: Call) -> Any:
    settings = call.app[SETTINGS]
    symbol = call.params.symbol(settings.symbols)
    assert symbol is not None
    raw = call.params.required("leverage")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        raise BinanceError(-4028, f"Leverage {raw[:12]} is not valid")
    leverage = int(raw)
    if not 1 <= leverage <= settings.max_leverage:
        raise BinanceError(-4028, f"Leverage {leverage} is not valid")
    key = call.credential
    held = await position_on(call, key.user_id, key.account_id, symbol)
    if held is not None and held.leverage != leverage:
        # A position's leverage is fixed for its life (SPEC 4: its margin and liquidation
        # price follow from it), and an order adding to it must match it: refused here,
        # where the bot can act on it, not at each of its later orders.
        raise BinanceError(-4161, f"The open {symbol} position's leverage is {held.leverage}: "
                                  "it cannot change until the position is closed.")  # fmt: skip
    await call.app[KEYRING].set_leverage(key.account_id, symbol, leverage)
    return {
        "leverage": leverage,
        "maxNotionalValue": format_units(shapes.MAX_QTY),
        "symbol": symbol,
    }


@endpoint(10, signed=READ)
async def coins(call: Call) -> Any:
    """``/sapi/v1/capital/config/getall`` (ccxt's ``load_markets`` asks it once a key is set):
    the settlement asset and the traded ones, none of them depositable or withdrawable."""
    names = ["USDT", *(shapes.base_asset(s) for s in call.app[SETTINGS].symbols)]
    zero = format_units(0)
    return [
        {
            "coin": coin,
            "name": coin,
            "depositAllEnable": False,
            "withdrawAllEnable": False,
            "free": zero,
            "locked": zero,
            "freeze": zero,
            "withdrawing": zero,
            "ipoing": zero,
            "ipoable": zero,
            "storage": zero,
            "isLegalMoney": False,
            "trading": True,
            "networkList": [],
        }
        for coin in names
    ]


@endpoint(1, signed=READ)
async def margin_pairs(call: Call) -> Any:
    """``/sapi/v1/margin/allPairs``: no spot margin trading here (ccxt asks with the coins)."""
    return []
