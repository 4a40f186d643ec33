"""Property tests for request validation: any JSON gets a 2xx or a 4xx JSON error, bad batches store nothing."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ERROR_KEYS = {"ok", "status", "error", "errors"}
PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)
TIPS_FIELDS = ["url", "title", "text", "selection", "headings", "description", "role", "limit"]
EVENT_FIELDS = ["id", "type", "lesson_id", "request_id", "ts", "host", "value"]
# Bodies shaped like the real thing, with arbitrary values: they reach the field checks, not just the top.
tips_like = st.dictionaries(st.sampled_from(TIPS_FIELDS) | st.text(max_size=8), json_values, max_size=8)
events_like = st.fixed_dictionaries({"events": st.lists(
    st.dictionaries(st.sampled_from(EVENT_FIELDS) | st.text(max_size=8), json_values, max_size=8), max_size=4)})


def assert_handled(response) -> None:
    """A 2xx, or a 4xx with the JSON error shape — never a 5xx, never HTML."""
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:200]
    body = response.get_json()
    if response.status_code >= 400:
        assert set(body) == ERROR_KEYS and body["ok"] is False and body["status"] == response.status_code
        assert isinstance(body["error"], str) and all(isinstance(e, str) for e in body["errors"])
    else:
        assert 200 <= response.status_code < 300


def stored(api) -> int:
    return api.events.query("SELECT COUNT(*) FROM events")[0][0]


def good_event(**fields) -> dict:
    return {"id": uuid.uuid4().hex, "type": "shown", "lesson_id": "lesson-0", **fields}


@PROPS
@given(body=json_values | tips_like)
def test_any_json_to_tips_is_handled(api, body):
    assert_handled(api.post("/tips", json=body))


@PROPS
@given(body=json_values | events_like)
def test_any_json_to_events_is_handled(api, body):
    before = stored(api)
    response = api.post("/events", json=body)
    assert_handled(response)
    if response.status_code >= 400:
        assert stored(api) == before


def future_ts() -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)).isoformat()


BAD_EVENTS = st.sampled_from([
    good_event(type="clicked"),
    good_event(type=None),
    good_event(lesson_id="no-such-lesson"),
    good_event(lesson_id=7),
    {"type": "shown", "lesson_id": "lesson-0"},
    good_event(id="short"),
    good_event(id="has spaces in it"),
    good_event(id="x" * 65),
    good_event(id=12345678),
    good_event(request_id="bad id!"),
    good_event(value="1"),
    good_event(value=True),
    good_event(host="Not A Host/"),
    good_event(ts="yesterday"),
    good_event(ts=1700000000),
    good_event(ts=future_ts()),
    good_event(page_text="the page said something private"),
    "not an object",
    None,
])


@PROPS
@given(good=st.lists(st.builds(good_event, type=st.sampled_from(["shown", "viewed", "helpful"]),
                               lesson_id=st.sampled_from(["lesson-0", "lesson-1", "lesson-2"])), max_size=5),
       bad=st.lists(BAD_EVENTS, min_size=1, max_size=3), data=st.data())
def test_a_batch_with_any_invalid_event_stores_nothing(api, good, bad, data):
    batch = list(good)
    for event in bad:
        batch.insert(data.draw(st.integers(0, len(batch)), label="position"), event)
    before = stored(api)
    response = api.post("/events", json={"events": batch})
    assert_handled(response)
    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert errors and all(e.startswith("events[") for e in errors)
    assert stored(api) == before


@PROPS
@given(good=st.lists(st.builds(good_event, value=st.floats(-1e6, 1e6) | st.none()), min_size=1, max_size=5))
def test_a_valid_batch_is_stored_in_full(api, good):
    before = stored(api)
    response = api.post("/events", json={"events": good})
    assert response.status_code == 200 and response.get_json()["accepted"] == len(good)
    assert stored(api) == before + len(good)


def test_batch_limits(api):
    assert api.post("/events", json={"events": []}).status_code == 400
    too_many = [good_event() for _ in range(501)]
    assert api.post("/events", json={"events": too_many}).status_code == 400
    assert stored(api) == 0


@pytest.mark.parametrize("path", ["/tips", "/events", "/pair"])
@pytest.mark.parametrize("text, content_type", [
    ('{"url": "https://a.example/",', "application/json"),
    ("{'url': 'https://a.example/'}", "application/json"),
    ("", "application/json"),
    ("\xff\xfe{}", "application/json"),
    ('{"url": "https://a.example/"}', "text/plain"),
    ('{"url": "https://a.example/"}', "application/x-www-form-urlencoded"),
    ('{"url": "https://a.example/"}', None),
])
def test_malformed_json_or_wrong_content_type_is_400(api, path, text, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = api.post(path, data=text.encode("latin-1"), headers=headers)
    assert_handled(response)
    assert response.status_code == 400
    assert "JSON" in response.get_json()["error"]


@pytest.mark.parametrize("field, value", [
    ("title", "t" * 513),
    ("text", "w " * 10_001),
    ("selection", "s" * 2001),
    ("description", "d" * 1001),
    ("url", "https://a.example/" + "p" * 2048),
    ("role", "r" * 65),
    ("headings", ["h"] * 51),
    ("headings", ["h" * 301]),
])
def test_oversized_fields_are_named(api, field, value):
    body = {"url": "https://a.example/", field: value}
    response = api.post("/tips", json=body)
    assert_handled(response)
    assert response.status_code == 400
    assert any(e.startswith(f"{field}:") for e in response.get_json()["errors"])


def test_fields_at_their_limits_are_accepted(api):
    body = {"url": "https://a.example/", "title": "t" * 512, "text": "w " * 10_000, "headings": ["h" * 300] * 50,
            "selection": "s" * 2000, "description": "d" * 1000, "limit": 10}
    assert len(json.dumps(body)) < 64 * 1024
    assert api.post("/tips", json=body).status_code == 200


@PROPS
@given(text=st.text(alphabet=st.characters(categories=["Cs"]) | st.sampled_from("lesson email "), min_size=1,
                   max_size=20),
       field=st.sampled_from(["url", "title", "text", "selection", "role"]))
def test_unencodable_text_is_handled(api, text, field):
    """JSON may carry lone surrogates ("\\ud800"); they must never reach SQLite or the embedder as a 500."""
    url = f"https://{text}a.example/" if field == "url" else "https://a.example/"
    body = {"url": url} if field == "url" else {"url": url, field: text}
    raw = json.dumps(body)  # ensure_ascii: lone surrogates travel as \\udXXX escapes, valid JSON text
    response = api.post("/tips", data=raw, headers={"Content-Type": "application/json"})
    assert_handled(response)
    if field in ("title", "text", "selection"):
        assert response.status_code == 200, "a split emoji in page text must not cost the tip"


def test_split_emoji_in_headings_is_accepted(api):
    raw = json.dumps({"url": "https://a.example/", "headings": ["email filters \ud83d"], "text": "lesson \udfff"})
    assert api.post("/tips", data=raw, headers={"Content-Type": "application/json"}).status_code == 200
