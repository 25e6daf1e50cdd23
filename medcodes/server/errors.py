"""Every failure as `{"error": {"code", "message"}}` with its HTTP status; never a traceback.

The core's errors are all MedcodesError (medcodes.errors): a bad query is the client's (400),
an unknown code is 404, an index that cannot be opened is the server's state (503).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from medcodes.errors import MedcodesError
from medcodes.index.codesets import NoCodeSetError
from medcodes.index.lookup import AmbiguousCodeError, PageNotFoundError
from medcodes.index.store import (
    IndexCorruptError,
    IndexMissingError,
    NotAnIndexError,
    SchemaMismatchError,
)
from medcodes.server.limits import TooLargeError

log = logging.getLogger(__name__)

# The errors that say the index cannot be served right now, not that the request is wrong.
_UNAVAILABLE = (IndexMissingError, IndexCorruptError, NotAnIndexError, SchemaMismatchError)


class ApiError(Exception):
    """An answer other than 200, raised by a route: status, code and message (and extra fields)."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def error_response(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


def api_error_of(err: MedcodesError) -> ApiError:
    """The HTTP answer to an error the core raised."""
    if isinstance(err, _UNAVAILABLE):
        return ApiError(503, "index_unavailable", str(err))
    if isinstance(err, NoCodeSetError):
        return ApiError(503, "no_code_set", str(err))
    if isinstance(err, PageNotFoundError):
        return ApiError(404, "not_found", str(err))
    if isinstance(err, AmbiguousCodeError):
        return ApiError(400, "ambiguous_code", f"{err}: add ?system=", systems=list(err.systems))
    return ApiError(400, "bad_query", str(err))


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception a route can raise to the one error shape."""

    @app.exception_handler(ApiError)
    async def on_api_error(_request: Request, err: ApiError) -> JSONResponse:
        return error_response(err.status, err.code, err.message, **err.extra)

    @app.exception_handler(MedcodesError)
    async def on_medcodes_error(request: Request, err: MedcodesError) -> JSONResponse:
        return await on_api_error(request, api_error_of(err))

    @app.exception_handler(TooLargeError)
    async def on_too_large(_request: Request, err: TooLargeError) -> JSONResponse:
        return error_response(413, "too_large", str(err))

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_request: Request, err: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
            for e in err.errors()
        )
        return error_response(422, "invalid_request", problems or "invalid request")

    @app.exception_handler(HTTPException)
    async def on_http(_request: Request, err: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(err.status_code, "http_error")
        return error_response(err.status_code, code, str(err.detail))

    @app.exception_handler(Exception)
    async def on_bug(request: Request, err: Exception) -> JSONResponse:
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=err)
        return error_response(500, "internal", "internal error: the server logged it")


__all__ = ["ApiError", "api_error_of", "error_response", "install_error_handlers"]
