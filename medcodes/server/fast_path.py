"""GET /suggest and GET /search answered without FastAPI's per-request machinery.

Under load the event loop, not the search threads, became what limits suggestions a second: for
each request FastAPI solves the endpoint's dependencies and validates its parameters with
pydantic, and that took more of the process's time than a suggestion read from the kept tables
(queries/completion_tables.py). A search box sends these two requests at every keystroke and on
enter, so this middleware reads their parameters itself when it can be sure of them (each at
most once, numbers plain digits within their bounds, booleans 0/1/true/false) and answers with
the same handler and the same JSONResponse as the route. Anything else — a missing or repeated
parameter, a number out of bounds, a date — goes on to the FastAPI route, which answers or
rejects it (422) as before, so the API and its errors are unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from medcodes.errors import MedcodesError
from medcodes.server.errors import ApiError, api_error_of, error_response

_DIGITS = re.compile(r"^[0-9]{1,6}$")
_BOOLEANS = {"1": True, "true": True, "0": False, "false": False}

Params = dict[str, object]
Handler = Callable[[Params], Awaitable[Response]]


@dataclass(frozen=True)
class Rule:
    """What one parameter of a fast route may be."""

    kind: type  # str, int or bool (a list of str when `many`)
    default: object = None
    low: int = 0
    high: int = 0
    many: bool = False  # repeatable (?system=a&system=b)
    required: bool = False
    absent_only: bool = False  # read only when not given (its default); given, the route reads it


@dataclass(frozen=True)
class FastRoute:
    """A GET path, its parameters' rules, and the handler that answers with them."""

    rules: dict[str, Rule]
    handler: Handler


class FastPaths:
    """ASGI middleware: answers the GET requests of `routes` whose parameters it reads with
    certainty; hands every other request to `app`."""

    def __init__(self, app: ASGIApp, routes: dict[str, FastRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        is_get = scope["type"] == "http" and scope["method"] == "GET"
        route = self.routes.get(scope["path"]) if is_get else None
        params = _read(scope["query_string"], route.rules) if route is not None else None
        if route is None or params is None:
            await self.app(scope, receive, send)
            return
        try:
            response = await route.handler(params)
        except ApiError as err:
            response = error_response(err.status, err.code, err.message, **err.extra)
        except MedcodesError as err:
            api = api_error_of(err)
            response = error_response(api.status, api.code, api.message, **api.extra)
        await response(scope, receive, send)


def _read(query_string: bytes, rules: dict[str, Rule]) -> Params | None:
    """The parameters by `rules` (defaults filled in), or None when one is not certain."""
    # As Starlette reads a query string: latin-1 bytes, then percent-decoded as UTF-8.
    given: dict[str, list[str]] = {}
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name in rules:
            given.setdefault(name, []).append(value)
    params: Params = {}
    for name, rule in rules.items():
        values = given.get(name)
        if values is None:
            if rule.required:
                return None
            params[name] = [] if rule.many else rule.default
        elif rule.absent_only:
            return None
        elif rule.many:
            params[name] = values
        elif len(values) > 1:
            return None
        elif rule.kind is str:
            params[name] = values[0]
        elif rule.kind is int:
            if not _DIGITS.match(values[0]) or not rule.low <= int(values[0]) <= rule.high:
                return None
            params[name] = int(values[0])
        elif rule.kind is bool and values[0] in _BOOLEANS:
            params[name] = _BOOLEANS[values[0]]
        else:
            return None
    return params


__all__ = ["FastPaths", "FastRoute", "Rule"]
