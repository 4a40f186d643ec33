"""``inflow eval``: run a BEIR-layout query set through the same ranking as ``/tips`` and score it."""

from __future__ import annotations

import csv
import json
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

from content_index.build import publish_content
from content_index.embedder import Embedder
from content_index.examples import load_examples
from content_index.lessons import Content, Lesson, ValidationError, load_content
from content_index.reranker import Reranker
from content_index.store import IndexStore, LessonIndex

from .context import PageContext
from .ranking import Ranker, RankingConfig

CUTOFF = 10


@dataclass
class Query:
    id: str
    context: PageContext
    relevant: dict[str, int]  # doc id -> grade; empty for "no tip" queries


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def corpus_as_content(path: Path) -> Content:
    """BEIR corpus documents as lessons: title + text, searchable like any lesson."""
    lessons = []
    for doc in read_jsonl(path):
        title = (doc.get("title") or "").strip()
        text = doc.get("text", "").strip()
        lessons.append(Lesson(id=doc["_id"], title=title or text[:80], summary="", body=text))
    return Content(lessons, [])


def page_context(record: dict) -> PageContext:
    """The page a BEIR query record describes: its text, and title, URL, headings, selection from metadata."""
    meta = record.get("metadata") or {}
    return PageContext(url=meta.get("url", ""), title=meta.get("title", ""), text=record.get("text", ""),
                       headings=meta.get("headings", []), selection=meta.get("selection", ""))


def load_queries(dataset: Path) -> list[Query]:
    relevant: dict[str, dict[str, int]] = {}
    with (dataset / "qrels" / "test.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if int(row["score"]) > 0:
                relevant.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    queries = []
    for q in read_jsonl(dataset / "queries.jsonl"):
        queries.append(Query(q["_id"], page_context(q), relevant.get(q["_id"], {})))
    return queries


def load_labelled_pages(folder: Path) -> list[Query]:
    """Example pages (``content/examples``, see ``content_index.examples``) as labelled queries: the
    first listed lesson graded 2, any others 1, none for a no-tip page."""
    examples, problems = load_examples(sorted(Path(folder).glob("*.jsonl")))
    if problems:
        raise ValidationError(problems)
    return [Query(e.id, PageContext(url=e.url, title=e.title, text=e.text, headings=e.headings, selection=e.selection),
                  {lesson: 2 if n == 0 else 1 for n, lesson in enumerate(e.lessons)}) for e in examples]


def dcg(grades: list[int]) -> float:
    return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def score(queries: list[Query], results: dict[str, list[str]]) -> dict:
    """nDCG@10, MRR@10, P@1, Recall@10 over queries with relevant docs; no-tip rate over the others."""
    positives = [q for q in queries if q.relevant]
    negatives = [q for q in queries if not q.relevant]
    totals = {"ndcg@10": 0.0, "mrr@10": 0.0, "p@1": 0.0, "recall@10": 0.0}
    for q in positives:
        ranked = results.get(q.id, [])[:CUTOFF]
        grades = [q.relevant.get(doc, 0) for doc in ranked]
        ideal = dcg(sorted(q.relevant.values(), reverse=True)[:CUTOFF])
        totals["ndcg@10"] += dcg(grades) / ideal
        totals["mrr@10"] += next((1 / (i + 1) for i, g in enumerate(grades) if g), 0.0)
        totals["p@1"] += 1.0 if grades and grades[0] else 0.0
        totals["recall@10"] += sum(1 for g in grades if g) / len(q.relevant)
    metrics = {k: round(v / len(positives), 4) if positives else None for k, v in totals.items()}
    silent = sum(1 for q in negatives if not results.get(q.id))
    metrics["no_tip_rate"] = round(silent / len(negatives), 4) if negatives else None
    metrics["queries"] = len(positives)
    metrics["negatives"] = len(negatives)
    return metrics


def build_eval_index(dataset: Path, lessons: Path | None, embedder: Embedder, workdir: Path,
                     cache: Path | None = None) -> LessonIndex:
    """Index the dataset's corpus (or, without one, the given lesson folder) in ``workdir``."""
    corpus = dataset / "corpus.jsonl"
    content = corpus_as_content(corpus) if corpus.is_file() and lessons is None else load_content(lessons)
    store = IndexStore(workdir / "index", cache_path=cache)
    publish_content(content, store, embedder)
    return LessonIndex(store.current_dir())


def run_queries(index: LessonIndex, ranker: Ranker, queries: list[Query]) -> dict[str, list[str]]:
    return {q.id: [tip.lesson_id for tip in ranker.rank(index, q.context, limit=CUTOFF)] for q in queries}


def evaluate(dataset: Path, embedder: Embedder, lessons: Path | None = None,
             config: RankingConfig | None = None, cache: Path | None = None, reranker: Reranker | None = None) -> dict:
    """Index, rank every query, and return the metrics object printed by ``inflow eval --json``."""
    queries = load_queries(dataset)
    with tempfile.TemporaryDirectory(prefix="inflow-eval-") as workdir:
        index = build_eval_index(dataset, lessons, embedder, Path(workdir), cache)
        return score(queries, run_queries(index, Ranker(embedder, config, reranker), queries))
