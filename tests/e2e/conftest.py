"""Browser fixtures: local fixture pages, the real companion on a free port, Debian chromium with the
unpacked extension loaded.

Environment knobs (all optional):
  INFLOW_CHROMIUM   chromium binary (default /usr/bin/chromium; tests skip when it is missing)
  INFLOW_BIN        the `inflow` CLI (default: next to the running Python, i.e. the venv's)
  INFLOW_E2E_CONTENT  content folder for the companion (default content/, with lessons/ and roles/)
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXTENSION_DIR = REPO / "extension"
PAGES_DIR = REPO / "tests" / "fixtures" / "pages"
CHROMIUM = Path(os.environ.get("INFLOW_CHROMIUM", "/usr/bin/chromium"))
INFLOW_BIN = Path(os.environ.get("INFLOW_BIN", str(Path(sys.executable).parent / "inflow")))
# The content folder (lessons/ and roles/): with the roles the options page can offer a role.
CONTENT_DIR = Path(os.environ.get("INFLOW_E2E_CONTENT", str(REPO / "content")))
EXTENSION_ID = "ifhljjdpodblmggbldmmbfehokgpcnec"  # pinned by the manifest's "key"

# Realistic paths for the fixture pages, so URL rules (e.g. "/*/*/pull/*") apply as on the real sites.
ROUTES = {
    "/acme/payments/pull/482": "github-pr.html",
    "/browse/PAY-1289": "jira-issue.html",
    "/mail/u/0/": "gmail-compose.html",
    "/spreadsheets/d/1PqR7sTuVwXyZ/edit": "sheet.html",
    "/intranet/cafeteria/week-48": "nothing.html",
    "/jira/software/projects/PAY/boards/7": "spa.html",
}
PAGE_PATHS = {v: k for k, v in ROUTES.items()}

BROWSER_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
]


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run browser tests")


# --------------------------------------------------------------------------- fixture pages


class _Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(PAGES_DIR), **kwargs)

    def translate_path(self, path):
        bare = path.split("?", 1)[0].split("#", 1)[0]
        if bare in ROUTES:
            return str(PAGES_DIR / ROUTES[bare])
        return super().translate_path(path)

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args):  # keep test output readable
        pass


class PageServer:
    def __init__(self):
        self.port = free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, page: str, host: str = "127.0.0.1") -> str:
        """URL of a fixture page by file name (served at its realistic path) or by path."""
        path = PAGE_PATHS.get(page, page if page.startswith("/") else "/" + page)
        return f"http://{host}:{self.port}{path}"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def pages():
    server = PageServer()
    yield server
    server.close()


# --------------------------------------------------------------------------- companion


class Companion:
    """The real companion (`inflow serve`) as a subprocess; can be stopped and restarted on the same
    port and data dir."""

    def __init__(self, data_dir: Path, content: Path):
        self.data_dir = data_dir
        self.content = content
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = data_dir.parent / "companion.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> None:
        if not INFLOW_BIN.exists():
            pytest.fail(f"the companion CLI {INFLOW_BIN} is missing (pip install -e . into the venv)")
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [str(INFLOW_BIN), "serve", "--port", str(self.port), "--data-dir", str(self.data_dir),
             "--content", str(self.content), "--no-watch",
             # the suite opens many pages within minutes: lift the fatigue cap (12 tips/hour by default)
             "--tips-per-hour", "1000"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=str(REPO),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"inflow serve exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/api/v1/health", timeout=2) as r:
                    if r.status == 200 and json.load(r).get("ok"):
                        return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.25)
        self.stop()
        pytest.fail(f"inflow serve did not answer /health within {timeout}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def pairing_code(self) -> str:
        out = subprocess.run(
            [str(INFLOW_BIN), "pair", "--data-dir", str(self.data_dir)],
            capture_output=True, text=True, timeout=120, cwd=str(REPO), stdin=subprocess.DEVNULL,
        )
        assert out.returncode == 0, out.stderr
        codes = [line.strip() for line in out.stdout.splitlines() if line.strip().isdigit() and len(line.strip()) == 6]
        assert codes, f"no 6-digit code on a line by itself in: {out.stdout!r}"
        return codes[-1]

    # ---- the event log (SQLite)
    def events(self, where: str = "1=1", params: tuple = ()) -> list[dict]:
        path = self.data_dir / "events.db"
        if not path.exists():
            return []
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        con.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in con.execute(f"SELECT id, type, lesson_id, host, ts FROM events WHERE {where}", params)]
        except sqlite3.OperationalError:
            return []
        finally:
            con.close()

    def wait_events(self, predicate, timeout: float = 20, where: str = "1=1", params: tuple = ()) -> list[dict]:
        deadline = time.monotonic() + timeout
        rows: list[dict] = []
        while time.monotonic() < deadline:
            rows = self.events(where, params)
            if predicate(rows):
                return rows
            time.sleep(0.3)
        raise AssertionError(f"events never matched; last rows: {rows[-10:]}")


@pytest.fixture(scope="session")
def companion(tmp_path_factory):
    require_chromium()
    root = tmp_path_factory.mktemp("companion")
    comp = Companion(root / "data", CONTENT_DIR)
    comp.start()
    yield comp
    comp.stop()


# --------------------------------------------------------------------------- browser + extension


class Browser:
    def __init__(self, context, ext_id: str):
        self.context = context
        self.ext_id = ext_id
        self.requests: list[str] = []
        context.on("request", lambda req: self.requests.append(req.url))

    def ext_url(self, path: str) -> str:
        return f"chrome-extension://{self.ext_id}/{path}"

    def worker(self):
        """The extension's current service worker (it can be evicted and restarted)."""
        for w in self.context.service_workers:
            if w.url.startswith(f"chrome-extension://{self.ext_id}/"):
                return w
        page = self.context.new_page()  # an extension page wakes the worker
        try:
            page.goto(self.ext_url("pages/dashboard.html"))
            return self.context.wait_for_event("serviceworker", timeout=10_000)
        finally:
            page.close()

    def sw_eval(self, js: str, arg=None):
        return self.worker().evaluate(js, arg)

    def send(self, message: dict):
        """Send a runtime message to the service worker from an extension page (as popup/options do)."""
        page = self.context.new_page()
        try:
            page.goto(self.ext_url("pages/dashboard.html"))
            return page.evaluate("m => chrome.runtime.sendMessage(m)", message)
        finally:
            page.close()


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright driver for the session (the sync API allows only one at a time)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(tmp_path_factory, playwright_driver):
    """Debian chromium with the unpacked extension, on a fresh profile."""
    user_data = tmp_path_factory.mktemp("chromium-profile")
    ext = str(EXTENSION_DIR)
    context = playwright_driver.chromium.launch_persistent_context(
        str(user_data),
        executable_path=str(CHROMIUM),
        headless=False,  # "--headless=new" below: the new headless mode runs extensions
        args=BROWSER_ARGS + [f"--disable-extensions-except={ext}", f"--load-extension={ext}"],
        viewport={"width": 1280, "height": 800},
    )
    try:
        sw = context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker", timeout=30_000)
        yield Browser(context, sw.url.split("/")[2])
    finally:
        context.close()


@pytest.fixture(scope="session")
def inflow(browser, companion, pages):
    """The extension paired with the companion through the options page, with 127.0.0.1 allowed."""
    from playwright.sync_api import expect

    page = browser.context.new_page()
    page.goto(browser.ext_url("pages/options.html"))
    page.wait_for_selector("body[data-ready='1']")
    page.fill("#companion-url", companion.url)
    page.fill("#pairing-code", companion.pairing_code())
    page.click("#pair-button")
    expect(page.locator("#pairing-status")).to_contain_text("Paired", timeout=20_000)
    page.fill("#allowed-sites", "127.0.0.1")
    page.click("#save-options")
    expect(page.locator("#save-status")).to_contain_text("Saved", timeout=10_000)
    page.close()
    return browser


@pytest.fixture
def page(inflow):
    pg = inflow.context.new_page()
    yield pg
    pg.close()
