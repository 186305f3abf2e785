"""Binance's batch order endpoints: ``POST /fapi/v1/batchOrders`` (ccxt's ``create_orders``)
and ``DELETE /fapi/v1/batchOrders`` (``cancel_orders``).

Each order of a batch is placed, or cancelled, exactly as ``POST``/``DELETE
/fapi/v1/order`` would with its parameters, one after the other; the answer lists, in the
batch's order, each order or its error (``{"code", "msg"}``), as Binance's does: one bad
order does not stop the others, nor does an engine that cannot answer for one (its place
says -1001). Each counts against the order rate like a single order.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import orjson

from velox.binance import trading
from velox.binance.endpoint import Call, endpoint
from velox.binance.errors import BinanceError, internal, status_unknown
from velox.binance.keyring import TRADE
from velox.binance.params import Params
from velox.published import EngineTimeout
from velox.service import EngineNotReady

MAX_ORDERS = 5  # Binance's limit per batch
MAX_CANCELS = 10
LISTS = (("orderIdList", "orderId"), ("orderidlist", "orderId"),
         ("origClientOrderIdList", "origClientOrderId"),
         ("origclientorderidlist", "origClientOrderId"))  # fmt: skip


def _invalid(name: str) -> BinanceError:
    return BinanceError(-1130, f"Data sent for parameter '{name}' is not valid.")


def _list_param(call: Call, name: str, most: int) -> list[Any]:
    try:  # orjson: deep nesting is a ValueError too, never a RecursionError
        items = orjson.loads(call.params.required(name))
    except ValueError:
        raise _invalid(name) from None
    if not isinstance(items, list) or not 1 <= len(items) <= most:
        raise _invalid(name)
    return items


def _text(value: Any) -> str:
    """A JSON value as the text a query would carry (``true``, not ``True``)."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


async def _each(call: Call, batch: list[dict[str, str]], one: Any) -> list[Any]:
    answers: list[Any] = []
    for values in batch:
        try:
            params = Params.parse(urlencode(values), "")
            answers.append(await one(Call(call.request, params, call.key)))
        except BinanceError as error:
            answers.append(error.body())
        except EngineTimeout:  # this one's fate unknown: the others' answers still count
            answers.append(status_unknown().body())
        except EngineNotReady:  # this one not placed: the others' answers still count
            answers.append(internal().body())
    return answers


@endpoint(5, signed=TRADE)
async def place_orders(call: Call) -> Any:
    items = _list_param(call, "batchOrders", MAX_ORDERS)
    if not all(isinstance(i, dict) for i in items):
        raise _invalid("batchOrders")
    batch = [{str(k): _text(v) for k, v in item.items()} for item in items]
    return await _each(call, batch, trading.place)


@endpoint(1, signed=TRADE)
async def cancel_orders(call: Call) -> Any:
    symbol = call.params.required("symbol")
    given = [(name, param) for name, param in LISTS if call.params.get(name) is not None]
    if not given:  # ccxt spells them in lower case, as Binance also takes them
        raise BinanceError(-1102, "Either orderIdList or origClientOrderIdList must be sent.")
    name, param = given[0]
    ids = _list_param(call, name, MAX_CANCELS)
    if not all(isinstance(i, int | str) and not isinstance(i, bool) for i in ids):
        raise _invalid(name)
    batch = [{"symbol": symbol, param: str(i)} for i in ids]
    return await _each(call, batch, trading.cancel)
