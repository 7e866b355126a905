"""Shared pieces of the browser tests: Debian's Chromium, a running ``routemap serve``,
and pages whose requests off this machine are aborted and recorded.

Playwright drives /usr/bin/chromium (never a downloaded browser). Its sync API runs
route handlers only inside its own calls, so waits use ``page.wait_for_timeout``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROUTEMAP = Path(sys.executable).with_name("routemap")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
SHOTS = Path("/tmp/shots")
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
EXCEPTION = '[data-testid="stException"]'
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

NEEDS_BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at "
                       "/usr/bin/chromium (apt-get install chromium)"),
]
NEEDS_SERVER = [
    *NEEDS_BROWSER,
    pytest.mark.skipif(not ROUTEMAP.exists(), reason="the routemap console script is not "
                       "installed beside this Python (pip install -e .)"),
]


@contextmanager
def launch() -> Iterator:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(browser, home: Path, log_path: Path) -> Iterator[str]:
    """``routemap serve --port N`` with ROUTEMAP_HOME=home; yields its URL once healthy."""
    port = free_port()
    env = {**os.environ, "ROUTEMAP_HOME": str(home)}
    with log_path.open("wb") as log:
        proc = subprocess.Popen([str(ROUTEMAP), "serve", "--port", str(port)], env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        page = browser.new_page()
        try:
            for _ in range(240):  # up to ~60 s for a cold start on a busy machine
                if proc.poll() is not None:
                    pytest.fail(f"routemap serve exited with {proc.returncode}")
                try:
                    if page.goto(f"{url}/_stcore/health").ok:
                        break
                except Exception:  # connection refused until it listens
                    pass
                page.wait_for_timeout(250)
            else:
                pytest.fail("routemap serve did not become healthy")
        finally:
            page.close()
        try:
            yield url
        finally:
            os.killpg(proc.pid, signal.SIGTERM)  # the server and its streamlit child
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@contextmanager
def offline_page(browser, outside: list[str], width: int, height: int) -> Iterator:
    """A fresh page whose requests off this machine are aborted and added to ``outside``."""
    context = browser.new_context(viewport={"width": width, "height": height})

    def route(r):
        if urlsplit(r.request.url).hostname in LOCAL_HOSTS:
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    try:
        yield context.new_page()
    finally:
        context.close()


def wait_until(page, check, tries: int = 60) -> bool:
    """Poll ``check()`` every 250 ms, at most ``tries`` times; whether it came true."""
    for _ in range(tries):
        if check():
            return True
        page.wait_for_timeout(250)
    return False


def settle(page, rounds: int = 160) -> None:
    """Wait until the script has stopped running (the status widget is gone)."""
    page.wait_for_timeout(400)
    status = page.locator('[data-testid="stStatusWidget"]')
    wait_until(page, lambda: status.count() == 0, rounds)
    page.wait_for_timeout(300)


def open_page(page, server: str, path: str = "", query: str = "") -> None:
    """Go to a page and wait until Streamlit has drawn it and finished running."""
    page.goto(f"{server}/{path}" + (f"?{query}" if query else ""))
    page.locator("h1").first.wait_for(timeout=30000)
    settle(page)


def shot(page, name: str, full_page: bool = True) -> None:
    """Save a screenshot as /tmp/shots/``name``.png, to be looked at, not compared."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def metric(page, label: str) -> str:
    """The value shown by the first ``st.metric`` whose label holds ``label``."""
    box = page.locator('[data-testid="stMetric"]', has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def upload(page, path: Path) -> None:
    """Give the Data page's uploader ``path``; waits until its load report is drawn."""
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.locator('[data-testid="stMetric"]', has_text="Rows read").wait_for(timeout=30000)
    settle(page)


def wait_for_map(page, min_paths: int = 10) -> int:
    """Leaflet's SVG paths inside the st_folium iframe; waits until at least ``min_paths``."""
    frame = page.frame_locator(MAP_IFRAME).first
    paths = frame.locator(".leaflet-overlay-pane path")
    wait_until(page, lambda: paths.count() >= min_paths, 120)
    page.wait_for_timeout(500)  # let the basemap and boxes paint before a screenshot
    return paths.count()
