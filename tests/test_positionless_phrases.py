"""A phrase in a field that keeps no word positions (a code, a system) is read as its words, any
of them, with a notice — never Whoosh's "field has no positions" (issue 19 item 6)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from medcodes.cli import cli
from medcodes.index.engine.schema import build_schema
from medcodes.index.fields import PHRASE_FIELDS
from medcodes.queries.parse.scopes import FIELD_ALIASES
from medcodes.queries.parse.syntax import Any_, Code, Word, parse_query
from medcodes.queries.search import Searcher
from medcodes.server.app import ServerSettings, create_app

CODES_NOTICE = 'code:"c9028 e11.9" read as any of its words: a code has no word order'
SYSTEMS_NOTICE = 'system:"hcpcs cpt" read as any of its words: a system has no word order'


@pytest.fixture(scope="module")
def searcher(built_index: Path) -> Iterator[Searcher]:
    with Searcher(built_index) as opened:
        yield opened


def test_phrase_fields_are_the_fields_with_positions() -> None:
    schema = build_schema()
    indexed = [name for name in schema.names() if schema[name].format is not None]  # not stored-only
    with_positions = {name for name in indexed if schema[name].supports("positions")}
    assert with_positions == PHRASE_FIELDS


@pytest.mark.parametrize("scope", sorted(FIELD_ALIASES))
def test_every_scope_a_user_may_type_takes_a_phrase(searcher: Searcher, scope: str) -> None:
    result = searcher.search(f'{scope}:"walker folding" OR {scope}:("c9028 hcpcs")')  # no QueryError
    fieldname = FIELD_ALIASES[scope]
    if fieldname in PHRASE_FIELDS:
        assert not any("no word order" in notice for notice in result.notices)
    else:
        assert any(f"a {fieldname} has no word order" in notice for notice in result.notices)


def test_the_parser_reads_a_code_phrase_as_either_code() -> None:
    parsed = parse_query('code:"c9028 e11.9"')
    assert parsed.root == Any_((Code("c9028"), Code("e11.9")))
    assert parsed.notices == (CODES_NOTICE,)
    assert parse_query('code:("c9028 e11.9")').root == parsed.root
    scoped = parse_query("system:(hcpcs cpt4) walker")
    assert (scoped.root, scoped.systems, scoped.notices) == (Word("walker"), ("hcpcs", "cpt"), ())


def test_a_code_phrase_finds_either_code(searcher: Searcher) -> None:
    result = searcher.search('code:"c9028 e11.9"')
    assert {hit.code for hit in result.hits} == {"C9028", "E11.9"}
    assert CODES_NOTICE in result.notices


def test_a_system_phrase_keeps_to_either_system(searcher: Searcher) -> None:
    result = searcher.search('system:"hcpcs cpt"', limit=100)
    assert {hit.system for hit in result.hits} == {"hcpcs", "cpt"}
    assert SYSTEMS_NOTICE in result.notices
    walkers = searcher.search('system:("hcpcs cpt") walker')
    assert walkers.hits and {hit.system for hit in walkers.hits} <= {"hcpcs", "cpt"}
    assert {hit.code for hit in walkers.hits} == {hit.code for hit in searcher.search("walker").hits}


def test_a_system_under_not_is_ignored_with_a_notice(searcher: Searcher) -> None:
    """It cannot exclude: before, `-system:hcpcs` kept to hcpcs, the opposite of what it says."""
    result = searcher.search("walker -system:hcpcs")
    assert [hit.code for hit in result.hits] == [hit.code for hit in searcher.search("walker").hits]
    assert "a code system cannot be excluded: NOT system:… was ignored" in result.notices


def test_cli_search_prints_hits_and_the_note(runner: CliRunner, built_index: Path) -> None:
    result = runner.invoke(cli, ["search", 'code:"c9028 e11.9"', "--index", str(built_index)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "C9028" in result.stdout and "E11.9" in result.stdout
    assert f"note: {CODES_NOTICE}" in result.stderr


def test_a_batch_goes_on_past_them(runner: CliRunner, built_index: Path) -> None:
    lines = 'code:"c9028 e11.9"\nsystem:"hcpcs cpt"\nwalker\n'
    args = ["search", "--queries", "-", "--json", "--index", str(built_index)]
    result = runner.invoke(cli, args, input=lines)
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [answer["query"] for answer in answers] == lines.splitlines()
    assert all("error" not in answer and answer["hits"] for answer in answers)
    assert CODES_NOTICE in answers[0]["notices"] and SYSTEMS_NOTICE in answers[1]["notices"]


def test_the_server_answers_them(built_index: Path) -> None:
    with TestClient(create_app(ServerSettings(built_index))) as client:
        response = client.get("/search", params={"q": 'code:"c9028 e11.9"'})
        assert response.status_code == 200, response.text
        assert {hit["code"] for hit in response.json()["hits"]} == {"C9028", "E11.9"}
        assert CODES_NOTICE in response.json()["notices"]
        posted = client.post("/search", json={"q": 'system:"hcpcs cpt" walker'})
        assert posted.status_code == 200 and SYSTEMS_NOTICE in posted.json()["notices"]
