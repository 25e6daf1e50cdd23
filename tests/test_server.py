"""The HTTP API of `medcodes serve`, through FastAPI's test client on real indexes on disk."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import medcodes
from medcodes.cli import cli
from medcodes.queries.present.text import page_to_json
from medcodes.server.app import ServerSettings, create_app
from medcodes.server.limits import MAX_BATCH, MAX_BODY_BYTES, MAX_QUERY_CHARS
from medcodes.server.searchers import SearcherPool
from tests.conftest import age_files

SHAPE = {"query", "hits", "total", "offset", "took_ms", "did_you_mean", "notices", "facets", "status_facets"}


@pytest.fixture(scope="module")
def client(built_index: Path) -> Iterator[TestClient]:
    with TestClient(create_app(ServerSettings(built_index))) as opened:
        yield opened


def assert_error(response: object, status: int, code: str) -> dict:
    """The one error shape, with this status and code; the message is one line."""
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    error = response.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == code and error["message"] and "\n" not in error["message"]
    assert "Traceback" not in response.text  # type: ignore[attr-defined]
    return error


# --- /search -------------------------------------------------------------------------------


def test_get_search_answers_with_the_one_shape(client: TestClient) -> None:
    response = client.get("/search", params={"q": "leukemia antibody infusion", "limit": 3})
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == SHAPE
    assert answer["query"] == "leukemia antibody infusion" and answer["total"] >= len(answer["hits"]) > 0
    assert answer["hits"][0]["code"] == "J9229"
    assert {"code", "system", "title", "score", "section", "snippet", "highlights", "url"} <= set(
        answer["hits"][0]
    )


def test_search_json_of_the_cli_is_the_same_object(client: TestClient, built_index: Path) -> None:
    cli_output = CliRunner().invoke(
        cli, ["search", "walker", "--facets", "--json", "--index", str(built_index)]
    )
    assert cli_output.exit_code == 0
    from_cli = json.loads(cli_output.stdout)
    from_api = client.get("/search", params={"q": "walker", "facets": 1}).json()
    for answer in (from_cli, from_api):
        answer.pop("took_ms")
    assert from_cli == from_api and set(from_cli) | {"took_ms"} == SHAPE


def test_post_search_takes_the_same_fields_in_a_body(client: TestClient) -> None:
    params = {"q": "walker", "system": "hcpcs", "limit": 2, "offset": 1, "facets": 1, "explain": 1}
    got = client.get("/search", params=params).json()
    posted = client.post("/search", json={**params, "facets": True, "explain": True}).json()
    for answer in (got, posted):
        answer.pop("took_ms")
    assert got == posted
    assert len(got["hits"]) <= 2 and got["facets"] == {"hcpcs": got["total"]}
    assert all(hit["system"] == "hcpcs" and "explain" in hit for hit in got["hits"])


def test_systems_may_be_repeated_or_comma_separated(client: TestClient) -> None:
    repeated = client.get("/search?q=injection&system=hcpcs&system=cpt&facets=1").json()
    listed = client.get("/search?q=injection&system=hcpcs,cpt&facets=1").json()
    assert repeated["facets"] == listed["facets"] and set(listed["facets"]) <= {"hcpcs", "cpt"}


def test_did_you_mean_and_notices_are_in_the_answer(client: TestClient) -> None:
    answer = client.get("/search", params={"q": "leukemai"}).json()
    assert answer["did_you_mean"] or answer["notices"]


# --- /suggest ------------------------------------------------------------------------------


def test_suggest_completes_codes_and_words(client: TestClient) -> None:
    codes = client.get("/suggest", params={"q": "J92"}).json()
    assert [s["code"] for s in codes["suggestions"]] == ["J9229", "J9271"]
    assert codes["query"] == "J92" and codes["took_ms"] >= 0
    words = client.get("/suggest", params={"q": "inotuz", "limit": 1}).json()["suggestions"]
    assert len(words) == 1 and words[0]["completion"] == "inotuzumab"
    [(start, end)] = words[0]["highlights"]
    assert words[0]["title"][start:end] == "inotuzumab"
    assert set(words[0]) == {"code", "system", "title", "kind", "completion", "highlights", "code_highlights"}


def test_suggest_keeps_to_the_systems_asked(client: TestClient) -> None:
    answer = client.get("/suggest", params={"q": "inj", "system": "cpt", "limit": 20}).json()
    assert all(s["system"] == "cpt" for s in answer["suggestions"])


# --- /codes/{system}/{code} ----------------------------------------------------------------


# --- the fast path of GET /search and GET /suggest ---------------------------------------------


@pytest.mark.parametrize(
    ("fast", "through_fastapi"),
    [
        ("/suggest?q=inj&limit=50", "/suggest?q=x&q=inj&limit=50"),
        ("/suggest?q=J92", "/suggest?q=J92&limit=%2B8"),
        ("/suggest?q=inj&system=hcpcs", "/suggest?q=inj&system=hcpcs&limit=8&limit=8"),
        ("/search?q=walker&facets=1&explain=true", "/search?q=walker&facets=True&explain=yes"),
        ("/search?q=insulin+injection&limit=2&offset=1", "/search?q=insulin+injection&limit=2&offset=+1"),
        ("/search?q=walker&system=hcpcs,cpt&billable=0", "/search?q=walker&system=hcpcs,cpt&billable=off"),
    ],
    ids=["repeated-q", "signed-limit", "repeated-limit", "capital-booleans", "spaced-offset", "systems"],
)
def test_fast_answers_are_the_routes_answers(client: TestClient, fast: str, through_fastapi: str) -> None:
    from medcodes.server.fast_path import FastPaths, _read

    [routes] = [m.kwargs["routes"] for m in client.app.user_middleware if m.cls is FastPaths]  # type: ignore[attr-defined]
    (path, fast_query), (_, slow_query) = (url.split("?") for url in (fast, through_fastapi))
    assert _read(fast_query.encode(), routes[path].rules) is not None
    assert _read(slow_query.encode(), routes[path].rules) is None
    answers = [client.get(path) for path in (fast, through_fastapi)]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].headers["content-type"] == answers[1].headers["content-type"]
    bodies = [{k: v for k, v in a.json().items() if k != "took_ms"} for a in answers]
    assert bodies[0] == bodies[1] and (bodies[0].get("hits") or bodies[0].get("suggestions"))


def test_the_fast_path_reads_only_what_it_is_sure_of() -> None:
    from medcodes.server.fast_path import Rule, _read

    rules = {"q": Rule(str, required=True), "limit": Rule(int, 8, 1, 50), "on": Rule(bool, False)}
    rules["system"] = Rule(str, many=True)
    assert _read(b"q=a+b%C3%A9&system=x&system=y&limit=50&other=1", rules) == {
        "q": "a bé",
        "limit": 50,
        "on": False,
        "system": ["x", "y"],
    }
    assert _read(b"q=&on=true", rules) == {"q": "", "limit": 8, "on": True, "system": []}
    for unsure in (b"limit=3", b"q=a&q=b", b"q=a&limit=0", b"q=a&limit=51", b"q=a&limit=-1", b"q=a&on=yes"):
        assert _read(unsure, rules) is None, unsure


def test_a_code_page_is_what_show_json_prints(client: TestClient, built_index: Path) -> None:
    response = client.get("/codes/hcpcs/j9229")
    assert response.status_code == 200
    page = medcodes.find_page(built_index, "J9229", "hcpcs")
    no_code_set = {"status": "no code set", "billable": None}  # none loaded into this index
    assert response.json() == json.loads(page_to_json(page, no_code_set))
    assert client.get("/codes/icd10cm/E119").json()["code"] == "E11.9"


def test_an_unknown_code_is_404_with_similar_codes(client: TestClient) -> None:
    error = assert_error(client.get("/codes/hcpcs/J9299"), 404, "not_found")
    assert error["did_you_mean"] == ["J9229", "J9271"]
    assert_error(client.get("/codes/cpt/J9229"), 404, "not_found")
    assert_error(client.get("/codes/loinc/J9229"), 404, "not_found")


@pytest.mark.parametrize(
    "path",
    ["/codes/hcpcs/..%2F..%2Fetc%2Fpasswd", "/codes/hcpcs/%2E%2E", "/codes/hcpcs/..", "/codes/hcpcs/a%00b"],
    ids=["encoded-slashes", "encoded-dots", "dots", "nul"],
)
def test_no_path_traversal_through_a_code(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (400, 404)
    assert response.json()["error"]["code"] in ("bad_code", "not_found")
    assert "root:" not in response.text


# --- /lookup -------------------------------------------------------------------------------


def test_lookup_of_a_json_array_answers_each_query_in_order(client: TestClient) -> None:
    response = client.post("/lookup?limit=1", json=["walker", "", {"q": "E11.9"}])
    assert response.status_code == 200 and response.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["query"] for line in lines] == ["walker", "", "E11.9"]
    assert lines[0]["hits"][0]["code"] == "E0135" and len(lines[0]["hits"]) == 1
    assert lines[1]["hits"] == [] and "nothing to search for" in lines[1]["error"]
    assert lines[2]["hits"][0]["code"] == "E11.9"


def test_lookup_of_json_lines_is_the_same(client: TestClient) -> None:
    array = client.post("/lookup", json=["walker", "E11.9"]).text
    jsonl = client.post("/lookup", content=b'"walker"\n\n{"q": "E11.9"}\n').text
    strip = [
        {k: v for k, v in json.loads(line).items() if k != "took_ms"} for line in (array + jsonl).splitlines()
    ]
    assert strip[:2] == strip[2:]


def test_lookup_bounds_and_bad_bodies(client: TestClient) -> None:
    assert_error(client.post("/lookup", json=["walker"] * (MAX_BATCH + 1)), 413, "too_large")
    assert_error(client.post("/lookup", json=["x" * (MAX_QUERY_CHARS + 1)]), 413, "too_large")
    assert_error(client.post("/lookup", content=b"[1, 2"), 400, "bad_body")
    assert_error(client.post("/lookup", json=[3]), 400, "bad_body")
    assert_error(client.post("/lookup", content=b"\xff\xfe"), 400, "bad_body")


# --- /stats, /healthz ----------------------------------------------------------------------


def test_stats_and_health(client: TestClient) -> None:
    stats = client.get("/stats").json()
    assert stats["pages"] == 26 and stats["pages_by_system"]["hcpcs"] == 14
    health = client.get("/healthz").json()
    assert health == {
        "status": "ok",
        "generation": stats["generation"],
        "pages": 26,
        "updated": stats["updated"],
    }


def test_no_index_is_503(tmp_path: Path) -> None:
    with TestClient(create_app(ServerSettings(tmp_path / "none"))) as empty:
        assert_error(empty.get("/healthz"), 503, "index_unavailable")
        assert_error(empty.get("/search?q=walker"), 503, "index_unavailable")
        assert_error(empty.get("/stats"), 503, "index_unavailable")


# --- errors and limits ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("GET", "/search?q=", None, 400, "bad_query"),
        ("GET", '/search?q="unbalanced', None, 200, None),
        ("GET", "/search?q=walker&system=loinc", None, 400, "unknown_system"),
        ("GET", f"/search?q={'a' * (MAX_QUERY_CHARS + 1)}", None, 413, "too_large"),
        ("GET", f"/suggest?q={'a' * (MAX_QUERY_CHARS + 1)}", None, 413, "too_large"),
        ("GET", "/search?q=walker&limit=0", None, 422, "invalid_request"),
        ("GET", "/search?q=walker&limit=many", None, 422, "invalid_request"),
        ("GET", "/search", None, 422, "invalid_request"),
        ("POST", "/search", b"not json", 422, "invalid_request"),
        ("POST", "/search", b'{"limit": 3}', 422, "invalid_request"),
        ("GET", "/nowhere", None, 404, "not_found"),
        ("DELETE", "/search", None, 405, "method_not_allowed"),
        ("GET", "/codes/hcpcs/J9229%2Fx", None, 404, "not_found"),
        ("GET", "/codes/hcpcs/J9229;rm", None, 400, "bad_code"),
    ],
    ids=[
        "empty-query",
        "unbalanced-quote-is-searched",
        "unknown-system",
        "long-query",
        "long-suggest",
        "limit-zero",
        "limit-not-a-number",
        "no-q",
        "body-not-json",
        "body-without-q",
        "unknown-path",
        "wrong-method",
        "slash-in-code",
        "punctuation-in-code",
    ],
)
def test_errors_have_one_shape(
    client: TestClient, method: str, path: str, body: bytes | None, status: int, code: str | None
) -> None:
    response = client.request(method, path, content=body, headers={"content-type": "application/json"})
    if code is None:
        assert response.status_code == status
    else:
        assert_error(response, status, code)


def test_a_body_over_the_limit_is_refused_unread(client: TestClient) -> None:
    big = b"[" + b'"walker",' * (MAX_BODY_BYTES // 9) + b'"walker"]'
    assert_error(client.post("/lookup", content=big), 413, "too_large")
    assert_error(client.post("/search", content=big), 413, "too_large")


def test_a_body_without_a_length_is_bounded_too(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY_BYTES // 1000 + 2):
            yield b" " * 1000

    assert_error(client.post("/lookup", content=chunks()), 413, "too_large")


def test_a_request_over_its_time_is_503(built_index: Path) -> None:
    with TestClient(create_app(ServerSettings(built_index, timeout=1e-9))) as hurried:
        assert_error(hurried.get("/search?q=walker"), 503, "timeout")


def test_cors_is_off_unless_an_origin_is_given(client: TestClient, built_index: Path) -> None:
    origin = {"Origin": "https://coders.example"}
    assert "access-control-allow-origin" not in client.get("/search?q=walker", headers=origin).headers
    with TestClient(
        create_app(ServerSettings(built_index, cors_origins=("https://coders.example",)))
    ) as open_:
        allowed = open_.get("/search?q=walker", headers=origin).headers
        assert allowed["access-control-allow-origin"] == "https://coders.example"
        other = open_.get("/search?q=walker", headers={"Origin": "https://elsewhere.example"}).headers
        assert "access-control-allow-origin" not in other


def test_openapi_docs(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/search", "/suggest", "/codes/{system}/{code}", "/lookup", "/stats", "/healthz"} <= set(paths)


def test_the_page_and_static_files(built_index: Path, tmp_path: Path) -> None:
    static = tmp_path / "static"
    with TestClient(create_app(ServerSettings(built_index, static_dir=static))) as bare:
        assert_error(bare.get("/"), 404, "not_found")
    static.mkdir()
    (static / "index.html").write_text("<!doctype html><title>medcodes</title>")
    (static / "app.js").write_text("console.log(1)")
    with TestClient(create_app(ServerSettings(built_index, static_dir=static))) as served:
        page = served.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "<title>medcodes</title>" in page.text
        assert served.get("/static/app.js").text == "console.log(1)"
        assert served.get("/static/../../etc/passwd").status_code == 404


def test_searchers_stay_open_one_per_search_thread(built_index: Path) -> None:
    app = create_app(ServerSettings(built_index, threads=2))
    with TestClient(app) as two_threads:
        for n in range(30):
            assert two_threads.get("/search", params={"q": f"walker {n}"}).status_code == 200
        assert 1 <= app.state.searchers.open_count <= 2


# --- a new generation ----------------------------------------------------------------------


def test_each_thread_switches_to_a_newly_published_generation(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "index"
    medcodes.ingest([str(pages_dir)], root, workers=1)
    pool = SearcherPool(root, check_every=0.0)
    try:
        before = pool.searcher()
        assert before.search("zorbulation").total == 0
        page = pages_dir / "hcpcs-E0135.txt"
        page.write_text(page.read_text().replace("Walker", "Walker zorbulation", 1))
        age_files(pages_dir, 30)
        medcodes.reindex(root, workers=1)
        after = pool.searcher()
        assert after is not before and after.generation != before.generation
        assert [hit.code for hit in after.search("zorbulation").hits] == ["E0135"]
    finally:
        pool.close()


def test_a_generation_that_cannot_be_opened_leaves_the_old_one_serving(
    pages_dir: Path, tmp_path: Path
) -> None:
    root = tmp_path / "index"
    medcodes.ingest([str(pages_dir)], root, workers=1)
    pool = SearcherPool(root, check_every=0.0)
    try:
        serving = pool.searcher()
        broken = root / "gen-000999"
        shutil.copytree(root / serving.generation, broken)
        (broken / "medcodes.json").write_text("{")
        (root / "CURRENT").write_text("gen-000999\n")
        assert pool.searcher() is serving and serving.search("walker").hits
    finally:
        pool.close()


def test_a_searcher_whose_generation_was_removed_is_reopened(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "index"
    medcodes.ingest([str(pages_dir)], root, workers=1)
    # This thread will not look at CURRENT by itself, and no watcher prepares a new searcher for it.
    pool = SearcherPool(root, check_every=3600.0, watch_every=None)
    try:
        first = pool.searcher().generation
        for word in ("zorbulation", "quintaflex"):  # two publishes: the first generation is removed
            page = pages_dir / "hcpcs-E0135.txt"
            page.write_text(page.read_text().replace("Walker", f"Walker {word}", 1))
            age_files(pages_dir, 30)
            medcodes.reindex(root, workers=1)
        assert not (root / first).exists()

        def read_own_generation(searcher: medcodes.Searcher) -> str:
            return (root / searcher.generation / "medcodes.json").read_text()[:1]

        assert pool.run(read_own_generation) == "{"
        assert pool.searcher().generation != first and pool.searcher().search("quintaflex").total == 1
    finally:
        pool.close()


def test_the_watcher_prepares_an_idle_threads_next_searcher(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "index"
    medcodes.ingest([str(pages_dir)], root, workers=1)
    others = {t for t in threading.enumerate() if t.name == "medcodes-watch"}  # other tests' pools
    # The thread itself never looks at CURRENT: only the watcher can bring it the new generation.
    pool = SearcherPool(root, check_every=3600.0, watch_every=0.01, idle=0.0)
    try:
        before = pool.searcher()
        page = pages_dir / "hcpcs-E0135.txt"
        page.write_text(page.read_text().replace("Walker", "Walker zorbulation", 1))
        age_files(pages_dir, 30)
        medcodes.reindex(root, workers=1)
        deadline = time.monotonic() + 60
        while pool.prepared_count == 0:
            assert time.monotonic() < deadline, "the watcher prepared no searcher"
            time.sleep(0.01)
        assert before.search("zorbulation").total == 0  # the old one answers until the swap
        after = pool.searcher()
        assert after is not before and after.generation != before.generation
        assert after._vocabulary is not None  # read in the background, before the swap
        assert [hit.code for hit in after.search("zorbulation").hits] == ["E0135"]
        assert pool.prepared_count == 0 and pool.open_count == 1
    finally:
        pool.close()
    assert {t for t in threading.enumerate() if t.name == "medcodes-watch"} <= others  # it has ended


def test_two_publishes_in_a_row_leave_every_thread_on_the_last(pages_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "index"
    medcodes.ingest([str(pages_dir)], root, workers=1)
    pool = SearcherPool(root, check_every=0.0, watch_every=0.01, idle=0.0)
    answers: dict[str, int] = {}
    try:
        with ThreadPoolExecutor(3) as threads:
            list(threads.map(lambda _: pool.run(lambda s: s.search("walker").total), range(6)))
            for word in ("zorbulation", "quintaflex"):
                page = pages_dir / "hcpcs-E0135.txt"
                page.write_text(page.read_text().replace("Walker", f"Walker {word}", 1))
                age_files(pages_dir, 30)
                medcodes.reindex(root, workers=1)
            found = threads.map(
                lambda _: pool.run(lambda s: (s.generation, s.search("quintaflex").total)), range(30)
            )
            answers = dict(found)
    finally:
        pool.close()
    live = (root / "CURRENT").read_text().strip()
    assert answers == {live: 1}
