"""Flask app factory: settings, shared services, security hooks and the one JSON error shape."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException

from content_index.embedder import Embedder
from content_index.reranker import Reranker
from content_index.store import IndexStore

from .config import DEFAULT_PORT, Paths
from .events import EventStore
from .holder import IndexHolder
from .ranking import Ranker, RankingConfig
from .security import CHROMIUM_ORIGIN, Pairing, RateLimiter, allowed_hosts, load_or_create_token, tokens_match
from .validation import ApiError

MAX_BODY = 64 * 1024
OPEN_ROUTES = {"api.health", "api.pair", "api.openapi"}
log = logging.getLogger(__name__)


@dataclass
class Settings:
    data_dir: Path
    port: int = DEFAULT_PORT
    extra_origins: tuple[str, ...] = ()        # e.g. the Firefox extension's moz-extension:// origin
    ranking: RankingConfig = field(default_factory=RankingConfig)
    tips_per_hour: int = 12                    # fatigue cap on tips shown
    dismiss_days: int = 30
    snooze_days: int = 7
    retention_days: int = 365
    record_gaps: bool = False                  # keep redacted keywords of pages with no good tip
    requests_per_minute: int = 600
    pair_attempts_per_minute: int = 10

    @property
    def origins(self) -> set[str]:
        return {CHROMIUM_ORIGIN, *self.extra_origins}


@dataclass
class Services:
    settings: Settings
    holder: IndexHolder
    ranker: Ranker
    events: EventStore
    pairing: Pairing
    token: str
    limiter: RateLimiter
    pair_limiter: RateLimiter


def create_app(settings: Settings, embedder: Embedder, reranker: Reranker | None = None) -> Flask:
    """The companion app for one data folder (its index must have been built); ``reranker`` reads the
    first stage's best few lessons again with the page (``content_index.reranker``)."""
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY, JSON_SORT_KEYS=False)
    app.debug = False  # never debug mode, even with FLASK_DEBUG=1 in the environment
    paths = Paths(settings.data_dir)
    events = EventStore(paths.events)
    events.purge(settings.retention_days)
    app.extensions["inflow"] = Services(
        settings=settings,
        holder=IndexHolder(IndexStore(paths.index)),
        ranker=Ranker(embedder, settings.ranking, reranker),
        events=events,
        pairing=Pairing(paths.pairing),
        token=load_or_create_token(paths.token),
        limiter=RateLimiter(settings.requests_per_minute),
        pair_limiter=RateLimiter(settings.pair_attempts_per_minute),
    )

    from .api import api

    app.register_blueprint(api, url_prefix="/api/v1")
    app.before_request(guard)
    app.after_request(cors)
    app.register_error_handler(ApiError, lambda e: error_response(e.status, e.message, e.errors))
    app.register_error_handler(HTTPException, lambda e: error_response(e.code or 500, e.description or e.name))
    app.register_error_handler(Exception, internal_error)
    return app


def services() -> Services:
    from flask import current_app

    return current_app.extensions["inflow"]


def error_response(status: int, message: str, errors: list[str] | None = None):
    response = jsonify({"ok": False, "status": status, "error": message, "errors": errors or []})
    response.status_code = status
    return response


def internal_error(error: Exception):
    log.exception("unexpected error")
    return error_response(500, "internal error")


def guard():
    """Refuse rebinding Hosts, foreign Origins, missing tokens and floods — before any route runs."""
    svc = services()
    settings = svc.settings
    if request.host not in allowed_hosts(settings.port):
        raise ApiError(403, "unexpected Host header")
    origin = request.headers.get("Origin")
    if origin is not None and origin not in settings.origins:
        raise ApiError(403, "this origin may not use the companion")
    if request.method == "OPTIONS":
        return ("", 204)
    endpoint = request.endpoint or ""
    if endpoint == "api.pair" and not svc.pair_limiter.allow("pair"):
        raise ApiError(429, "too many pairing attempts; wait a minute")
    if endpoint not in OPEN_ROUTES:
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not tokens_match(presented.strip(), svc.token):
            raise ApiError(401, "missing or wrong token: pair the extension with `inflow pair`")
    if not svc.limiter.allow(endpoint):
        raise ApiError(429, "too many requests; slow down")
    g.services = svc
    return None


def cors(response):
    """Grant CORS to the extension's origin only; everyone else gets no grant at all."""
    origin = request.headers.get("Origin")
    if origin and origin in services().settings.origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Vary"] = "Origin"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
