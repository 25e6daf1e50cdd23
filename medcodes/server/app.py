"""The routes of `medcodes serve`: search, suggest, codes, lookup, stats, health, the page.

Every search runs in one of a few long-lived threads (limits.SEARCH_THREADS), each with its
own open Searcher from the SearcherPool, under a timeout; the event loop itself only parses requests
and writes answers, so idle or slow connections never hold a searcher. GET /suggest and GET
/search, the requests of every keystroke, are read by fast_path.FastPaths before FastAPI's
machinery when their parameters are plain (the same handlers and answers).

>>> app = create_app(ServerSettings(Path("medcodes-index")))
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import FastAPI, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from medcodes.errors import MedcodesError
from medcodes.index.codesets import NoCodeSetError
from medcodes.index.reader import index_stats
from medcodes.pipeline.codes import SYSTEMS
from medcodes.queries.codesets.lookup import code_set_entry, found_in_code_set, found_page
from medcodes.queries.completions import DEFAULT_SUGGESTIONS, MAX_SUGGESTIONS
from medcodes.queries.present.codesets import found_to_json
from medcodes.queries.search import DEFAULT_LIMIT, Searcher, SearchResult
from medcodes.queries.validate.in_index import DateError, parse_date
from medcodes.queries.validate.validate import SHOWN_SUGGESTIONS, today, validate
from medcodes.server.access_log import AccessLog
from medcodes.server.body_limit import BodyLimit
from medcodes.server.code_tables import CodeTables
from medcodes.server.errors import ApiError, install_error_handlers
from medcodes.server.fast_path import FastPaths, FastRoute, Rule
from medcodes.server.limits import (
    CODE_IN_PATH,
    MAX_BATCH,
    MAX_BODY_BYTES,
    MAX_LIMIT,
    MAX_OFFSET,
    MAX_QUERY_CHARS,
    MAX_VALIDATE_CODES,
    REQUEST_TIMEOUT_S,
    SEARCH_THREADS,
)
from medcodes.server.lookup_body import read_batch
from medcodes.server.searchers import CHECK_EVERY_S, SearcherPool

STATIC_DIR = Path(__file__).parent / "static"
T = TypeVar("T")


@dataclass(frozen=True)
class ServerSettings:
    """What `medcodes serve` was told: the index, which origins may call it, and its bounds."""

    index_dir: Path
    cors_origins: tuple[str, ...] = ()  # none: no CORS headers, browsers allow same-origin only
    check_every: float = CHECK_EVERY_S
    timeout: float = REQUEST_TIMEOUT_S
    threads: int = SEARCH_THREADS
    static_dir: Path = STATIC_DIR  # the search page (index.html) and its files

    def to_json(self) -> str:
        paths = {"index_dir": str(self.index_dir), "static_dir": str(self.static_dir)}
        return json.dumps({**self.__dict__, **paths, "cors_origins": self.cors_origins})

    @classmethod
    def from_json(cls, text: str) -> ServerSettings:
        data = json.loads(text)
        paths = {"index_dir": Path(data["index_dir"]), "static_dir": Path(data["static_dir"])}
        return cls(**{**data, **paths, "cors_origins": tuple(data["cors_origins"])})


class SearchRequest(BaseModel):
    """POST /search: the fields of GET /search in a JSON body."""

    q: str
    system: list[str] | str = []
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    facets: bool = False
    explain: bool = False
    billable: bool = False
    active_on: date | None = None


SystemParam = Annotated[list[str], Query(description=f"Only codes of these systems: {', '.join(SYSTEMS)}")]
LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
OffsetParam = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


def create_app(settings: ServerSettings) -> FastAPI:
    """The ASGI application over the index at `settings.index_dir`."""
    pool = SearcherPool(settings.index_dir, settings.check_every)
    code_tables = CodeTables(settings.index_dir, settings.check_every)
    # Threads of its own, which live as long as the app: each keeps its searcher open, where a
    # thread pool that lets idle threads go would open the index again for each new thread.
    threads = ThreadPoolExecutor(settings.threads, thread_name_prefix="medcodes-search")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        threads.shutdown(wait=False, cancel_futures=True)
        pool.close()

    app = FastAPI(
        title="medcodes",
        summary="Full-text search over medical-code pages (HCPCS, CPT, ICD-10)",
        version=_version(),
        lifespan=lifespan,
    )
    app.state.searchers = pool
    install_error_handlers(app)

    async def in_search_thread(work: Callable[[], T]) -> T:
        """Run `work` in a search thread, under the request timeout (503 when it runs out)."""
        try:
            async with asyncio.timeout(settings.timeout):  # cheaper than anyio.fail_after
                return await asyncio.wrap_future(threads.submit(work))
        except TimeoutError:
            raise ApiError(503, "timeout", f"no answer within {settings.timeout:g} s") from None

    def search(text: str, systems: list[str] | str, **options: Any) -> Awaitable[SearchResult]:
        _check_query(text)
        scope = _systems(systems)
        return in_search_thread(
            lambda: pool.run(lambda searcher: searcher.search(text, systems=scope, **options))
        )

    @app.get("/search", summary="Search pages")
    async def get_search(
        q: Annotated[str, Query(description="The query: words, phrases, codes, prefixes, ranges")],
        system: SystemParam = [],  # noqa: B006 (FastAPI copies a default)
        limit: LimitParam = DEFAULT_LIMIT,
        offset: OffsetParam = 0,
        facets: bool = False,
        explain: bool = False,
        billable: Annotated[bool, Query(description="Only codes billable (today or on active_on)")] = False,
        active_on: Annotated[date | None, Query(description="Only codes in force on this date")] = None,
    ) -> JSONResponse:
        """`{"query", "hits", "total", "took_ms", "did_you_mean", "notices", "facets",
        "status_facets"}`: the shape `medcodes search --json` prints."""
        options = {"limit": limit, "offset": offset, "facets": facets, "explain": explain}
        return await search_response(q, system, **options, billable=billable, active_on=active_on)

    async def search_response(q: str, system: list[str] | str, **options: Any) -> JSONResponse:
        return JSONResponse((await search(q, system, **options)).to_dict())

    @app.post("/search", summary="Search pages (fields in a JSON body)")
    async def post_search(body: SearchRequest) -> JSONResponse:
        options = body.model_dump(exclude={"q", "system"})
        return JSONResponse((await search(body.q, body.system, **options)).to_dict())

    @app.get("/suggest", summary="As-you-type completions")
    async def get_suggest(
        q: Annotated[str, Query(description="What has been typed so far")],
        system: SystemParam = [],  # noqa: B006
        limit: Annotated[int, Query(ge=1, le=MAX_SUGGESTIONS)] = DEFAULT_SUGGESTIONS,
    ) -> JSONResponse:
        """Code prefixes (J92 → J9201…) and pages named with a completion of the last word."""
        return await suggest_response(q, system, limit)

    async def suggest_response(q: str, system: list[str], limit: int) -> JSONResponse:
        _check_query(q)
        scope = _systems(system)
        started = time.perf_counter()
        found = await in_search_thread(lambda: pool.run(lambda s: s.suggest(q, systems=scope, limit=limit)))
        took = round((time.perf_counter() - started) * 1000, 2)
        return JSONResponse({"query": q, "suggestions": [c.to_dict() for c in found], "took_ms": took})

    @app.get("/codes/{system}/{code}", summary="The page of one code")
    async def get_code(system: str, code: str) -> Response:
        """The page record, as `medcodes show --json` prints it; 404 with similar codes."""
        system = system.lower()
        if system not in SYSTEMS:
            raise ApiError(404, "not_found", f"no code system {system!r}: one of {', '.join(SYSTEMS)}")
        if not CODE_IN_PATH.match(code):
            raise ApiError(400, "bad_code", "a code is 1 to 16 letters, digits and dots")

        def find(searcher: Searcher) -> tuple[str | None, list[str]]:
            pages = searcher.find_pages(code, system)
            if pages:
                return found_to_json(found_page(searcher.statuses, pages[0])), []
            entry = code_set_entry(searcher.statuses.table, code, system)
            if entry is not None:  # a code of a loaded code set that no page has
                return found_to_json(found_in_code_set(searcher.statuses, entry)), []
            return None, searcher.similar_codes(code)

        page, similar = await in_search_thread(lambda: pool.run(find))
        if page is None:
            raise ApiError(404, "not_found", f"no page for code {code} in {system}", did_you_mean=similar)
        return Response(page, media_type="application/json")

    @app.post("/lookup", summary="A batch of queries, one answer per line")
    async def post_lookup(
        request: Request,
        system: SystemParam = [],  # noqa: B006
        limit: LimitParam = DEFAULT_LIMIT,
        offset: OffsetParam = 0,
        facets: bool = False,
    ) -> StreamingResponse:
        """The body: a JSON array of queries, or JSON Lines (one query string, or {"q": …}, a
        line). The answer streams as JSON Lines, the n-th line answering the n-th query (a
        query that cannot be searched gets {"query", "error"}), as `search --queries --json`."""
        texts = read_batch(await request.body(), MAX_BATCH, MAX_QUERY_CHARS)
        scope = _systems(system)
        options: dict[str, Any] = {"systems": scope, "limit": limit, "offset": offset, "facets": facets}

        async def lines() -> AsyncIterator[bytes]:
            for text in texts:
                try:
                    answer = (await in_search_thread(partial(search_one, text))).to_dict()
                except (ApiError, MedcodesError) as err:  # the status is sent: the line says it
                    answer = {"query": text, "error": str(err)}
                yield (json.dumps(answer, ensure_ascii=False) + "\n").encode("utf-8")

        # One process per batch, never a pool forked from here: the server's cores are shared by
        # its clients (`serve --workers N`), and a process with an event loop and search threads
        # is no safe place to fork from (README, Batch lookups).
        def search_one(text: str) -> SearchResult:
            return pool.run(lambda searcher: next(searcher.search_many([text], **options, workers=1)))

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    @app.get("/validate", summary="Is each code billable on a date?")
    async def get_validate(
        code: Annotated[list[str], Query(description="A code as typed; repeat for several")],
        date: Annotated[str | None, Query(description="YYYY-MM-DD [default: today, UTC]")] = None,
        system: SystemParam = [],  # noqa: B006
        suggestions: Annotated[int, Query(ge=0, le=100)] = SHOWN_SUGGESTIONS,
    ) -> JSONResponse:
        """`{"date", "billable", "verdicts"}`: one verdict per code, in order, each the object
        `medcodes validate --json` prints a line; `billable` is true when every code is. 200
        whatever the verdicts; 400 for a bad date, 413 for too many codes, 503 when no code
        set is loaded."""
        if len(code) > MAX_VALIDATE_CODES:
            raise ApiError(413, "too_large", f"at most {MAX_VALIDATE_CODES} codes a request, not {len(code)}")
        for text in code:
            _check_query(text)
        try:
            day = parse_date(date) if date is not None else today()
        except DateError as err:
            raise ApiError(400, "bad_date", str(err)) from None
        scope = _systems(system)

        def judge_all() -> list[dict[str, Any]]:
            try:
                table = code_tables.table()
            except NoCodeSetError as err:
                raise ApiError(503, "no_code_set", str(err)) from None
            return [validate(table, text, day, scope, suggestions).to_dict() for text in code]

        verdicts = await in_search_thread(judge_all)
        billable = all(verdict["billable"] for verdict in verdicts)
        return JSONResponse({"date": day.isoformat(), "billable": billable, "verdicts": verdicts})

    @app.get("/stats", summary="Pages per code system, size and last update")
    async def get_stats() -> JSONResponse:
        return JSONResponse(await in_search_thread(lambda: index_stats(settings.index_dir)))

    @app.get("/healthz", summary="The generation served; 503 when there is no index")
    async def get_health() -> JSONResponse:
        def health() -> dict[str, Any]:
            searcher = pool.searcher()
            meta = searcher.meta
            return {
                "status": "ok",
                "generation": searcher.generation,
                "pages": meta.get("doc_count", 0),
                "updated": meta.get("updated"),
            }

        return JSONResponse(await in_search_thread(health))  # no index: 503 by on_medcodes_error

    @app.get("/", include_in_schema=False)
    async def get_page() -> Response:
        page = settings.static_dir / "index.html"
        if not page.is_file():
            raise ApiError(404, "not_found", "no search page is installed: the API is under /docs")
        return FileResponse(page, media_type="text/html")

    app.mount("/static", StaticFiles(directory=settings.static_dir, check_dir=False), name="static")
    # Middleware added later wraps what was added before: CORS headers go on fast answers too.
    app.add_middleware(FastPaths, routes=_fast_routes(search_response, suggest_response))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"]
        )
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(AccessLog)
    return app


def _fast_routes(
    search_response: Callable[..., Awaitable[JSONResponse]],
    suggest_response: Callable[[str, list[str], int], Awaitable[JSONResponse]],
) -> dict[str, FastRoute]:
    """GET /search and GET /suggest for FastPaths: the parameters of their routes above, read
    the same way, and the same handlers."""
    systems = Rule(str, many=True)
    flag = Rule(bool, False)

    async def fast_search(params: dict[str, Any]) -> Response:
        return await search_response(params.pop("q"), params.pop("system"), **params)

    async def fast_suggest(params: dict[str, Any]) -> Response:
        return await suggest_response(params["q"], params["system"], params["limit"])

    search_rules = {
        "q": Rule(str, required=True),
        "system": systems,
        "limit": Rule(int, DEFAULT_LIMIT, 1, MAX_LIMIT),
        "offset": Rule(int, 0, 0, MAX_OFFSET),
        "facets": flag,
        "explain": flag,
        "billable": flag,
        "active_on": Rule(date, absent_only=True),  # a date given: read by the FastAPI route
    }
    suggest_rules = {
        "q": Rule(str, required=True),
        "system": systems,
        "limit": Rule(int, DEFAULT_SUGGESTIONS, 1, MAX_SUGGESTIONS),
    }
    return {
        "/search": FastRoute(search_rules, fast_search),
        "/suggest": FastRoute(suggest_rules, fast_suggest),
    }


def _check_query(text: str) -> None:
    if len(text) > MAX_QUERY_CHARS:
        raise ApiError(413, "too_large", f"a query is at most {MAX_QUERY_CHARS} characters, not {len(text)}")


def _systems(values: list[str] | str) -> tuple[str, ...]:
    """?system=hcpcs&system=cpt or ?system=hcpcs,cpt as a tuple of known systems (400 otherwise)."""
    names = [values] if isinstance(values, str) else values
    wanted = tuple(part.strip().lower() for value in names for part in value.split(",") if part.strip())
    unknown = [name for name in wanted if name not in SYSTEMS]
    if unknown:
        raise ApiError(400, "unknown_system", f"unknown system {unknown[0]!r}: one of {', '.join(SYSTEMS)}")
    return wanted


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("medcodes")
    except PackageNotFoundError:
        return "0"


def app_from_environment() -> FastAPI:
    """The app of a uvicorn worker process (`--workers N`): settings from MEDCODES_SERVE_SETTINGS."""
    import os

    return create_app(ServerSettings.from_json(os.environ["MEDCODES_SERVE_SETTINGS"]))


__all__ = ["STATIC_DIR", "ServerSettings", "app_from_environment", "create_app"]
