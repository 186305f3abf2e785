"""API errors: one exception type and the one table that maps every code to its status.

Handlers raise ``ApiError``; engine refusals become ``ApiError`` through ``refusal_error``;
the error middleware turns all of them into ``{"error": {"code", "message", "field"?}}``.
Keeping the table here (SPEC section 7) means no handler ever picks a status by hand.
"""

from __future__ import annotations

from velox.engine.errors import Code, Refusal

STATUS: dict[str, int] = {
    "INVALID_JSON": 400,
    "VALIDATION_ERROR": 400,
    "UNKNOWN_ASSET": 400,
    "UNAUTHORIZED": 401,
    "INVALID_CREDENTIALS": 401,
    "FORBIDDEN": 403,
    "WRONG_PASSWORD": 403,  # a signed-in change of password: not 401, the session is fine
    "REAUTH_REQUIRED": 403,  # setting a first password needs a fresh sign-in
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "EMAIL_TAKEN": 409,
    "ORDER_CLOSED": 409,
    "ORDER_NOT_PENDING": 409,
    "ORDER_NOT_OPEN": 409,  # a close or margin of a pending (or cancelled, expired...) order
    "DUPLICATE_CLIENT_ORDER_ID": 409,  # Binance's API only (the native one never reuses)
    "BODY_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "INSUFFICIENT_BALANCE": 422,
    "MARGIN_TOO_SMALL": 422,
    "INVALID_STOP_LOSS": 422,
    "INVALID_TAKE_PROFIT": 422,
    "SLIPPAGE_EXCEEDED": 422,
    "TOO_MANY_POSITIONS": 422,
    "TOO_MANY_API_KEYS": 422,
    "HEDGING_KEY_READ_ONLY": 422,  # "trade" asked for a HEDGING account's key (SPEC 13)
    "WOULD_TRIGGER_IMMEDIATELY": 422,
    "LEVERAGE_MISMATCH": 422,
    "REDUCE_ONLY_REJECTED": 422,
    "WOULD_TAKE": 422,  # Binance's API only (a post-only LIMIT, timeInForce GTX)
    "WOULD_NOT_FILL": 422,  # Binance's API only (a LIMIT with timeInForce FOK)
    "TOO_MANY_ACCOUNTS": 422,
    "RATE_LIMITED": 429,
    "INTERNAL": 500,
    "PRICE_STALE": 503,
    "ENGINE_NOT_READY": 503,
    "DATABASE_UNAVAILABLE": 503,  # the store cannot be reached or cannot write (a retry may do)
}

# Every engine refusal code must have a status: checked at import, not discovered in production.
_missing = [code.value for code in Code if code.value not in STATUS]
if _missing:  # pragma: no cover - a programming error
    raise RuntimeError(f"engine codes without an HTTP status: {_missing}")


class ApiError(Exception):
    """An error answered to the client as-is: its code, a human message, maybe a field."""

    def __init__(
        self,
        code: str,
        message: str,
        field: str | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}

    @property
    def status(self) -> int:
        return STATUS[self.code]

    def body(self) -> dict[str, object]:
        error: dict[str, object] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        return {"error": error}


def refusal_error(refusal: Refusal) -> ApiError:
    return ApiError(refusal.code.value, refusal.message, refusal.field)


def validation(message: str, field: str | None = None) -> ApiError:
    return ApiError("VALIDATION_ERROR", message, field)


def unauthorized(message: str = "sign in first") -> ApiError:
    return ApiError("UNAUTHORIZED", message)


def not_found(message: str = "not found") -> ApiError:
    return ApiError("NOT_FOUND", message)
