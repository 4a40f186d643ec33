"""Rank micro-lessons for a page: dense passages + lexical evidence, context rules, skill gaps, threshold."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from content_index.embedder import Embedder
from content_index.store import LessonIndex

from .context import PageContext, full_query, host_matches, path_matches, query_chunks, salient_terms, words


@dataclass
class RankingConfig:
    """Weights and limits; the defaults are tuned with ``inflow eval`` (see docs/relevance.md)."""

    candidates: int = 30
    head_weight: float = 0.5         # lesson side: weight of title + summary against the whole lesson
    chunk_weight: float = 0.5        # page side: w * best passage + (1 - w) * whole page
    lexical_weight: float = 0.03     # bonus for the best BM25 match, relative to the query's top hit
    app_boost: float = 0.05          # the lesson names this host in `apps`
    url_boost: float = 0.03          # …and this page's path in `url_patterns`
    other_app_penalty: float = 0.10  # the host belongs to other lessons' apps, not this one's
    skill_boost: float = 0.02        # per level of the learner's gap in one of the lesson's skills
    threshold: float = 0.35          # below this relevance, no tip
    max_tips: int = 3


@dataclass
class Tip:
    lesson_id: str
    title: str
    summary: str
    score: float
    why: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"lesson_id": self.lesson_id, "title": self.title, "summary": self.summary,
                "score": round(self.score, 4), "why": self.why}


@dataclass
class Learner:
    """What ranking needs to know about the person: skill gaps (skill -> levels missing) and suppressions."""

    gaps: dict[str, int] = field(default_factory=dict)
    role_title: str = ""
    suppressed: set[str] = field(default_factory=set)


class Ranker:
    def __init__(self, embedder: Embedder, config: RankingConfig | None = None):
        self.embedder = embedder
        self.config = config or RankingConfig()

    def rank(self, index: LessonIndex, ctx: PageContext, limit: int | None = None,
             learner: Learner | None = None) -> list[Tip]:
        """At most ``limit`` tips above the threshold, best first, each with reasons."""
        cfg = self.config
        learner = learner or Learner()
        limit = limit or cfg.max_tips
        if not len(index):
            return []
        chunks = query_chunks(ctx)
        whole = full_query(ctx)
        if not whole.strip():
            return []
        vectors = self.embedder.embed(chunks + [whole])
        dense = self._dense_scores(index, vectors, len(chunks))
        terms = salient_terms(" ".join([ctx.selection, ctx.title, " ".join(ctx.headings), ctx.text]))
        lexical = {hit.row: hit.score for hit in index.lexical(" ".join(terms), cfg.candidates)}
        top_lexical = max(lexical.values(), default=0.0)
        known_app_host = any(host_matches(ctx.host, app) for lesson in index.lessons for app in lesson["apps"])
        scored: list[Tip] = []
        for row, semantic in dense.items():
            lesson = index.lessons[row]
            if lesson["id"] in learner.suppressed:
                continue
            relevance = semantic
            if top_lexical > 0 and row in lexical:
                relevance += cfg.lexical_weight * lexical[row] / top_lexical
            why: list[str] = []
            bonus = self._context_bonus(lesson, ctx, known_app_host, why)
            if relevance + min(bonus, 0.0) < cfg.threshold:
                continue
            bonus += self._skill_bonus(lesson, learner, why)
            matched = self._matched_terms(lesson, terms)
            if matched:
                why.insert(0, "matches " + ", ".join(matched))
            scored.append(Tip(lesson["id"], lesson["title"], lesson["summary"], relevance + bonus, why))
        scored.sort(key=lambda tip: tip.score, reverse=True)
        return scored[:limit]

    def _dense_scores(self, index: LessonIndex, vectors: np.ndarray, n_chunks: int) -> dict[int, float]:
        """Blend of each candidate's best-matching passage and its match with the whole page."""
        rows = index.candidates(vectors, self.config.candidates)
        if not rows:
            return {}
        sims = index.similarities(vectors, rows, self.config.head_weight)
        best_chunk = sims[:n_chunks].max(axis=0) if n_chunks else sims[-1]
        weight = self.config.chunk_weight
        blended = weight * best_chunk + (1 - weight) * sims[-1]
        return {row: float(score) for row, score in zip(rows, blended)}

    def _context_bonus(self, lesson: dict, ctx: PageContext, known_app_host: bool, why: list[str]) -> float:
        cfg = self.config
        if not lesson["apps"] or not ctx.host:
            return 0.0
        if any(host_matches(ctx.host, app) for app in lesson["apps"]):
            why.append(f"for {ctx.host}")
            if lesson["url_patterns"] and any(path_matches(ctx.path, p) for p in lesson["url_patterns"]):
                why.append("for this kind of page")
                return cfg.app_boost + cfg.url_boost
            return cfg.app_boost if not lesson["url_patterns"] else cfg.app_boost - cfg.url_boost
        return -cfg.other_app_penalty if known_app_host else 0.0

    def _skill_bonus(self, lesson: dict, learner: Learner, why: list[str]) -> float:
        gaps = [(learner.gaps[s], s) for s in lesson["skills"] if learner.gaps.get(s, 0) > 0]
        if not gaps:
            return 0.0
        gap, skill = max(gaps)
        role = f" as {learner.role_title}" if learner.role_title else ""
        why.append(f"builds {skill.replace('-', ' ')}, a skill you need{role}")
        return self.config.skill_boost * gap

    @staticmethod
    def _matched_terms(lesson: dict, terms: list[str], most: int = 3) -> list[str]:
        vocabulary = {w.lower() for w in words(" ".join([lesson["title"], lesson["summary"], *lesson["keywords"]]))}
        return [t for t in terms if t in vocabulary][:most]
