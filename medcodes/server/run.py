"""Start uvicorn with the app: one process, or `workers` processes that each build their own."""

from __future__ import annotations

import os
from typing import Any

import uvicorn

from medcodes.server.access_log import logging_config
from medcodes.server.app import ServerSettings, create_app
from medcodes.server.idle import RequestHeadTimeout

# Seconds an idle keep-alive connection stays open, and a shutdown waits for requests.
KEEP_ALIVE_S = 5
GRACEFUL_SHUTDOWN_S = 5


def serve(settings: ServerSettings, host: str, port: int, workers: int = 1, log_json: bool = False) -> None:
    """Serve until SIGINT or SIGTERM."""
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": logging_config(log_json),
        "access_log": False,  # medcodes.server.access_log writes one line per request
        "timeout_keep_alive": KEEP_ALIVE_S,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S,
        "server_header": False,
        # A connection that sends no request head within 5 s is closed (uvicorn leaves it open).
        "http": RequestHeadTimeout,
    }
    if workers > 1:
        os.environ["MEDCODES_SERVE_SETTINGS"] = settings.to_json()
        uvicorn.run("medcodes.server.app:app_from_environment", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_app(settings), **options)


__all__ = ["serve"]
