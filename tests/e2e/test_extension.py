"""End to end: the real extension in Debian chromium, the real companion on a free port, local fixture
pages imitating work apps. Test order matters only for the last test (network log of the whole run)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import EXTENSION_ID, REPO

pytestmark = pytest.mark.e2e

TIP = "#inflow-root [data-lesson-id]"
SCREENSHOT = REPO / "docs" / "img" / "panel.png"


def wait_for_tips(page, timeout: float = 30_000) -> list[str]:
    page.wait_for_selector(TIP, timeout=timeout)
    return page.locator(TIP).evaluate_all("els => els.map(e => e.getAttribute('data-lesson-id'))")


def tip_ids(page) -> list[str]:
    return page.locator(TIP).evaluate_all("els => els.map(e => e.getAttribute('data-lesson-id'))")


def wait_for_context(inflow, url_part: str, timeout: float = 20) -> dict:
    """The last (redacted) context the service worker sent to the companion."""
    deadline = time.monotonic() + timeout
    ctx = None
    while time.monotonic() < deadline:
        ctx = inflow.sw_eval("async () => (await chrome.storage.session.get('lastContext')).lastContext || null")
        if ctx and url_part in ctx.get("url", ""):
            return ctx
        time.sleep(0.3)
    raise AssertionError(f"no context sent for {url_part}; last: {ctx}")


def wait_quiet(inflow, page_url_part: str):
    """Wait until the content script has asked for tips on this page (with or without a result)."""
    wait_for_context(inflow, page_url_part)
    time.sleep(1.5)


# --------------------------------------------------------------------------- pairing


def test_extension_id_is_pinned_by_the_manifest_key(inflow):
    assert inflow.ext_id == EXTENSION_ID


def test_pairing_through_the_options_page(inflow, companion):
    page = inflow.context.new_page()
    page.goto(inflow.ext_url("pages/options.html"))
    page.wait_for_selector("body[data-ready='1']")
    # paired by the session fixture: the options page says so, and the settings were saved
    expect(page.locator("#pairing-status")).to_contain_text("Paired")
    assert page.input_value("#companion-url") == companion.url
    assert page.input_value("#allowed-sites").splitlines() == ["127.0.0.1"]
    auth = inflow.sw_eval("async () => (await chrome.storage.local.get('auth')).auth")
    assert auth["token"] and auth["companionUrl"] == companion.url
    # a wrong code gives a clear error, not "Paired"
    page.fill("#pairing-code", "000000" if companion.pairing_code() != "000000" else "111111")
    page.click("#pair-button")
    expect(page.locator("#pairing-status")).to_contain_text("Pairing failed", timeout=10_000)
    assert "Paired" not in page.locator("#pairing-status").inner_text()
    # the role select is filled from GET /roles; the choice is saved
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    roles = page.locator("#role option").evaluate_all("os => os.map(o => o.value)")
    assert "software-engineer" in roles, roles
    page.select_option("#role", "software-engineer")
    page.click("#save-options")
    expect(page.locator("#save-status")).to_contain_text("Saved")
    settings = inflow.sw_eval("async () => (await chrome.storage.local.get('settings')).settings")
    assert settings["role"] == "software-engineer"
    assert settings["allowedSites"] == ["127.0.0.1"]
    page.close()


def test_popup_shows_status(inflow):
    page = inflow.context.new_page()
    page.goto(inflow.ext_url("pages/popup.html"))
    expect(page.locator("#status-text")).to_contain_text("Connected", timeout=10_000)
    page.close()


# --------------------------------------------------------------------------- tips on fixture pages


def test_github_pr_page_gets_a_github_tip_and_screenshot(page, pages):
    page.goto(pages.url("github-pr.html"))
    ids = wait_for_tips(page)
    assert 1 <= len(ids) <= 3
    assert ids[0].startswith("github-"), ids
    first = page.locator(TIP).first
    expect(first.locator("[data-action=open]")).to_be_visible()
    for action in ("applied", "helpful", "not-helpful", "dismiss"):
        expect(first.locator(f"[data-action={action}]")).to_have_count(1)
    expect(page.locator("#inflow-root [data-action=snooze]")).to_have_count(1)
    # open shadow root, labelled region, live region
    assert page.evaluate("() => document.getElementById('inflow-root').shadowRoot.mode") == "open"
    expect(page.locator("#inflow-root [role=region]")).to_have_attribute("aria-labelledby", "inflow-heading")
    # the panel sits on top of the page without moving it
    assert page.evaluate("() => getComputedStyle(document.getElementById('inflow-root')).position") == "fixed"
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOT))


def test_jira_issue_page_gets_a_jira_tip(page, pages):
    page.goto(pages.url("jira-issue.html"))
    ids = wait_for_tips(page)
    assert ids[0].startswith("jira-"), ids


def test_gmail_compose_gets_an_email_tip(page, pages):
    page.goto(pages.url("gmail-compose.html"))
    ids = wait_for_tips(page)
    assert ids[0].startswith(("gmail-", "writing-", "outlook-", "email-")), ids


def test_sheet_with_vlookup_gets_a_sheets_tip(page, pages):
    page.goto(pages.url("sheet.html"))
    ids = wait_for_tips(page)
    assert ids[0].startswith("sheets-"), ids


def test_no_tip_on_a_page_with_nothing_to_learn(inflow, page, pages):
    page.goto(pages.url("nothing.html"))
    wait_quiet(inflow, "/intranet/cafeteria")
    assert tip_ids(page) == []
    # Inflow is active (allowed site) and says so, but shows no panel
    expect(page.locator("#inflow-root .indicator")).to_be_visible()


def test_no_tip_on_a_site_that_is_not_allowed(inflow, page, pages):
    page.goto(pages.url("github-pr.html", host="localhost"))
    page.wait_for_timeout(4000)
    assert page.locator("#inflow-root").count() == 0
    last = inflow.sw_eval("async () => (await chrome.storage.session.get('lastContext')).lastContext || null")
    assert not last or "localhost" not in last["url"]


# --------------------------------------------------------------------------- lesson, events, SQLite


def test_open_lesson_and_applied_land_in_sqlite(inflow, companion, page, pages):
    page.goto(pages.url("github-pr.html"))
    wait_for_tips(page)
    tip = page.locator(TIP).first
    lesson_id = tip.get_attribute("data-lesson-id")
    tip.locator("[data-action=open]").click()
    lesson = tip.locator(".lesson")
    expect(lesson).to_be_visible()
    expect(lesson.locator(".body")).not_to_be_empty(timeout=10_000)
    assert lesson.locator("script, iframe").count() == 0
    tip.locator("[data-action=applied]").click()
    expect(tip.locator("[data-action=applied]")).to_be_disabled()
    rows = companion.wait_events(
        lambda rs: {"viewed", "applied"} <= {r["type"] for r in rs},
        where="lesson_id = ?", params=(lesson_id,),
    )
    applied = [r for r in rows if r["type"] == "applied"]
    assert applied[-1]["host"] == "127.0.0.1"
    assert any(r["type"] == "shown" for r in rows)


def test_knowledge_check(inflow, companion, page, pages):
    page.goto(pages.url("github-pr.html"))
    wait_for_tips(page)
    for i in range(page.locator(TIP).count()):
        tip = page.locator(TIP).nth(i)
        tip.locator("[data-action=open]").click()
        expect(tip.locator(".lesson .body")).not_to_be_empty(timeout=10_000)
        if tip.locator("fieldset.check").count():
            lesson_id = tip.get_attribute("data-lesson-id")
            tip.locator("fieldset.check input[type=radio]").first.check()
            tip.locator("[data-action=check-submit]").click()
            expect(tip.locator(".result")).to_contain_text(".", timeout=10_000)
            companion.wait_events(
                lambda rs: any(r["type"] in ("check_passed", "check_failed") for r in rs),
                where="lesson_id = ?", params=(lesson_id,),
            )
            return
    pytest.skip("none of the tips on the PR page has a knowledge check")


def test_offline_queue_delivers_exactly_once(inflow, companion, page, pages):
    page.goto(pages.url("github-pr.html"))
    wait_for_tips(page)
    tip = page.locator(TIP).first
    lesson_id = tip.get_attribute("data-lesson-id")
    before = {r["id"] for r in companion.events()}

    companion.stop()
    try:
        tip.locator("[data-action=helpful]").click()
        tip.locator("[data-action=applied]").click()
        deadline = time.monotonic() + 15
        queued = []
        while time.monotonic() < deadline:
            queued = inflow.sw_eval("async () => (await chrome.storage.local.get('queue')).queue || []")
            if {"helpful", "applied"} <= {e["type"] for e in queued if e["lesson_id"] == lesson_id}:
                break
            time.sleep(0.3)
        ours = [e for e in queued if e["lesson_id"] == lesson_id and e["type"] in ("helpful", "applied")]
        assert {e["type"] for e in ours} == {"helpful", "applied"}, queued
        # every event carries a client UUID from the moment it is created
        assert all(len(e["id"]) == 36 for e in queued)
        # the toolbar badge says something is wrong
        status = inflow.sw_eval("async () => (await chrome.storage.local.get('status')).status")
        assert status["state"] == "unreachable"
        popup = inflow.context.new_page()
        popup.goto(inflow.ext_url("pages/popup.html"))
        expect(popup.locator("#status-text")).to_contain_text("not running", timeout=10_000)
        popup.close()
        badge = inflow.sw_eval("async () => chrome.action.getBadgeText({})")
        assert badge == "!"
    finally:
        companion.start()

    queued_ids = [e["id"] for e in queued]
    # any message to the service worker retries the queue; ask several times to provoke duplicates
    for _ in range(3):
        inflow.send({"type": "flush"})
    rows = companion.wait_events(lambda rs: set(queued_ids) <= {r["id"] for r in rs})
    ids = [r["id"] for r in rows]
    for qid in queued_ids:
        assert ids.count(qid) == 1
    assert inflow.sw_eval("async () => ((await chrome.storage.local.get('queue')).queue || []).length") == 0
    new = [r for r in rows if r["id"] not in before and r["lesson_id"] == lesson_id]
    assert sorted(r["type"] for r in new if r["type"] in ("helpful", "applied")) == ["applied", "helpful"]


# --------------------------------------------------------------------------- page isolation


def test_page_script_cannot_call_the_companion(inflow, companion, page, pages):
    page.goto(pages.url("nothing.html"))
    result = page.evaluate(
        """async (base) => {
          const out = {};
          for (const [name, init] of [
            ["health", {}],
            ["tips", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({url: location.href, title: "x", text: "x"})}],
            ["events", {method: "POST", headers: {"Content-Type": "application/json"}, body: "{}"}],
          ]) {
            const path = name === "health" ? "/api/v1/health" : "/api/v1/" + name;
            try { const r = await fetch(base + path, init); out[name] = "status " + r.status + " " + (await r.text()).slice(0, 80); }
            catch (e) { out[name] = "blocked"; }
          }
          return out;
        }""",
        companion.url,
    )
    assert result == {"health": "blocked", "tips": "blocked", "events": "blocked"}, result

    token = inflow.sw_eval("async () => (await chrome.storage.local.get('auth')).auth.token")
    req = urllib.request.Request(
        companion.url + "/api/v1/tips",
        data=json.dumps({"url": pages.url("nothing.html"), "title": "x", "text": "x"}).encode(),
        headers={"Content-Type": "application/json", "Origin": pages.origin, "Authorization": f"Bearer {token}"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=5)
    assert err.value.code == 403
    assert "Access-Control-Allow-Origin" not in err.value.headers


def test_synthetic_clicks_from_the_page_do_nothing(inflow, companion, page, pages):
    page.goto(pages.url("jira-issue.html"))
    ids = wait_for_tips(page)
    lesson_id = ids[0]
    inflow.send({"type": "flush"})
    time.sleep(1)
    before = [r for r in companion.events("lesson_id = ?", (lesson_id,)) if r["type"] != "shown"]
    page.evaluate(
        """() => {
          const root = document.getElementById('inflow-root').shadowRoot;
          for (const a of ['applied', 'helpful', 'not-helpful', 'dismiss', 'open']) {
            root.querySelector('[data-lesson-id] [data-action="' + a + '"]').click();
            root.querySelector('[data-lesson-id] [data-action="' + a + '"]').dispatchEvent(new MouseEvent('click', {bubbles: true, composed: true}));
          }
          root.querySelector('[data-action="snooze"]').click();
        }"""
    )
    time.sleep(2)
    inflow.send({"type": "flush"})
    time.sleep(1)
    after = [r for r in companion.events("lesson_id = ?", (lesson_id,)) if r["type"] != "shown"]
    assert after == before
    assert tip_ids(page) == ids  # nothing dismissed
    assert page.locator(TIP).first.locator("[data-action=applied]").is_enabled()
    assert inflow.sw_eval("async () => (await chrome.storage.local.get('snoozes')).snoozes || {}") == {}


# --------------------------------------------------------------------------- SPA, privacy, controls


def test_spa_navigation_brings_new_tips(inflow, page, pages):
    page.goto(pages.url("spa.html"))
    ids = wait_for_tips(page)
    assert ids[0].startswith("jira-"), ids
    page.click("#open-pr")
    assert page.url.endswith("/acme/payments/pull/482")
    page.wait_for_function(
        "() => { const el = document.querySelector('#inflow-root')?.shadowRoot?.querySelector('[data-lesson-id]');"
        " return el && el.getAttribute('data-lesson-id').startsWith('github-'); }",
        timeout=20_000,
    )
    ctx = wait_for_context(inflow, "/acme/payments/pull/482")
    assert ctx["title"].startswith("Add retry to payment client")


def test_context_sent_to_the_companion_is_redacted(inflow, page, pages):
    page.goto(pages.url("gmail-compose.html"))
    ctx = wait_for_context(inflow, "/mail/u/0/")
    blob = json.dumps(ctx)
    assert "@" not in blob, blob
    assert "4111" not in blob and "1111 1111" not in blob
    assert "555-0132" not in blob
    assert "[email]" in blob and "[card]" in blob
    assert set(ctx) <= {"url", "title", "text", "selection", "headings", "description", "role", "limit"}
    assert len(ctx["text"]) <= 2000


def test_panel_keyboard_and_close(page, pages):
    page.goto(pages.url("jira-issue.html"))  # the pull request's lessons were applied by the tests above
    wait_for_tips(page)
    panel = page.locator("#inflow-root section.panel")
    expect(panel).to_be_visible()
    page.locator(TIP).first.locator("[data-action=open]").focus()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    indicator = page.locator("#inflow-root .indicator")
    expect(indicator).to_be_focused()
    page.keyboard.press("Enter")
    expect(panel).to_be_visible()
    page.locator("#inflow-root [data-action=close]").click()
    expect(panel).to_be_hidden()


def test_dismiss_removes_the_tip(inflow, companion, page, pages):
    page.goto(pages.url("sheet.html"))
    ids = wait_for_tips(page)
    page.locator(TIP).first.locator("[data-action=dismiss]").click()
    expect(page.locator(f'#inflow-root [data-lesson-id="{ids[0]}"]')).to_have_count(0)
    companion.wait_events(lambda rs: any(r["type"] == "dismissed" for r in rs), where="lesson_id = ?", params=(ids[0],))


def test_pause_and_snooze_stop_tips(inflow, page, pages):
    try:
        res = inflow.send({"type": "setPaused", "paused": True})
        assert res["paused"] is True
        page.goto(pages.url("jira-issue.html"))
        page.wait_for_timeout(3000)
        assert tip_ids(page) == []
    finally:
        inflow.send({"type": "setPaused", "paused": False})
    page.reload()
    wait_for_tips(page)
    page.locator("#inflow-root [data-action=snooze]").click()
    expect(page.locator("#inflow-root")).to_have_count(0, timeout=10_000)
    snoozes = inflow.sw_eval("async () => (await chrome.storage.local.get('snoozes')).snoozes")
    assert "127.0.0.1" in snoozes
    page.reload()
    page.wait_for_timeout(3000)
    assert tip_ids(page) == []
    inflow.send({"type": "unsnooze", "host": "127.0.0.1"})
    page.reload()
    # active again (the companion itself now holds back the lessons snoozed on this host)
    expect(page.locator("#inflow-root .indicator")).to_be_visible(timeout=10_000)


def test_dashboard_shows_progress(inflow):
    page = inflow.context.new_page()
    page.goto(inflow.ext_url("pages/dashboard.html"))
    expect(page.locator("#dash-status")).to_be_empty(timeout=10_000)
    assert page.locator("#events div, #skills li").count() >= 1
    page.close()


def test_zz_no_request_leaves_the_machine(inflow, page, pages):
    """Runs last: every request the browser made during the session stayed on this machine."""
    page.goto(pages.url("github-pr.html"))
    wait_for_context(inflow, "/acme/payments/pull/482")
    page.wait_for_timeout(1000)
    allowed = ("http://127.0.0.1:", "http://localhost:", "chrome-extension://", "data:", "about:", "blob:")
    assert inflow.requests, "no request recorded at all"
    # the recorder sees the service worker's requests too (its calls to the companion)
    assert any("/api/v1/tips" in u for u in inflow.requests)
    off = sorted({u for u in inflow.requests if not u.startswith(allowed)})
    assert off == [], off
