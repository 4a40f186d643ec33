"""The reranker: a cross-encoder that reads the page and one lesson together and says how well they fit.

The first stage (dense passages + lexical + context rules, ``companion.ranking``) finds the few likely
lessons; this model then sees the page's words and the lesson's words in one pass, so it can weigh
"the draft is about an outage" against "the lesson is about incident updates" in a way two separate
vectors cannot. It is the bundled all-MiniLM-L6-v2 with a second LoRA adapter folded in
(``content_index/reranker``, trained by ``scripts/train_reranker.py``), mean pooled into one linear
score. It runs on the same int8 ONNX export as the embedder, so serving never imports torch.
"""

from __future__ import annotations

import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Sequence
from urllib.parse import urlsplit

import numpy as np

from .embedder import bundled_model_path
from .onnx_embedder import ensure_exported, load_session, pooled_vector, shared_word_embeddings

log = logging.getLogger(__name__)
MAX_PAIR_TOKENS = 192  # lesson + page; the page side is cut to fit


def bundled_reranker_path() -> Path:
    """The reranker's LoRA adapter and scoring head, shipped with Inflow."""
    return Path(__file__).with_name("reranker")


def page_text(ctx, body: str | None = None) -> str:
    """The page (a ``companion.context.PageContext``) as the reranker reads it: the most specific parts
    first, then ``body`` (the page text, or a reordering of it), cut at the token limit."""
    parts = urlsplit(ctx.url or "")
    place = (parts.hostname or "") + (parts.path or "")
    body = ctx.text if body is None else body
    return " | ".join(p for p in (ctx.selection, ctx.title, place, " ".join(ctx.headings[:6]), body) if p)


def lesson_text(lesson: dict) -> str:
    """A lesson as the reranker reads it: title, summary and keywords."""
    keywords = ", ".join(lesson.get("keywords") or [])
    return f"{lesson['title']}. {lesson['summary']}".strip() + (f" ({keywords})" if keywords else "")


class Reranker:
    """Scores (lesson, page) pairs with the int8 cross-encoder: one pair per inference call, on
    ``workers`` threads; the last ``remembered`` pairs are kept, so asking again for a page is free."""

    def __init__(self, adapter: Path | None = None, cache_root: Path | None = None, workers: int = 2,
                 remembered: int = 4096):
        self.adapter = Path(adapter or bundled_reranker_path())
        head = json.loads((self.adapter / "head.json").read_text())
        self.weights = np.asarray(head["weights"], dtype=np.float32)
        self.bias = float(head["bias"])
        self.first_stage_weight = float(head["first_stage_weight"])
        folder = ensure_exported(bundled_model_path(), cache_root, self.adapter)
        self.session, self.tokenizer = load_session(folder, shared=shared_word_embeddings(bundled_model_path()))
        self.tokenizer.enable_truncation(MAX_PAIR_TOKENS, strategy="only_second")
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="rerank") if workers > 1 else None
        self._pair = lru_cache(maxsize=remembered)(self._score_pair)

    def _score_pair(self, lesson: str, page: str) -> float:
        encoding = self.tokenizer.encode(lesson, page)
        return float(pooled_vector(self.session, encoding) @ self.weights) + self.bias

    def score(self, lessons: Sequence[str], page: str) -> np.ndarray:
        """One score per lesson text for this page text: a logit, before the first-stage term is added."""
        runs = (self.pool.map(self._pair, lessons, [page] * len(lessons)) if self.pool and len(lessons) > 1
                else (self._pair(lesson, page) for lesson in lessons))
        return np.fromiter(runs, dtype=np.float32, count=len(lessons))


def load_reranker(model: str | None = None) -> Reranker | None:
    """The reranker that goes with the configured model (``--model`` / ``INFLOW_MODEL``): the bundled
    model's, on ONNX Runtime; None for ``fake`` or a model folder of one's own, or if it cannot load."""
    name = model or os.environ.get("INFLOW_MODEL") or "onnx"
    if name not in ("onnx", "torch") or not (bundled_reranker_path() / "head.json").is_file():
        return None
    try:
        return Reranker()
    except (ImportError, OSError) as error:
        log.warning("reranker unavailable (%s); ranking with the first stage alone", error)
        return None
