"""Binance's error answers: ``{"code": -NNNN, "msg": "..."}`` with Binance's HTTP status.

Codes and messages are Binance's own (its USDⓈ-M futures error-code list), so a bot's error
handling (ccxt maps codes to exception classes) works unchanged. Only this package raises
them; the native API keeps its own codes.
"""

from __future__ import annotations

from typing import Any

# code -> HTTP status (Binance answers 4XX for a client's fault, 429 past a limit, 5XX for ours)
STATUS: dict[int, int] = {
    -1001: 503,  # DISCONNECTED: internal error; retry
    -1007: 503,  # TIMEOUT: the backend did not answer; execution status unknown
    -1003: 429,  # TOO_MANY_REQUESTS
    -1015: 429,  # TOO_MANY_ORDERS (the user's order rate)
    -1021: 400,  # INVALID_TIMESTAMP
    -1022: 400,  # INVALID_SIGNATURE
    -1023: 400,  # start time after end time
    -1100: 400,  # ILLEGAL_CHARS
    -1101: 400,  # TOO_MANY_PARAMETERS (also duplicates)
    -1102: 400,  # MANDATORY_PARAM_EMPTY_OR_MALFORMED
    -1106: 400,  # PARAM_NOT_REQUIRED
    -1111: 400,  # BAD_PRECISION
    -1120: 400,  # BAD_INTERVAL
    -1121: 400,  # BAD_SYMBOL
    -1125: 400,  # INVALID_LISTEN_KEY
    -1127: 400,  # MORE_THAN_XX_HOURS (aggTrades: a window over an hour)
    -1115: 400,  # INVALID_TIF
    -1116: 400,  # INVALID_ORDER_TYPE
    -1117: 400,  # INVALID_SIDE
    -1130: 400,  # INVALID_PARAMETER
    -1131: 400,  # recvWindow too large
    -2011: 400,  # CANCEL_REJECTED: unknown order sent
    -2013: 400,  # NO_SUCH_ORDER
    -2014: 401,  # BAD_API_KEY_FMT
    -2015: 401,  # REJECTED_MBX_KEY
    -2019: 400,  # margin insufficient
    -2021: 400,  # order would immediately trigger
    -2022: 400,  # reduce-only order rejected
    -2027: 400,  # over the maximum position
    -4005: 400,  # QTY_GREATER_THAN_MAX_QTY (exchangeInfo's LOT_SIZE maxQty)
    -4028: 400,  # leverage not valid
    -4046: 400,  # no need to change margin type
    -4054: 400,  # ADD_ISOLATED_MARGIN_REJECT (no position to add margin to)
    -4055: 400,  # AMOUNT_MUST_BE_POSITIVE
    -4059: 400,  # no need to change position side
    -4061: 400,  # position side does not match the account's mode (one-way: BOTH)
    -4116: 400,  # clientOrderId duplicated (among resting orders)
    -4130: 400,  # a closePosition stop of that kind is already open (cancel it first)
    -5021: 400,  # a FOK order that could not fill at once (not recorded)
    -5022: 400,  # a post-only (GTX) order that would take (not recorded)
    -4161: 400,  # leverage change with an open position
    -4164: 400,  # notional too small
    -5040: 400,  # goodTillDate not over 600 s ahead
}


class BinanceError(Exception):
    """An error answered as Binance does."""

    def __init__(self, code: int, msg: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.headers = headers or {}

    @property
    def status(self) -> int:
        return STATUS[self.code]

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "msg": self.msg}


def mandatory(name: str) -> BinanceError:
    return BinanceError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


# Parameters Binance refuses with a code of their own when their value is not one it takes.
_INVALID_VALUE = {
    "side": (-1117, "Invalid side."),
    "type": (-1116, "Invalid orderType."),
    "timeInForce": (-1115, "Invalid timeInForce."),
    "positionSide": (-4061, "Order's position side does not match user's setting."),
}


def invalid(name: str) -> BinanceError:
    code, msg = _INVALID_VALUE.get(name, (-1130, f"Data sent for parameter '{name}' is not valid."))
    return BinanceError(code, msg)


def bad_symbol() -> BinanceError:
    return BinanceError(-1121, "Invalid symbol.")


def bad_key_format() -> BinanceError:
    return BinanceError(-2014, "API-key format invalid.")


def rejected_key() -> BinanceError:
    return BinanceError(-2015, "Invalid API-key, IP, or permissions for action.")


def no_such_order() -> BinanceError:
    """Reading an order this account does not have (GET)."""
    return BinanceError(-2013, "Order does not exist.")


def unknown_order() -> BinanceError:
    """Cancelling an order this account does not have, or no longer open (DELETE)."""
    return BinanceError(-2011, "Unknown order sent.")


def status_unknown() -> BinanceError:
    """Binance's answer when its backend did not answer in time: the order may exist."""
    return BinanceError(
        -1007,
        "Timeout waiting for response from backend server. Send status unknown; "
        "execution status unknown.",
    )


def internal() -> BinanceError:
    return BinanceError(-1001, "Internal error; unable to process your request. Please try again.")
