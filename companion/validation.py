"""Request body checks with clear messages: every problem of a body is reported, nothing is stored."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from .events import EVENT_TYPES, parse_ts

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
HOSTNAME = re.compile(r"^[a-z0-9.-]{1,253}(:\d{1,5})?$|^\[[0-9a-f:]+\](:\d{1,5})?$")
MAX_EVENTS = 500
# JSON may escape lone UTF-16 surrogates (the extension's String.slice can split an emoji); Python keeps them
# in str, and SQLite or .encode() then fail. Free text gets U+FFFD instead of a 500.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class ApiError(Exception):
    """An HTTP error with a message and, for invalid bodies, every problem found."""

    def __init__(self, status: int, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []


def _string(body: dict, name: str, max_len: int, errors: list[str], required: bool = False) -> str:
    value = body.get(name)
    if value is None:
        if required:
            errors.append(f"{name}: is required")
        return ""
    if not isinstance(value, str):
        errors.append(f"{name}: must be a string")
        return ""
    if len(value) > max_len:
        errors.append(f"{name}: is {len(value)} characters; at most {max_len} allowed")
        return ""
    return LONE_SURROGATE.sub("\ufffd", value)


def require_object(body: Any) -> dict:
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return body


def check_unknown(body: dict, allowed: set[str], errors: list[str], where: str = "") -> None:
    for key in sorted(set(body) - allowed):
        errors.append(f"{where}{key}: unknown field")


def tips_request(body: Any) -> dict:
    """Validated ``POST /tips`` fields."""
    body = require_object(body)
    errors: list[str] = []
    check_unknown(body, {"url", "title", "text", "selection", "headings", "description", "role", "limit"}, errors)
    out = {
        "url": _string(body, "url", 2048, errors, required=True),
        "title": _string(body, "title", 512, errors),
        "text": _string(body, "text", 20_000, errors),
        "selection": _string(body, "selection", 2_000, errors),
        "description": _string(body, "description", 1_000, errors),
        "role": _string(body, "role", 64, errors) or None,
    }
    if out["url"] and not re.match(r"^https?://[^\s/]+", out["url"]):
        errors.append("url: must be an http(s) URL")
    headings = body.get("headings", [])
    if not isinstance(headings, list) or len(headings) > 50 or not all(
        isinstance(h, str) and len(h) <= 300 for h in headings
    ):
        errors.append("headings: must be a list of at most 50 strings of at most 300 characters")
        headings = []
    out["headings"] = [LONE_SURROGATE.sub("\ufffd", h) for h in headings]
    limit = body.get("limit", None)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10):
        errors.append("limit: must be a whole number from 1 to 10")
    out["limit"] = limit
    if errors:
        raise ApiError(400, "invalid tips request", errors)
    return out


def _event(event: Any, number: int, known_lesson, now: dt.datetime, errors: list[str]) -> dict | None:
    where = f"events[{number}]."
    if not isinstance(event, dict):
        errors.append(f"events[{number}]: must be an object")
        return None
    before = len(errors)
    check_unknown(event, {"id", "type", "lesson_id", "request_id", "ts", "host", "value"}, errors, where)
    event_id = event.get("id")
    if not isinstance(event_id, str) or not CLIENT_ID.match(event_id):
        errors.append(f"{where}id: must be a client id of 8-64 letters, digits, '-' or '_'")
    if event.get("type") not in EVENT_TYPES:
        errors.append(f"{where}type: must be one of {', '.join(EVENT_TYPES)}")
    lesson_id = event.get("lesson_id")
    if not isinstance(lesson_id, str) or not known_lesson(lesson_id):
        errors.append(f"{where}lesson_id: unknown lesson {lesson_id!r}")
    request_id = event.get("request_id")
    if request_id is not None and (not isinstance(request_id, str) or not CLIENT_ID.match(request_id)):
        errors.append(f"{where}request_id: must be an id of 8-64 letters, digits, '-' or '_'")
    host = event.get("host")
    if host is not None and (not isinstance(host, str) or not HOSTNAME.match(host)):
        errors.append(f"{where}host: must be a lower-case host name")
    value = event.get("value")
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)):
        errors.append(f"{where}value: must be a finite number")
    ts = event.get("ts")
    if ts is not None:
        try:
            moment = parse_ts(ts) if isinstance(ts, str) and len(ts) <= 40 else None
        except ValueError:
            moment = None
        if moment is None:
            errors.append(f"{where}ts: must be an ISO-8601 time")
        elif moment > now + dt.timedelta(days=1):
            errors.append(f"{where}ts: is in the future")
        else:
            ts = moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if len(errors) > before:
        return None
    return {"id": event_id, "type": event["type"], "lesson_id": lesson_id, "request_id": request_id,
            "host": host, "value": value, "ts": ts}


def events_request(body: Any, known_lesson, now: dt.datetime) -> list[dict]:
    """Validated ``POST /events`` batch; any bad event rejects the whole batch (nothing is stored)."""
    body = require_object(body)
    errors: list[str] = []
    check_unknown(body, {"events"}, errors)
    events = body.get("events")
    if not isinstance(events, list) or not events:
        raise ApiError(400, "invalid events batch", errors + ["events: must be a non-empty list"])
    if len(events) > MAX_EVENTS:
        raise ApiError(400, "invalid events batch", [f"events: at most {MAX_EVENTS} per request"])
    out = [_event(e, i, known_lesson, now, errors) for i, e in enumerate(events)]
    if errors:
        raise ApiError(400, "invalid events batch", errors)
    return out
