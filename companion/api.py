"""The JSON API under /api/v1 (see openapi.py for the contract)."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from flask import Blueprint, jsonify, render_template, request

from .app import services
from .context import PageContext, salient_terms
from .events import utcnow
from .openapi import openapi_document
from .progress import learner_state, progress_report
from .validation import ApiError, events_request, require_object, tips_request

api = Blueprint("api", __name__)


def json_body():
    body = request.get_json(silent=True)
    if body is None:
        raise ApiError(400, "the request body must be valid JSON (Content-Type: application/json)")
    return body


def role_of(requested: str | None) -> str | None:
    """The learner's role: the one sent with the request (remembered), else the remembered one."""
    events = services().events
    if requested:
        if requested not in services().holder.index.roles:
            raise ApiError(400, "invalid tips request", [f"role: unknown role {requested!r}"])
        if events.get_profile("role") != requested:
            events.set_profile("role", requested)
        return requested
    return events.get_profile("role")


@api.get("/health")
def health():
    svc = services()
    index = svc.holder.index
    return jsonify({"ok": True, "lessons": len(index), "index_version": index.version, "model": index.model_id})


@api.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@api.post("/pair")
def pair():
    body = require_object(json_body())
    code = body.get("code")
    if not isinstance(code, str) or not re.fullmatch(r"[0-9]{6}", code):  # ASCII only: "١٢٣٤٥٦".isdigit()
        raise ApiError(400, "invalid pairing request", ["code: must be the 6 digits shown by `inflow pair`"])
    ok, why = services().pairing.redeem(code)
    if not ok:
        raise ApiError(403, why)
    return jsonify({"ok": True, "token": services().token})


@api.post("/tips")
def tips():
    svc = services()
    fields = tips_request(json_body())
    index = svc.holder.index
    ctx = PageContext(url=fields["url"], title=fields["title"], text=fields["text"], selection=fields["selection"],
                      headings=fields["headings"], description=fields["description"])
    now = utcnow()
    request_id = uuid.uuid4().hex
    if svc.events.shown_since(now - dt.timedelta(hours=1)) >= svc.settings.tips_per_hour:
        return jsonify({"request_id": request_id, "tips": [], "reason": "fatigue: enough tips this hour"})
    learner = learner_state(svc.events, index, role_of(fields["role"]), now, svc.settings.dismiss_days,
                            svc.settings.snooze_days, ctx.host)
    found = svc.ranker.rank(index, ctx, limit=fields["limit"], learner=learner)
    if not found and svc.settings.record_gaps:
        svc.events.record_gap(ctx.host, salient_terms(ctx.title, limit=8))
    return jsonify({"request_id": request_id, "tips": [tip.as_json() for tip in found]})


def lesson_or_404(lesson_id: str) -> dict:
    lesson = services().holder.index.detail(lesson_id) if len(lesson_id) <= 128 else None
    if lesson is None:
        raise ApiError(404, f"unknown lesson {lesson_id!r}")
    return lesson


@api.get("/lessons/<lesson_id>")
def lesson(lesson_id: str):
    found = lesson_or_404(lesson_id)
    check = found["check"]
    return jsonify({
        "id": found["id"], "title": found["title"], "summary": found["summary"], "html": found["html"],
        "minutes": found["minutes"], "level": found["level"], "skills": found["skills"],
        "apps": found["apps"], "links": found["links"],
        "check": {"question": check["question"], "options": check["options"]} if check else None,
    })


@api.post("/lessons/<lesson_id>/check")
def check_answer(lesson_id: str):
    check = lesson_or_404(lesson_id)["check"]
    if not check:
        raise ApiError(404, f"lesson {lesson_id!r} has no knowledge check")
    answer = require_object(json_body()).get("answer")
    if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(check["options"]):
        raise ApiError(400, "invalid answer", [f"answer: must be an option index from 0 to {len(check['options']) - 1}"])
    return jsonify({"correct": answer == check["answer"], "explanation": check["explanation"]})


@api.post("/events")
def events():
    svc = services()
    index = svc.holder.index
    batch = events_request(json_body(), lambda lesson_id: lesson_id in index.row_of, utcnow())
    accepted, duplicates = svc.events.add(batch)
    return jsonify({"ok": True, "accepted": accepted, "duplicates": duplicates})


@api.get("/progress")
def progress():
    svc = services()
    return jsonify(progress_report(svc.events, svc.holder.index, role_of(None), utcnow()))


@api.get("/roles")
def roles():
    index = services().holder.index
    return jsonify({"roles": [{"id": r["id"], "title": r["title"], "description": r["description"]}
                              for r in sorted(index.roles.values(), key=lambda r: r["title"])]})


@api.get("/dashboard")
def dashboard():
    svc = services()
    report = progress_report(svc.events, svc.holder.index, role_of(None), utcnow())
    return render_template("dashboard.html", report=report, lessons=len(svc.holder.index))
