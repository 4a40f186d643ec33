"""Context rules: which app a page belongs to, and how that moves each lesson up or down."""

from __future__ import annotations

from dataclasses import dataclass

from content_index.store import LessonIndex

from .context import PageContext, host_matches, path_matches


@dataclass(frozen=True)
class PageApps:
    """The app globs a page belongs to, and whether its host said so (else only its URL shape did)."""

    apps: frozenset[str]
    by_host: bool


def distinctive(pattern: str) -> bool:
    """A URL pattern with a literal path segment (``/browse/*``) can recognise an app on any host;
    an all-wildcard one (``/*/*``) cannot."""
    return any(segment and not any(c in segment for c in "*?[") for segment in pattern.split("/"))


class AppCatalog:
    """The distinct app globs and URL patterns of one index version, for per-request matching."""

    def __init__(self, index: LessonIndex):
        self.apps = frozenset(app for lesson in index.lessons for app in lesson["apps"])
        patterns: dict[str, set[str]] = {}
        for lesson in index.lessons:
            for pattern in filter(distinctive, lesson["url_patterns"]):
                patterns.setdefault(pattern, set()).update(lesson["apps"])
        self.pattern_apps = {p: frozenset(a) for p, a in patterns.items()}

    def page_apps(self, ctx: PageContext) -> PageApps:
        """Apps whose host globs match the page; on an unknown host, apps whose URL patterns match."""
        by_host = frozenset(app for app in self.apps if ctx.host and host_matches(ctx.host, app))
        if by_host:
            return PageApps(by_host, True)
        shaped = frozenset(app for p, apps in self.pattern_apps.items() if path_matches(ctx.path, p) for app in apps)
        return PageApps(shaped, False)


def context_bonus(lesson: dict, ctx: PageContext, page: PageApps, cfg, why: list[str]) -> float:
    """Boost lessons for the page's app (more for the right kind of page), demote other apps' lessons."""
    if not lesson["apps"] or not page.apps:
        return 0.0
    page_kind = any(path_matches(ctx.path, p) for p in lesson["url_patterns"])
    if not page.apps.intersection(lesson["apps"]):
        return -cfg.other_app_penalty
    if page.by_host:  # otherwise a self-hosted or enterprise install, recognised by its URL shape
        why.append(f"for {ctx.host}")
    if page_kind:
        why.append("for this kind of page")
        return cfg.app_boost + cfg.url_boost
    return cfg.app_boost - (cfg.url_boost if lesson["url_patterns"] else 0.0)
