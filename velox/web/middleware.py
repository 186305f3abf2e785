"""The one place errors become responses, plus the checks every request goes through.

Every error leaves as ``{"error": {"code", "message", "field"?}}`` with the status of SPEC
section 7. aiohttp's own HTTP errors (unknown route, wrong method, body too large) are
translated; an unexpected exception is logged with a request id and answered 500 INTERNAL with
that id and nothing else, so no stack trace or internal detail reaches a client. A database
that cannot be reached or cannot write (``velox.store.unavailable``) is no bug: 503
DATABASE_UNAVAILABLE, and one log line at most every ``UNAVAILABLE_LOG_S`` (a traceback per
request buried the log while every sign-in failed).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler

from velox.feeds.ratelog import RateLimitedLog
from velox.published import EngineBusy, EngineTimeout, InDoubt, JournalDown
from velox.service import EngineNotReady
from velox.store.session_guard import SessionEndedError
from velox.store.unavailable import reason, unavailable
from velox.web.auth.security import check_origin
from velox.web.errors import ApiError, unauthorized
from velox.web.jsonio import MAX_BODY, json_response

log = logging.getLogger("velox.web")

_HTTP_CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "BODY_TOO_LARGE",
    429: "RATE_LIMITED",
    503: "ENGINE_NOT_READY",
}
_HTTP_MESSAGES = {
    404: "no such route",
    405: "method not allowed on this route",
    413: "the request body is larger than 1 MiB",
}


UNAVAILABLE_LOG_S = 10.0
UNAVAILABLE = "the database is unavailable; retry shortly"
_unavailable_log = RateLimitedLog(log, logging.ERROR, UNAVAILABLE_LOG_S)

_PROCESS_TAG = uuid.uuid4().hex[:8]
_request_numbers = itertools.count(1)


def next_request_id() -> str:
    """Unique per process run and cheap (a uuid4 per request was a syscall on the hot path)."""
    return f"{_PROCESS_TAG}-{next(_request_numbers)}"


def error_response(error: ApiError, request_id: str) -> web.Response:
    headers = {"X-Request-Id": request_id, **error.headers}
    return json_response(error.body(), status=error.status, headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = next_request_id()
    try:
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise ApiError("BODY_TOO_LARGE", "the request body is larger than 1 MiB")
        check_origin(request)
        response = await handler(request)
    except ApiError as exc:
        return error_response(exc, request_id)
    except SessionEndedError:  # signed out while the request ran: as if at its start
        return error_response(unauthorized("this session has been signed out"), request_id)
    except (JournalDown, InDoubt, EngineBusy) as exc:  # says what is wrong: no journal,
        # no trust, or an engine too busy to take it in time
        return error_response(ApiError("ENGINE_NOT_READY", str(exc)), request_id)
    except EngineTimeout:  # the one 503 after which the request may have been carried out
        return error_response(ApiError("ENGINE_NOT_READY", EngineTimeout.MESSAGE), request_id)
    except EngineNotReady:
        return error_response(
            ApiError("ENGINE_NOT_READY", "the engine is starting or stopping; retry shortly"),
            request_id,
        )
    except web.HTTPException as exc:
        if exc.status < 400:
            raise  # redirects and the like are answers, not errors
        code = _HTTP_CODES.get(exc.status)
        if code is None:
            return _internal(request, request_id, exc)
        message = _HTTP_MESSAGES.get(exc.status, exc.reason)
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        error = ApiError(code, message, headers=headers)
        return error_response(error, request_id)
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception as exc:
        if unavailable(exc):
            return database_unavailable(request, request_id, exc)
        return _internal(request, request_id, exc)
    if not response.prepared:
        response.headers.setdefault("X-Request-Id", request_id)
    return response


def database_unavailable(request: web.Request, request_id: str, exc: BaseException) -> web.Response:
    """503 DATABASE_UNAVAILABLE, said in one line (at most one every ``UNAVAILABLE_LOG_S``)."""
    note_unavailable(f"request {request_id} {request.method} {request.path}", exc)
    return error_response(ApiError("DATABASE_UNAVAILABLE", UNAVAILABLE), request_id)


def note_unavailable(what: str, exc: BaseException) -> None:
    """The log line of a request the database could not serve (rate-limited, no traceback)."""
    _unavailable_log("%s: the database is unavailable (%s)", what, reason(exc))


def _internal(request: web.Request, request_id: str, exc: BaseException) -> web.Response:
    # The path only: query strings may carry tokens (magic links, tickets).
    log.error("request %s %s %s failed", request_id, request.method, request.path, exc_info=exc)
    body = {
        "error": {
            "code": "INTERNAL",
            "message": "internal error; quote the requestId when reporting it",
            "requestId": request_id,
        }
    }
    return json_response(body, status=500, headers={"X-Request-Id": request_id})
