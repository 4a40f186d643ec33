"""Rank micro-lessons for a page: dense passages + lexical evidence, context rules, skill gaps, threshold."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from content_index.embedder import Embedder
from content_index.examples import whole_page_text
from content_index.reranker import Reranker, lesson_text, page_text
from content_index.store import LessonIndex

from .context import PageContext, prose_first, prose_score, query_chunks, salient_terms, words
from .rules import AppCatalog, context_bonus

MAX_VOCABULARIES = 100_000  # lessons whose word sets are remembered


@dataclass
class RankingConfig:
    """Weights and limits; the defaults are tuned with ``inflow eval`` (see docs/relevance.md)."""

    candidates: int = 30
    chunk_weight: float = 0.7        # page side: w * best passage + (1 - w) * whole page
    situation_chunk_weight: float = 0.5  # the same for a lesson's situations (author-written moments it fits)
    situation_offset: float = 0.03   # a situation match counts this much less than a match with the lesson
    menu_penalty: float = 0.5        # taken off a passage's similarity in proportion to how un-sentence-like it is
    lexical_weight: float = 0.03     # bonus for the best BM25 match, relative to the query's top hit
    focus_lexical_weight: float = 1.0  # the selection / focused field's own BM25 hits, relative to the page's
    app_boost: float = 0.05          # the lesson names this host in `apps`
    url_boost: float = 0.03          # …and this page's path in `url_patterns`
    other_app_penalty: float = 0.10  # the host belongs to other lessons' apps, not this one's
    title_boost: float = 0.03        # a word of the page title names the lesson (title or keywords)
    skill_boost: float = 0.02        # per level of the learner's gap in one of the lesson's skills
    threshold: float = 0.41          # no tip at all unless one lesson's relevance reaches this
    follower_margin: float = 0.10    # once one does, others within this margin below may join it
    max_tips: int = 3
    # With the reranker (``content_index.reranker``) the decision is its fit instead of the threshold:
    rerank_candidates: int = 4       # the first stage's best few are read again, page and lesson together
    rerank_gate: float = 0.36        # ...when the first stage's best relevance reaches at least this
    rerank_bar: float = -1.8         # and a tip needs a fit (log-odds against "no tip") of at least this
    # Example pages (``content/examples``) add to a read lesson's fit, in log-odds:
    example_weight: float = 10.0     # x (closeness of the lesson's nearest example page - the offset)
    example_offset: float = 0.5
    no_tip_example_weight: float = 5.0  # x how much closer the nearest no-tip example page is
    classifier_weight: float = 2.0   # x (the example classifier's log-odds, lesson's example vs no-tip page
    classifier_offset: float = 1.0   #    + this: no-tip pages outnumber any one lesson's examples),
    classifier_floor: float = -1.0   # but at least this: it counts fully for a lesson, only a little against it
    example_nominees: int = 2        # the classifier's best lessons are read even if the first stage missed them
    nominee_log_odds: float = 1.0    # ...when it takes the page for their example, not a no-tip page, at these log-odds


def reranker_page_text(ctx: PageContext) -> str:
    """The page as the reranker reads it: title, place and headings, then the page text with its most
    sentence-like windows first (the person's own words are often at the end, after the menus)."""
    return page_text(ctx, prose_first(ctx.text))


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
    def __init__(self, embedder: Embedder, config: RankingConfig | None = None, reranker: Reranker | None = None):
        self.embedder = embedder
        self.config = config or RankingConfig()
        self.reranker = reranker
        self._app_catalog: AppCatalog | None = None
        self._vocabularies: dict[int, frozenset[str]] = {}
        self._cached_for = ""

    def rank(self, index: LessonIndex, ctx: PageContext, limit: int | None = None,
             learner: Learner | None = None) -> list[Tip]:
        """At most ``limit`` tips above the threshold, best first, each with reasons."""
        cfg = self.config
        learner = learner or Learner()
        limit = limit or cfg.max_tips
        if not len(index):
            return []
        chunks = query_chunks(ctx)
        whole = whole_page_text(ctx)
        if not whole.strip():
            return []
        vectors = self.embedder.embed([text for text, _ in chunks] + [whole])
        log_odds = index.example_log_odds(ctx, vectors[-1]) if self.reranker is not None else {}
        nominees = self._nominees(log_odds)
        dense = self._dense_scores(index, vectors, chunks, nominees)
        terms = salient_terms(" ".join([ctx.selection, ctx.title, " ".join(ctx.headings), ctx.text]))
        lexical = {hit.row: hit.score for hit in index.lexical(" ".join(terms), cfg.candidates)}
        top_lexical = max(lexical.values(), default=0.0)
        if ctx.selection:
            lexical = self._add_focus_lexical(index, ctx.selection, lexical)
        title_terms = salient_terms(ctx.title)
        page_apps = self._catalog(index).page_apps(ctx)
        scored: list[tuple[int, Tip]] = []
        best_confidence = float("-inf")
        for row, semantic in dense.items():
            lesson = index.lessons[row]
            if lesson["id"] in learner.suppressed:
                continue
            relevance = semantic
            if top_lexical > 0 and row in lexical:
                relevance += cfg.lexical_weight * lexical[row] / top_lexical
            why: list[str] = []
            bonus = context_bonus(lesson, ctx, page_apps, cfg, why)
            if title_terms and not self._vocabulary(index, row).isdisjoint(title_terms):
                bonus += cfg.title_boost
            confidence = relevance + bonus
            if confidence < cfg.threshold - cfg.follower_margin and row not in nominees:
                continue
            best_confidence = max(best_confidence, confidence)
            bonus += self._skill_bonus(lesson, learner, why)
            scored.append((row, Tip(lesson["id"], lesson["title"], lesson["summary"], relevance + bonus, why)))
        scored.sort(key=lambda pair: pair[1].score, reverse=True)
        if self.reranker is not None:
            if ((best_confidence < cfg.rerank_gate and not nominees)
                    or not self._rerank(index, ctx, vectors[-1], log_odds, nominees, scored)):
                return []
        elif best_confidence < cfg.threshold:
            return []
        tips = []
        for row, tip in scored[:limit]:
            matched = [t for t in terms if t in self._vocabulary(index, row)][:3]
            if matched:
                tip.why.insert(0, "matches " + ", ".join(matched))
            tips.append(tip)
        return tips

    def _nominees(self, log_odds: dict[int, float]) -> set[int]:
        """The lesson rows whose example pages the classifier takes this page for, rather than a no-tip page."""
        cfg = self.config
        best = sorted(log_odds, key=log_odds.__getitem__, reverse=True)[: cfg.example_nominees]
        return {row for row in best if log_odds[row] >= cfg.nominee_log_odds}

    def _head(self, scored: list[tuple[int, Tip]], nominees: set[int]) -> list[tuple[int, Tip]]:
        """Move the lessons to read again to the front of ``scored``: the first stage's best few and the
        classifier's nominees. Returns them."""
        cut = self.config.rerank_candidates
        head = scored[:cut] + [pair for pair in scored[cut:] if pair[0] in nominees]
        scored[:] = head + [pair for pair in scored[cut:] if pair[0] not in nominees]
        return head

    def _rerank(self, index: LessonIndex, ctx: PageContext, page_vector: np.ndarray, log_odds: dict[int, float],
                nominees: set[int], scored: list[tuple[int, Tip]]) -> bool:
        """Reorder ``scored`` (best first) by the reranker's fit, and say whether the best fit clears the bar.

        The first stage's best few, and the example classifier's nominees, are read again with the page;
        their fit is the reranker's own score, the evidence of the example pages, and its learnt weight on
        the first-stage relevance.
        Lessons after them are taken to fit no better than the least fitting of the few, so the order
        stays consistent. Each tip's score becomes the probability that it fits better than no tip.
        """
        cfg, reranker = self.config, self.reranker
        head = self._head(scored, nominees)
        if not head:
            return False
        page = reranker_page_text(ctx)
        own = reranker.score([lesson_text(index.lessons[row]) for row, _ in head], page)
        own = own + self._example_evidence(index, page_vector, log_odds, head)
        weight, floor = reranker.first_stage_weight, float(own.min())
        fits = [(own[i] if i < len(head) else floor) + weight * tip.score for i, (_, tip) in enumerate(scored)]
        for (_, tip), fit in zip(scored, fits):
            tip.score = float(1 / (1 + np.exp(-fit)))
        scored.sort(key=lambda pair: pair[1].score, reverse=True)
        return max(fits) >= cfg.rerank_bar

    def _example_evidence(self, index: LessonIndex, page_vector: np.ndarray, log_odds: dict[int, float],
                          head: list[tuple[int, Tip]]) -> np.ndarray:
        """Log-odds from the example pages: a page close to a lesson's examples fits it better, one closer
        to a no-tip example than to the lesson's fits it worse, and the classifier's log-odds that it is
        one of the lesson's examples rather than a no-tip page count; nothing for a lesson without examples."""
        cfg = self.config
        nearest, no_tip = index.example_matches(page_vector)
        evidence = np.zeros(len(head), dtype=np.float32)
        for i, (row, tip) in enumerate(head):
            if np.isfinite(nearest[row]):
                evidence[i] = (cfg.example_weight * (nearest[row] - cfg.example_offset)
                               - cfg.no_tip_example_weight * max(0.0, no_tip - nearest[row]))
            if row in log_odds:
                evidence[i] += max(cfg.classifier_weight * (log_odds[row] + cfg.classifier_offset), cfg.classifier_floor)
            if evidence[i] > 0:
                tip.why.append("like the pages this lesson was written for")
        return evidence

    def _dense_scores(self, index: LessonIndex, vectors: np.ndarray, chunks: list[tuple[str, bool]],
                      nominees: set[int]) -> dict[int, float]:
        """Blend of each candidate's best-matching passage and its match with the whole page.

        A passage of page text that reads like menu labels rather than a sentence counts for less
        (the selection or focused field is a ``fixed`` passage and keeps its full weight). A lesson
        with situations scores the better of its own match and its situations' match.
        """
        cfg = self.config
        rows = index.candidates(vectors, cfg.candidates)
        rows += sorted(nominees.difference(rows))
        if not rows:
            return {}
        penalty = np.array([[0.0 if fixed else cfg.menu_penalty * (1 - prose_score(c))] for c, fixed in chunks])

        def blend(sims: np.ndarray, weight: float) -> np.ndarray:
            best_chunk = (sims[: len(chunks)] - penalty).max(axis=0) if chunks else sims[-1]
            return weight * best_chunk + (1 - weight) * sims[-1]

        dense = blend(index.similarities(vectors, rows), cfg.chunk_weight)
        has = index.has_situations[rows]
        if has.any():
            situations = index.situation_similarities(vectors, np.asarray(rows)[has])
            dense[has] = np.maximum(dense[has], blend(situations, cfg.situation_chunk_weight) - cfg.situation_offset)
        return {row: float(score) for row, score in zip(rows, dense)}

    def _catalog(self, index: LessonIndex) -> AppCatalog:
        self._follow(index)
        return self._app_catalog

    def _vocabulary(self, index: LessonIndex, row: int) -> frozenset[str]:
        """The lower-cased words of a lesson's title, summary and keywords (remembered per index version)."""
        self._follow(index)
        vocabulary = self._vocabularies.get(row)
        if vocabulary is None:
            lesson = index.lessons[row]
            vocabulary = frozenset(w.lower() for w in words(" ".join([lesson["title"], lesson["summary"],
                                                                     *lesson["keywords"]])))
            if len(self._vocabularies) >= MAX_VOCABULARIES:
                self._vocabularies.clear()
            self._vocabularies[row] = vocabulary
        return vocabulary

    def _follow(self, index: LessonIndex) -> None:
        """Drop what was derived from an earlier index version."""
        if self._cached_for != index.version:
            self._app_catalog, self._vocabularies, self._cached_for = AppCatalog(index), {}, index.version

    def _add_focus_lexical(self, index: LessonIndex, focus: str, lexical: dict[int, float]) -> dict[int, float]:
        """What the person typed or selected is the sharpest evidence: its BM25 hits count on top."""
        hits = index.lexical(" ".join(salient_terms(focus)), self.config.candidates)
        top = max((hit.score for hit in hits), default=0.0)
        top_page = max(lexical.values(), default=0.0) or 1.0
        merged = dict(lexical)
        for hit in hits:
            merged[hit.row] = merged.get(hit.row, 0.0) + self.config.focus_lexical_weight * top_page * hit.score / top
        return merged

    def _skill_bonus(self, lesson: dict, learner: Learner, why: list[str]) -> float:
        gaps = [(learner.gaps[s], s) for s in lesson["skills"] if learner.gaps.get(s, 0) > 0]
        if not gaps:
            return 0.0
        gap, skill = max(gaps)
        role = f" as {learner.role_title}" if learner.role_title else ""
        why.append(f"builds {skill.replace('-', ' ')}, a skill you need{role}")
        return self.config.skill_boost * gap
