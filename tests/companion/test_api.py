"""The /api/v1 contract, route by route, through the Flask test client (fake embedder)."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import uuid

import pytest

from companion.config import Paths
from tests.conftest import Api, make_app

ERROR_KEYS = {"ok", "status", "error", "errors"}
MAIL = "https://mail.example.com/inbox"
# The fake embedder is a hashed bag of words: this page shares most words with lesson-2 ("Email filters")
# and some with lesson-0 ("Pivot tables"), so both are tipped, lesson-2 clearly first.
MATCH = {"url": MAIL, "title": "Email filters",
         "text": "Get started with email filters. Learn email filters in a few steps. Learn pivot tables in a few steps."}
UNRELATED = {"url": MAIL, "title": "zebra giraffe", "text": "quantum banana orchestra"}


def assert_error(response, status: int) -> dict:
    """The one error shape: JSON with exactly ok=false, status, error, errors — never HTML."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == ERROR_KEYS
    assert body["ok"] is False and body["status"] == status
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["errors"], list)
    assert "<html" not in response.get_data(as_text=True).lower()
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def event(type_: str, lesson_id: str, **fields) -> dict:
    return {"id": uuid.uuid4().hex, "type": type_, "lesson_id": lesson_id, **fields}


def ago(**delta) -> str:
    return (dt.datetime.now(dt.timezone.utc) - dt.timedelta(**delta)).isoformat().replace("+00:00", "Z")


def tip_ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [tip["lesson_id"] for tip in response.get_json()["tips"]]


def row_count(app) -> int:
    with sqlite3.connect(Paths(app.extensions["inflow"].settings.data_dir).events) as conn:
        return conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]


# --- health and the OpenAPI document --------------------------------------------------------------


def test_health_needs_no_token(api, fake_embedder):
    response = api.get("/health", headers={"Authorization": None, "Origin": None})
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True and body["lessons"] == 3
    assert body["model"] == fake_embedder.model_id
    assert isinstance(body["index_version"], str) and body["index_version"]
    assert body["index_version"] == api.app.extensions["inflow"].holder.index.version


def test_openapi_document_needs_no_token(api):
    response = api.get("/openapi.json", headers={"Authorization": None})
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.") and doc["servers"] == [{"url": "/api/v1"}]
    assert "bearer" in doc["components"]["securitySchemes"]
    open_paths = {p for p, ops in doc["paths"].items() for op in ops.values() if op.get("security") == []}
    assert open_paths == {"/health", "/openapi.json", "/pair"}


def test_openapi_paths_equal_the_app_routes(app, api):
    doc = api.get("/openapi.json").get_json()
    documented = {(method.upper(), "/api/v1" + path) for path, ops in doc["paths"].items() for method in ops}
    served = {
        (method, re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == served


# --- tips ------------------------------------------------------------------------------------------


def test_tips_shape_and_best_match_first(api):
    response = api.post("/tips", json=MATCH)
    body = response.get_json()
    assert response.status_code == 200 and set(body) == {"request_id", "tips"}
    assert re.fullmatch(r"[A-Za-z0-9_-]{8,64}", body["request_id"]), "usable as an event's request_id"
    assert body["tips"] and len(body["tips"]) <= 3
    for tip in body["tips"]:
        assert set(tip) == {"lesson_id", "title", "summary", "score", "why"}
        assert isinstance(tip["score"], float) and isinstance(tip["why"], list)
        assert all(isinstance(reason, str) for reason in tip["why"])
    best = body["tips"][0]
    assert best["lesson_id"] == "lesson-2"
    lesson = api.get("/lessons/lesson-2").get_json()
    assert (best["title"], best["summary"]) == (lesson["title"], lesson["summary"])
    assert best["why"][0] == "matches email, filters, started", "the page's words found in the tip, in page order"
    scores = [tip["score"] for tip in body["tips"]]
    assert scores == sorted(scores, reverse=True)
    assert api.post("/tips", json=MATCH).get_json()["request_id"] != body["request_id"]


def test_tips_limit_is_respected(api):
    assert len(tip_ids(api.post("/tips", json=MATCH))) > 1, "precondition: several lessons match"
    assert tip_ids(api.post("/tips", json={**MATCH, "limit": 1})) == ["lesson-2"]


def test_unrelated_context_gets_no_tips(api):
    assert tip_ids(api.post("/tips", json=UNRELATED)) == []
    assert tip_ids(api.post("/tips", json={"url": MAIL})) == [], "no text at all: nothing to match"


def test_unknown_role_is_refused(api):
    body = assert_error(api.post("/tips", json={**MATCH, "role": "astronaut"}), 400)
    assert any(e.startswith("role:") for e in body["errors"])
    assert api.events.get_profile("role") is None


def test_known_role_is_remembered(api):
    assert api.get("/progress").get_json()["role"] is None
    assert api.post("/tips", json={**MATCH, "role": "analyst"}).status_code == 200
    assert api.events.get_profile("role") == "analyst"
    assert api.post("/tips", json=MATCH).status_code == 200, "a request without a role keeps the remembered one"
    assert api.get("/progress").get_json()["role"] == {"id": "analyst", "title": "Analyst"}


# --- lessons and knowledge checks ------------------------------------------------------------------

QUIZ_BODY = """\
## Steps
1. Open the settings.

<script>alert("owned")</script>
<img src="x" onerror="alert(1)">
<a href="javascript:alert(2)">raw link</a> <iframe src="https://evil.example"></iframe>

[a markdown link](javascript:alert(3)) and [a good link](https://example.com/help).
"""
CHECK = {"question": "Where do filters live?", "options": ["Settings", "Trash", "Drafts"], "answer": 0,
         "explanation": "Filters are created from the settings page."}


@pytest.fixture
def quiz_api(tmp_path, content, fake_embedder) -> Api:
    content.write("quiz", QUIZ_BODY, check=CHECK)
    return Api(make_app(tmp_path / "quiz-data", content.root, fake_embedder))


def test_lesson_has_sanitised_html_and_check_without_answer(quiz_api):
    response = quiz_api.get("/lessons/quiz")
    assert response.status_code == 200
    lesson = response.get_json()
    assert lesson["id"] == "quiz" and lesson["title"] == "Lesson quiz"
    assert "<h2>Steps</h2>" in lesson["html"] and "Open the settings." in lesson["html"]
    html = lesson["html"].lower()
    assert "<script" not in html and "onerror" not in html and "<iframe" not in html
    assert "href=\"javascript" not in html and "alert(2)" not in html
    assert '<a href="https://example.com/help" rel="noopener noreferrer nofollow">a good link</a>' in lesson["html"]
    assert lesson["check"] == {"question": CHECK["question"], "options": CHECK["options"]}
    assert CHECK["explanation"] not in response.get_data(as_text=True)


def test_lesson_without_check_has_null_check(api):
    lesson = api.get("/lessons/lesson-1").get_json()
    assert lesson["id"] == "lesson-1" and lesson["check"] is None
    assert "pull request review" in lesson["html"]


@pytest.mark.parametrize("lesson_id", ["no-such-lesson", "x" * 300, "..%2F..%2Fetc%2Fpasswd"])
def test_unknown_lesson_is_404_json(api, lesson_id):
    assert_error(api.get(f"/lessons/{lesson_id}"), 404)


def test_check_right_and_wrong_answers(quiz_api):
    right = quiz_api.post("/lessons/quiz/check", json={"answer": 0})
    assert right.status_code == 200
    assert right.get_json() == {"correct": True, "explanation": CHECK["explanation"]}
    wrong = quiz_api.post("/lessons/quiz/check", json={"answer": 2})
    assert wrong.status_code == 200 and wrong.get_json()["correct"] is False


@pytest.mark.parametrize("body", [{"answer": 3}, {"answer": -1}, {"answer": "0"}, {"answer": True},
                                  {"answer": 0.0}, {"answer": None}, {}, [0]])
def test_check_bad_answer_is_400(quiz_api, body):
    assert_error(quiz_api.post("/lessons/quiz/check", json=body), 400)


def test_check_on_lesson_without_check_or_unknown_lesson_is_404(quiz_api):
    assert_error(quiz_api.post("/lessons/lesson-0/check", json={"answer": 0}), 404)
    assert_error(quiz_api.post("/lessons/nope/check", json={"answer": 0}), 404)


# --- events ----------------------------------------------------------------------------------------


def test_events_are_counted_and_idempotent_on_id(app, api):
    batch = [event("shown", "lesson-0"), event("viewed", "lesson-0"), event("helpful", "lesson-1", value=1)]
    first = api.post("/events", json={"events": batch})
    assert first.status_code == 200
    assert first.get_json() == {"ok": True, "accepted": 3, "duplicates": 0}
    retry = api.post("/events", json={"events": batch})
    assert retry.get_json() == {"ok": True, "accepted": 0, "duplicates": 3}
    assert row_count(app) == 3
    mixed = api.post("/events", json={"events": [batch[0], event("applied", "lesson-2")]})
    assert mixed.get_json() == {"ok": True, "accepted": 1, "duplicates": 1}
    assert row_count(app) == 4


def test_same_id_twice_in_one_batch_is_stored_once(app, api):
    twice = event("shown", "lesson-0")
    assert api.post("/events", json={"events": [twice, twice]}).get_json()["accepted"] == 1
    assert row_count(app) == 1


def test_events_keep_no_page_text(app, api):
    secret = "Quarterly-Revenue-Zanzibar-7731"
    tips = api.post("/tips", json={"url": f"{MAIL}?q={secret}", "title": f"{secret} email filters",
                                   "text": f"{MATCH['text']} {secret}", "selection": secret})
    request_id = tips.get_json()["request_id"]
    api.post("/events", json={"events": [event("shown", "lesson-2", request_id=request_id,
                                                 host="mail.example.com", value=0.5)]})
    db = Paths(app.extensions["inflow"].settings.data_dir).events
    with sqlite3.connect(db) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(events)")]
        row = conn.execute("SELECT * FROM events").fetchone()
    assert columns == ["id", "type", "lesson_id", "request_id", "host", "value", "ts", "received"]
    assert row[1:6] == ("shown", "lesson-2", request_id, "mail.example.com", 0.5)
    for path in db.parent.glob("events.db*"):
        assert secret.encode() not in path.read_bytes(), f"page text reached {path.name}"


def test_dismissed_lesson_is_no_longer_tipped(api):
    assert "lesson-2" in tip_ids(api.post("/tips", json=MATCH))
    api.post("/events", json={"events": [event("dismissed", "lesson-2")]})
    after = tip_ids(api.post("/tips", json=MATCH))
    assert "lesson-2" not in after
    assert after, "other lessons are still offered"


def test_snooze_applies_to_that_host_only(api):
    api.post("/events", json={"events": [event("snoozed", "lesson-2", host="mail.example.com")]})
    assert "lesson-2" not in tip_ids(api.post("/tips", json=MATCH))
    elsewhere = {**MATCH, "url": "https://docs.example.org/page"}
    assert tip_ids(api.post("/tips", json=elsewhere))[0] == "lesson-2"


def test_fatigue_cap_empties_tips_with_a_reason(tmp_path, content, fake_embedder):
    api = Api(make_app(tmp_path / "data", content.root, fake_embedder, tips_per_hour=2))
    api.post("/events", json={"events": [event("shown", "lesson-0"), event("shown", "lesson-2", ts=ago(hours=2))]})
    assert tip_ids(api.post("/tips", json=MATCH)), "below the cap (the older one does not count) tips still flow"
    api.post("/events", json={"events": [event("shown", "lesson-1")]})
    body = api.post("/tips", json=MATCH).get_json()
    assert body["tips"] == [] and "fatigue" in body["reason"]


# --- progress, roles, dashboard --------------------------------------------------------------------


def test_progress_counts_evidence_for_the_role(api):
    api.post("/tips", json={**MATCH, "role": "analyst"})
    api.post("/events", json={"events": [event("applied", "lesson-0"), event("shown", "lesson-1")]})
    report = api.get("/progress").get_json()
    assert report["role"] == {"id": "analyst", "title": "Analyst"}
    skills = {s["id"]: s for s in report["skills"]}
    assert skills["data-analysis"] == {"id": "data-analysis", "level": 0, "target": 2, "evidence": []}
    assert skills["writing"] == {"id": "writing", "level": 1, "target": None, "evidence": ["lesson-0"]}
    assert report["events"] == {"applied": 1, "shown": 1}
    assert report["due"] == [], "just applied: not due yet"


def test_progress_lists_due_reinforcements(api):
    api.post("/events", json={"events": [event("applied", "lesson-1", ts=ago(days=90)),
                                         event("applied", "lesson-0")]})
    due = api.get("/progress").get_json()["due"]
    assert [d["lesson_id"] for d in due] == ["lesson-1"]
    assert due[0]["title"] == api.get("/lessons/lesson-1").get_json()["title"]
    assert due[0]["due"].endswith("Z")


def test_roles_are_listed(api):
    assert api.get("/roles").get_json() == {"roles": [{"id": "analyst", "title": "Analyst", "description": ""}]}


def test_dashboard_is_html_with_the_role_title(api):
    api.post("/tips", json={**MATCH, "role": "analyst"})
    api.post("/events", json={"events": [event("applied", "lesson-0")]})
    response = api.get("/dashboard")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Your progress as Analyst" in page and "writing" in page


# --- errors are always JSON ------------------------------------------------------------------------


def test_unknown_route_is_json_404(api):
    assert_error(api.get("/no-such-route"), 404)
    assert_error(api.get("/lessons/lesson-0/nope"), 404)


@pytest.mark.parametrize("method, path", [("GET", "/tips"), ("DELETE", "/events"), ("POST", "/health"),
                                          ("PUT", "/lessons/lesson-0"), ("GET", "/pair")])
def test_wrong_method_is_json_405(api, method, path):
    assert_error(api.open(method, path), 405)


def test_invalid_body_errors_list_every_problem(api):
    body = assert_error(api.post("/tips", json={"url": "ftp://x", "limit": 0, "colour": "red"}), 400)
    assert {e.split(":")[0] for e in body["errors"]} == {"url", "limit", "colour"}


def test_unexpected_failure_is_json_500_without_details(api, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("secret internals /home/user/.config")

    monkeypatch.setattr(api.app.extensions["inflow"].ranker, "rank", boom)
    body = assert_error(api.post("/tips", json=MATCH), 500)
    assert "secret internals" not in str(body)
