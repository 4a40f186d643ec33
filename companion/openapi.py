"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from functools import cache

from . import __version__
from .events import EVENT_TYPES


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _ok(description: str, schema: dict | None = None, media: str = "application/json") -> dict:
    responses = {"200": {"description": description, "content": {media: {"schema": schema or {"type": "object"}}}}}
    responses["4XX"] = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return responses


def _string(max_length: int) -> dict:
    return {"type": "string", "maxLength": max_length}


TIPS_REQUEST = {
    "type": "object",
    "required": ["url"],
    "additionalProperties": False,
    "properties": {
        "url": _string(2048), "title": _string(512), "text": _string(20000), "selection": _string(2000),
        "description": _string(1000), "role": _string(64),
        "headings": {"type": "array", "maxItems": 50, "items": _string(300)},
        "limit": {"type": "integer", "minimum": 1, "maximum": 10},
    },
}
EVENT = {
    "type": "object",
    "required": ["id", "type", "lesson_id"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"},
        "type": {"enum": list(EVENT_TYPES)},
        "lesson_id": {"type": "string"},
        "request_id": {"type": "string"},
        "ts": {"type": "string", "format": "date-time"},
        "host": {"type": "string"},
        "value": {"type": "number"},
    },
}
TIP = {
    "type": "object",
    "properties": {
        "lesson_id": {"type": "string"}, "title": {"type": "string"}, "summary": {"type": "string"},
        "score": {"type": "number"}, "why": {"type": "array", "items": {"type": "string"}},
    },
}
LESSON_ID = [{"name": "lesson_id", "in": "path", "required": True, "schema": {"type": "string"}}]


@cache
def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Inflow companion", "version": __version__,
                 "description": "Local API on 127.0.0.1 for the Inflow browser extension."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/health": {"get": {"summary": "Liveness, lesson count, index version", "security": [],
                                "responses": _ok("Service status")}},
            "/openapi.json": {"get": {"summary": "This document", "security": [], "responses": _ok("OpenAPI")}},
            "/pair": {"post": {"summary": "Trade a one-time pairing code for the API token", "security": [],
                               "requestBody": _body({"type": "object", "required": ["code"],
                                                     "properties": {"code": {"type": "string", "pattern": "^[0-9]{6}$"}}}),
                               "responses": _ok("The token")}},
            "/tips": {"post": {"summary": "Tips for a page context (empty when nothing fits)",
                               "requestBody": _body(TIPS_REQUEST),
                               "responses": _ok("Tips", {"type": "object", "properties": {
                                   "request_id": {"type": "string"}, "tips": {"type": "array", "items": TIP}}})}},
            "/lessons/{lesson_id}": {"get": {"summary": "One lesson with sanitised HTML and its check",
                                             "parameters": LESSON_ID, "responses": _ok("The lesson")}},
            "/lessons/{lesson_id}/check": {"post": {"summary": "Answer the lesson's knowledge check",
                                                    "parameters": LESSON_ID,
                                                    "requestBody": _body({"type": "object", "required": ["answer"],
                                                                          "properties": {"answer": {"type": "integer"}}}),
                                                    "responses": _ok("Whether the answer is right")}},
            "/events": {"post": {"summary": "Record learning events (idempotent on id)",
                                 "requestBody": _body({"type": "object", "required": ["events"], "properties": {
                                     "events": {"type": "array", "minItems": 1, "maxItems": 500, "items": EVENT}}}),
                                 "responses": _ok("Counts of accepted and duplicate events")}},
            "/progress": {"get": {"summary": "Skills, evidence and due reinforcements", "responses": _ok("Progress")}},
            "/roles": {"get": {"summary": "Role profiles", "responses": _ok("Roles")}},
            "/dashboard": {"get": {"summary": "Progress as an HTML page",
                                   "responses": _ok("Dashboard", {"type": "string"}, "text/html")}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "required": ["ok", "status", "error"], "properties": {
                "ok": {"const": False}, "status": {"type": "integer"}, "error": {"type": "string"},
                "errors": {"type": "array", "items": {"type": "string"}}}}},
        },
    }
