"""One log line per request — method, path, status, milliseconds — as text or JSON lines."""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medcodes.queries.present.printable import json_text, printable

ACCESS_LOGGER = "medcodes.server.access"
log = logging.getLogger(ACCESS_LOGGER)


class AccessLog:
    """ASGI middleware: logs each HTTP request once its response has been sent (or abandoned)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            ms = (time.perf_counter() - started) * 1000
            log.info(
                "%s %s %s %.1f ms",
                scope["method"],
                printable(scope["path"]),  # a decoded path may hold escape sequences: %1b]0;…
                status,
                ms,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "ms": round(ms, 1),
                },
            )


class JsonLines(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message, and a request's fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        for name in ("method", "path", "status", "ms"):
            if hasattr(record, name):
                data[name] = getattr(record, name)
        data["message"] = record.getMessage()
        return json_text(data)


def logging_config(as_json: bool) -> dict[str, Any]:
    """A logging.config.dictConfig for uvicorn to apply in every worker process: our access
    lines (uvicorn's own access log is off) and uvicorn's errors, on stderr."""
    formatter = (
        {"()": f"{__name__}.JsonLines"}
        if as_json
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    handler = {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "loggers": {
            "medcodes": {"handlers": ["main"], "level": "INFO", "propagate": False},
            "uvicorn": {"handlers": ["main"], "level": "INFO", "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


__all__ = ["ACCESS_LOGGER", "AccessLog", "JsonLines", "logging_config"]
