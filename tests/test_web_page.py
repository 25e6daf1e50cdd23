"""The search page of `medcodes serve`, in a real headless Chromium driven by Selenium.

A real `medcodes serve` subprocess answers on a free loopback port over an index built from the
pages of tests/web_fixture_pages.py. Every wait is an explicit WebDriverWait on what the page shows.
Needs Debian's `chromium` and `chromium-driver` (.ci/run installs them); without them the tests
skip locally and fail in CI (CI=true), where they must run.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from web_fixture_pages import (
    IMG_PAYLOAD,
    JAVASCRIPT_URL,
    SCRIPT_PAYLOAD,
    WALKERS,
    XSS_CODE,
    XSS_FLAG,
    write_pages,
)

from medcodes.index.build import ingest

pytestmark = pytest.mark.slow

WAIT_S = 20  # generous: the machine is shared; a wait returns as soon as its condition holds
SERVER_START_S = 60
# Counts calls to alert() instead of opening a dialog, before any script of the page runs.
ALERT_SPY = "window.alertCalls = 0; window.alert = function () { window.alertCalls += 1; };"


def _browser_or_reason() -> tuple[str, str] | str:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    return "headless Chromium and its driver are not installed (apt-get install chromium chromium-driver)"


@pytest.fixture(scope="module")
def browser_paths() -> tuple[str, str]:
    found = _browser_or_reason()
    if isinstance(found, str):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{found}: CI must run the browser tests (.ci/run installs them)")
        pytest.skip(found)
    return found


@pytest.fixture(scope="module")
def web_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("web")
    pages = write_pages(root / "pages")
    index = root / "medcodes-index"
    report = ingest([str(pages)], index, workers=1)
    assert report.counts["indexed"] == len(WALKERS) + 3
    return index


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(
    browser_paths: tuple[str, str], web_index: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A real `medcodes serve` on a free loopback port, stopped after the module."""
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    command = [sys.executable, "-m", "medcodes", "serve", "--index", str(web_index)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"medcodes serve exited {server.returncode}: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url + "healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"medcodes serve did not answer in {SERVER_START_S} s: {log.read_text()[-2000:]}")
            time.sleep(0.1)  # polling for start-up, not an assertion
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def driver(browser_paths: tuple[str, str]) -> Iterator[WebDriver]:
    chromium, chromedriver = browser_paths
    options = Options()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(chromedriver))
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ALERT_SPY})
    try:
        yield browser
    finally:
        browser.quit()


def api(base_url: str, path: str, **params: str) -> Any:
    """The server's JSON answer, to compare the page against."""
    query = "?" + urllib.parse.urlencode(params) if params else ""
    with urllib.request.urlopen(base_url + path + query, timeout=10) as response:
        return json.load(response)


def wait(driver: WebDriver) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, WAIT_S)


def visible(driver: WebDriver, css: str) -> list[WebElement]:
    """Waits until an element matching `css` is shown, then returns all that match."""
    wait(driver).until(ec.visibility_of_element_located((By.CSS_SELECTOR, css)))
    return driver.find_elements(By.CSS_SELECTOR, css)


def open_page(driver: WebDriver, base_url: str, **params: str) -> None:
    driver.get(base_url + ("?" + urllib.parse.urlencode(params) if params else ""))


def search_box(driver: WebDriver) -> WebElement:
    return wait(driver).until(ec.element_to_be_clickable((By.ID, "q")))


def url_params(driver: WebDriver) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(driver.current_url).query)


def texts(driver: WebDriver, css: str) -> list[str]:
    """The text of every element matching `css`, read in one step (a re-render cannot intervene)."""
    script = "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent)"
    return list(driver.execute_script(script, css))


def hit_codes(driver: WebDriver) -> list[str]:
    return texts(driver, "#hits .hit-head .code")


def results_for(driver: WebDriver, base_url: str, query: str, **params: str) -> list[WebElement]:
    open_page(driver, base_url, q=query, **params)
    return visible(driver, "#hits .hit")


def assert_nothing_ran(driver: WebDriver) -> None:
    assert driver.execute_script(f"return typeof window.{XSS_FLAG}") == "undefined"
    assert driver.execute_script("return window.alertCalls") == 0
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 (reading it is the check)
    assert driver.find_elements(By.TAG_NAME, "img") == []
    scripts = driver.execute_script("return Array.from(document.scripts).map(s => s.src)")
    assert [src.rsplit("/", 1)[-1] for src in scripts] == ["app.js"]
    assert not driver.find_elements(By.CSS_SELECTOR, "a[href^='javascript' i]")
    # Had a payload been parsed as HTML, the page's Content-Security-Policy would have refused it
    # and said so in the console: no such refusal either.
    refusals = [e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]]
    assert refusals == []


def test_the_page_loads_everything_from_its_own_server(driver: WebDriver, base_url: str) -> None:
    open_page(driver, base_url)
    search_box(driver)
    wait(driver).until(lambda d: d.execute_script("return document.readyState") == "complete")
    resources = driver.execute_script("return performance.getEntriesByType('resource').map(r => r.name)")
    assert any(name.endswith("/static/app.js") for name in resources)
    assert all(name.startswith(base_url) for name in resources), resources


def test_typing_a_partial_word_shows_suggestions(driver: WebDriver, base_url: str) -> None:
    open_page(driver, base_url)
    search_box(driver).send_keys("walk")
    items = visible(driver, "#suggestions .suggestion")
    walker_codes = {code for code, *_ in WALKERS}
    codes = [item.find_element(By.CSS_SELECTOR, ".code").text for item in items]
    assert codes and set(codes) <= walker_codes | {"97116", "R26.81"}
    assert walker_codes & set(codes)
    marks = [m.text.lower() for m in driver.find_elements(By.CSS_SELECTOR, "#suggestions mark")]
    assert marks and all(mark.startswith("walk") for mark in marks)


def test_arrows_escape_and_enter_in_the_suggestions(driver: WebDriver, base_url: str) -> None:
    open_page(driver, base_url)
    box = search_box(driver)
    box.send_keys("walk")
    items = visible(driver, "#suggestions .suggestion")
    assert len(items) >= 2
    box.send_keys(Keys.ARROW_DOWN, Keys.ARROW_DOWN)
    active = driver.find_elements(By.CSS_SELECTOR, "#suggestions .suggestion.active")
    assert [a.get_attribute("id") for a in active] == ["suggestion-1"]
    assert box.get_attribute("aria-activedescendant") == "suggestion-1"
    box.send_keys(Keys.ARROW_UP)
    assert box.get_attribute("aria-activedescendant") == "suggestion-0"
    box.send_keys(Keys.ESCAPE)
    wait(driver).until(ec.invisibility_of_element_located((By.ID, "suggestions")))
    box.send_keys("e")  # "walke": the list opens again
    first = visible(driver, "#suggestions .suggestion")[0]
    code = first.find_element(By.CSS_SELECTOR, ".code").text
    system = first.find_element(By.CSS_SELECTOR, ".system").text.lower()
    box.send_keys(Keys.ARROW_DOWN, Keys.ENTER)
    heading = visible(driver, "#code-page .page-head .code")[0]
    assert heading.text == code
    assert url_params(driver)["code"] == [f"{system}/{code}"]


def test_enter_shows_hits_with_highlights_at_the_servers_offsets(driver: WebDriver, base_url: str) -> None:
    open_page(driver, base_url)
    box = search_box(driver)
    box.send_keys("walker")
    box.send_keys(Keys.ENTER)
    hits = visible(driver, "#hits .hit")
    assert urllib.parse.urlsplit(driver.current_url).query == "q=walker"
    expected = api(base_url, "search", q="walker", limit="10", offset="0", facets="1")
    assert hit_codes(driver) == [hit["code"] for hit in expected["hits"]]
    for element, hit in zip(hits, expected["hits"], strict=True):
        snippet = element.find_element(By.CSS_SELECTOR, ".snippet-text")
        assert snippet.text == hit["snippet"].strip()
        marks = [m.text for m in snippet.find_elements(By.TAG_NAME, "mark")]
        assert marks == [hit["snippet"][start:end] for start, end in hit["highlights"]]
        section = element.find_element(By.CSS_SELECTOR, ".snippet .section").text
        assert section.lower().replace(" ", "_").startswith(hit["section"])
    assert any("walker" in m.text.lower() for m in driver.find_elements(By.CSS_SELECTOR, "#hits mark"))
    status = driver.find_element(By.ID, "status").text
    assert f"of {expected['total']}" in status


def test_a_facet_filters_the_hits_by_code_system(driver: WebDriver, base_url: str) -> None:
    results_for(driver, base_url, "walker")
    expected = api(base_url, "search", q="walker", facets="1")["facets"]
    assert len(expected) >= 2
    facets = {
        link.get_attribute("data-system"): link.find_element(By.CSS_SELECTOR, ".count").text
        for link in driver.find_elements(By.CSS_SELECTOR, "#facet-list a[data-system]")
    }
    assert facets == {system: str(count) for system, count in expected.items()}
    smallest = min(expected, key=lambda system: expected[system])
    driver.find_element(By.CSS_SELECTOR, f"#facet-list a[data-system='{smallest}']").click()
    wait(driver).until(ec.url_contains(f"system={smallest}"))
    wait(driver).until(lambda d: set(texts(d, "#hits .system")) == {smallest})
    assert len(hit_codes(driver)) == expected[smallest]
    active = driver.find_element(By.CSS_SELECTOR, "#facet-list li.active a")
    assert active.get_attribute("data-system") == smallest
    # The other systems, with their counts, stay there to switch to.
    assert texts(driver, "#facet-list a[data-system] .count") == [str(n) for n in expected.values()]
    driver.find_element(By.LINK_TEXT, "All systems").click()
    wait(driver).until(lambda d: "system=" not in d.current_url)
    every = sum(expected.values())
    wait(driver).until(lambda d: f"of {every}" in d.find_element(By.ID, "status").text)


def test_pages_of_results_and_the_back_button(driver: WebDriver, base_url: str) -> None:
    results_for(driver, base_url, "walker")
    total = api(base_url, "search", q="walker")["total"]
    assert total > 10
    first_page = hit_codes(driver)
    assert len(first_page) == 10
    driver.find_element(By.CSS_SELECTOR, "#pager a.next").click()
    wait(driver).until(ec.url_contains("page=2"))
    wait(driver).until(lambda d: hit_codes(d) and hit_codes(d) != first_page)
    second_page = hit_codes(driver)
    assert len(second_page) == min(10, total - 10)
    assert not set(first_page) & set(second_page)
    assert driver.find_element(By.CSS_SELECTOR, "#hits").get_attribute("start") == "11"
    driver.back()
    wait(driver).until(lambda d: hit_codes(d) == first_page)


# Sections whose heading on the page is more than their name (app.js SECTION_HEADINGS).
LONGER_HEADINGS = {"procedure": "Procedure description", "risks": "Risks and complications"}


def test_a_hit_opens_its_code_page_with_every_section_in_order(driver: WebDriver, base_url: str) -> None:
    results_for(driver, base_url, "folding walker")
    link = driver.find_element(By.CSS_SELECTOR, "#hits .hit-head a.title[href*='code=hcpcs%2FE0143']")
    link.click()
    title = visible(driver, "#code-page h1")[0]
    record = api(base_url, "codes/hcpcs/E0143")
    assert title.text == record["title"]
    sections = driver.find_elements(By.CSS_SELECTOR, "#code-page .page-section")
    assert [s.get_attribute("data-section") for s in sections] == list(record["sections"])
    assert len(sections) >= 5
    for element, (name, text) in zip(sections, record["sections"].items(), strict=True):
        heading = LONGER_HEADINGS.get(name, name.capitalize())
        assert element.find_element(By.TAG_NAME, "h2").text == heading
        paragraphs = [p.text for p in element.find_elements(By.TAG_NAME, "p")]
        assert paragraphs == [line.strip() for line in text.split("\n") if line.strip()]
    source = driver.find_element(By.CSS_SELECTOR, "#code-page a.source")
    assert source.get_attribute("href") == record["url"]
    assert record["url"].startswith("https://")
    driver.back()
    visible(driver, "#hits .hit")


def test_a_shared_q_url_shows_its_results_and_a_did_you_mean(driver: WebDriver, base_url: str) -> None:
    results_for(driver, base_url, "gait trainnig")
    assert search_box(driver).get_attribute("value") == "gait trainnig"
    expected = api(base_url, "search", q="gait trainnig")
    assert expected["did_you_mean"]
    assert hit_codes(driver)[0] == expected["hits"][0]["code"]
    suggestion = visible(driver, "#did-you-mean-link")[0]
    assert suggestion.text == expected["did_you_mean"]
    suggestion.click()
    query = urllib.parse.quote_plus(expected["did_you_mean"])
    wait(driver).until(ec.url_contains(f"q={query}"))
    wait(driver).until(ec.invisibility_of_element_located((By.ID, "did-you-mean")))
    assert search_box(driver).get_attribute("value") == expected["did_you_mean"]


def test_a_code_prefix_suggests_codes_with_the_prefix_marked(driver: WebDriver, base_url: str) -> None:
    open_page(driver, base_url)
    search_box(driver).send_keys("E014")
    visible(driver, "#suggestions .suggestion")
    codes = texts(driver, "#suggestions .suggestion .code")
    assert codes and all(code.startswith("E014") for code in codes)
    assert set(texts(driver, "#suggestions .code mark")) == {"E014"}


def test_a_code_link_opens_the_code_page_directly(driver: WebDriver, base_url: str) -> None:
    open_page(driver, base_url, code="cpt/97116")
    assert visible(driver, "#code-page .page-head .code")[0].text == "97116"


def test_an_unknown_code_shows_the_error_and_the_codes_it_may_be(driver: WebDriver, base_url: str) -> None:
    open_page(driver, base_url, code="hcpcs/E0142")
    assert visible(driver, "#status.error")[0].text.startswith("Error: ")
    similar = visible(driver, "#code-page .did-you-mean-codes a")
    assert "E0143" in [link.text for link in similar]
    next(link for link in similar if link.text == "E0143").click()
    wait(driver).until(lambda d: texts(d, "#code-page .page-head .code") == ["E0143"])
    assert url_params(driver)["code"] == ["hcpcs/E0143"]


HOSTILE_QUERIES = [
    SCRIPT_PAYLOAD,
    IMG_PAYLOAD,
    JAVASCRIPT_URL,
    f"nebulizer {IMG_PAYLOAD}",
]


@pytest.mark.parametrize(
    "query", HOSTILE_QUERIES, ids=["script", "img-onerror", "javascript-url", "with-hits"]
)
def test_a_hostile_query_is_shown_as_text_and_runs_nothing(
    driver: WebDriver, base_url: str, query: str
) -> None:
    open_page(driver, base_url)
    box = search_box(driver)
    box.send_keys(query)
    box.send_keys(Keys.ENTER)
    wait(driver).until(lambda d: d.find_element(By.ID, "status").text not in ("", "Searching…"))
    assert url_params(driver)["q"] == [query.strip()]
    driver.refresh()  # the shared URL of the same query
    wait(driver).until(lambda d: d.find_element(By.ID, "status").text not in ("", "Searching…"))
    assert search_box(driver).get_attribute("value") == query.strip()
    assert_nothing_ran(driver)


def test_a_hostile_page_is_shown_as_text_in_hits_suggestions_and_its_code_page(
    driver: WebDriver, base_url: str
) -> None:
    record = api(base_url, f"codes/{XSS_CODE[0]}/{XSS_CODE[1]}")
    assert "<script>" in record["title"] and record["url"] == JAVASCRIPT_URL

    results_for(driver, base_url, "nebulizer")
    hit = driver.find_element(By.CSS_SELECTOR, "#hits .hit")
    assert hit.find_element(By.CSS_SELECTOR, ".hit-head .title").text == record["title"]
    source = hit.find_element(By.CSS_SELECTOR, ".source")
    assert source.tag_name == "span" and source.text == JAVASCRIPT_URL
    assert_nothing_ran(driver)

    open_page(driver, base_url)
    search_box(driver).send_keys("nebul")
    suggestion = visible(driver, "#suggestions .suggestion .title")[0]
    assert suggestion.text == record["title"]
    assert_nothing_ran(driver)

    open_page(driver, base_url, code="/".join(XSS_CODE))
    assert visible(driver, "#code-page h1")[0].text == record["title"]
    page_text = driver.find_element(By.ID, "code-page").text
    assert SCRIPT_PAYLOAD in page_text and IMG_PAYLOAD.strip() in page_text
    source = driver.find_element(By.CSS_SELECTOR, "#code-page .source")
    assert source.tag_name == "span" and source.text == JAVASCRIPT_URL
    assert_nothing_ran(driver)


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", "CI must run the browser tests"), ("", "1 skipped")], ids=["ci", "developer"]
)
def test_without_chromium_ci_fails_where_a_developer_skips(tmp_path: Path, ci: str, outcome: str) -> None:
    empty = tmp_path / "bin"  # a PATH with no chromium on it
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty), "CI": ci}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rsf", __file__]
    command += ["-k", "loads_everything_from_its_own_server"]
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert outcome in done.stdout, done.stdout[-2000:]
    assert "chromium" in done.stdout.lower()
    assert done.returncode == (1 if ci else 0)
