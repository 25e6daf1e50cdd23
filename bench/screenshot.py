"""A screenshot of the search page's results, for the README: starts `medcodes serve` over INDEX on a
free loopback port, opens the page in headless Chromium (Debian's chromium + chromium-driver), types
the query as a user would, waits for the hits and saves the picture.

    python bench/screenshot.py medcodes-index --out bench/screenshots/results.png [--query "walker"]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

START_S = 60
WAIT_S = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(index: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`medcodes serve` on 127.0.0.1:port, once it answers /healthz."""
    command = [sys.executable, "-m", "medcodes", "serve", "--index", str(index)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"Error: medcodes serve exited {server.returncode}: {log.read_text()[-1000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    server.terminate()
    raise SystemExit(f"Error: medcodes serve did not answer within {START_S} s")


def take_screenshot(url: str, query: str, out: Path, width: int, height: int) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    if not (chromium and chromedriver):
        raise SystemExit("Error: needs chromium and chromedriver (apt-get install chromium chromium-driver)")
    options = Options()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(chromedriver))
    try:
        wait = WebDriverWait(driver, WAIT_S)
        driver.get(url)
        box = wait.until(ec.element_to_be_clickable((By.ID, "q")))
        box.send_keys(query)
        box.send_keys(Keys.ENTER)
        wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#hits .hit")))
        out.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(out))
    finally:
        driver.quit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("index", type=Path, help="a medcodes index (medcodes ingest … --index DIR)")
    parser.add_argument("--out", type=Path, default=Path("bench/screenshots/results.png"))
    parser.add_argument("--query", default="walker")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args(argv)
    port = free_port()
    with tempfile.TemporaryDirectory() as scratch:
        server = start_server(args.index, port, Path(scratch) / "serve.log")
        try:
            take_screenshot(f"http://127.0.0.1:{port}/", args.query, args.out, args.width, args.height)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"{args.out}: {args.out.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
