"""The body of POST /lookup: a JSON array of queries, or JSON Lines of them, bounded."""

from __future__ import annotations

import json
from typing import Any

from medcodes.server.errors import ApiError
from medcodes.server.limits import TooLargeError


def read_batch(body: bytes, max_batch: int, max_chars: int) -> list[str]:
    """The queries of a batch, in order: each a JSON string or an object with "q".

    >>> read_batch(b'["walker", {"q": "E11.9"}]', 10, 100)
    ['walker', 'E11.9']
    >>> read_batch(b'"walker"\\n{"q": "E11.9"}\\n', 10, 100)
    ['walker', 'E11.9']

    ApiError 400 for what is not such a body; TooLargeError (413) for too many or too long queries.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "bad_body", "the body is not UTF-8 text") from None
    if text.lstrip().startswith("["):
        items = _parse(text, "the body")
        if not isinstance(items, list):
            raise ApiError(400, "bad_body", "the body is not a JSON array")
        entries = list(enumerate(items, 1))
    else:
        entries = [
            (n, _parse(line, f"line {n}")) for n, line in enumerate(text.splitlines(), 1) if line.strip()
        ]
    if len(entries) > max_batch:
        raise TooLargeError(f"a batch is at most {max_batch} queries, not {len(entries)}")
    queries = [_query(item, number) for number, item in entries]
    for number, query in enumerate(queries, 1):
        if len(query) > max_chars:
            raise TooLargeError(f"query {number} is longer than {max_chars} characters")
    return queries


def _parse(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ApiError(400, "bad_body", f"{where}: not JSON: {err.msg} at column {err.colno}") from None


def _query(item: Any, number: int) -> str:
    if isinstance(item, dict) and isinstance(item.get("q"), str):
        return item["q"]
    if isinstance(item, str):
        return item
    raise ApiError(
        400, "bad_body", f'query {number}: a string or an object with "q", not {type(item).__name__}'
    )


__all__ = ["read_batch"]
