"""The bounds every request is held to, so that one client cannot take the server from others."""

from __future__ import annotations

import re

# Characters of a query (GET /search, /suggest, POST /search, each line of /lookup).
MAX_QUERY_CHARS = 500
# Queries in one POST /lookup batch.
MAX_BATCH = 1000
# Bytes of a request body (POST /search, POST /lookup); more is refused with 413 unread.
MAX_BODY_BYTES = 1_000_000
# Codes in one GET /validate.
MAX_VALIDATE_CODES = 1000
# Hits per page of results and how deep a client may page.
MAX_LIMIT = 100
MAX_OFFSET = 1000
# Seconds a request may take before it is answered 503 (the search itself cannot be stopped;
# its thread finishes in the background and the answer is dropped).
REQUEST_TIMEOUT_S = 10.0
# Threads that search per worker process, each with its own open searcher.
SEARCH_THREADS = 4
# A code in a URL: letters, digits and dots, 16 at most (no slash, so no path of any kind).
CODE_IN_PATH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.]{0,15}$")


class TooLargeError(Exception):
    """A request over one of the limits: answered 413."""


__all__ = [
    "CODE_IN_PATH",
    "MAX_BATCH",
    "MAX_BODY_BYTES",
    "MAX_LIMIT",
    "MAX_OFFSET",
    "MAX_QUERY_CHARS",
    "MAX_VALIDATE_CODES",
    "REQUEST_TIMEOUT_S",
    "SEARCH_THREADS",
    "TooLargeError",
]
