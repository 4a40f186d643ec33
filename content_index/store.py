"""Versioned index directories: publish by atomic rename, keep the previous version, load for search."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
from threadpoolctl import threadpool_limits

from .example_classifier import FILE as CLASSIFIER_FILE, ExampleClassifier
from .render import render_html

KEEP_VERSIONS = 3
LIST_FIELDS = ("skills", "roles", "apps", "url_patterns", "keywords", "links", "situations")
FAISS_THREADS = min(2, os.cpu_count() or 1)  # HNSW searches a page's ~20 passages in parallel (1.8x at 200k)
BLAS_THREADS = 1  # per-request products are small, and a spare BLAS thread spins while the model runs
_search_thread = threading.local()
COMMON_SHARE = 0.2            # words in more than this share of lessons have a low BM25 IDF (< 1.6)
MAX_REMEMBERED_WORDS = 100_000


def limit_search_threads() -> None:
    """FAISS's OpenMP threads (a per-thread setting, so every server worker thread sets it on its first
    search) and numpy's BLAS threads (process-wide). A BLAS thread left spinning after a product
    slowed the next query embedding by 20 ms (docs/benchmarks.md)."""
    if not getattr(_search_thread, "limited", False):
        faiss.omp_set_num_threads(FAISS_THREADS)
        threadpool_limits(BLAS_THREADS, user_api="blas")
        _search_thread.limited = True


class IndexStore:
    """An index root: ``versions/<version>/``, a ``current`` link and the embedding cache."""

    def __init__(self, root: Path, cache_path: Path | None = None):
        self.root = Path(root)
        self.versions = self.root / "versions"
        self.current_link = self.root / "current"
        self.cache_path = cache_path or self.root / "embeddings.db"

    def staging_dir(self, version: str) -> Path:
        self.versions.mkdir(parents=True, exist_ok=True)
        for stale in self.root.glob(".staging-*"):
            shutil.rmtree(stale, ignore_errors=True)
        path = self.root / f".staging-{version}"
        path.mkdir()
        return path

    def current_dir(self) -> Path | None:
        """The published version directory in use, or None before the first build."""
        if not self.current_link.is_symlink():
            return None
        target = self.root / os.readlink(self.current_link)
        return target if (target / "manifest.json").is_file() else None

    def current_version(self) -> str | None:
        current = self.current_dir()
        return current.name if current else None

    def publish(self, staging: Path) -> Path:
        """Move a finished build into ``versions/`` and point ``current`` at it atomically."""
        final = self.versions / staging.name.removeprefix(".staging-")
        os.rename(staging, final)
        self._point_current(final)
        self._prune()
        return final

    def rollback(self) -> str:
        """Make the version before the current one current again; return its name."""
        current = self.current_version()
        older = [v for v in self.list_versions() if current is None or v < current]
        if not older:
            raise LookupError("no earlier index version to roll back to")
        self._point_current(self.versions / older[-1])
        return older[-1]

    def list_versions(self) -> list[str]:
        if not self.versions.is_dir():
            return []
        return sorted(p.name for p in self.versions.iterdir() if (p / "manifest.json").is_file())

    def _point_current(self, target: Path) -> None:
        tmp = self.root / f".current-{os.getpid()}-{threading.get_ident()}"
        if tmp.is_symlink():
            tmp.unlink()
        os.symlink(os.path.relpath(target, self.root), tmp)
        os.replace(tmp, self.current_link)

    def _prune(self) -> None:
        current = self.current_version()
        for name in self.list_versions()[:-KEEP_VERSIONS]:
            if name != current:
                shutil.rmtree(self.versions / name, ignore_errors=True)


def stored_vectors(index: faiss.Index) -> np.ndarray:
    """The raw vectors of a flat or HNSW-flat index as a read-only numpy view (no copy): gathering
    candidate rows from it takes microseconds, where ``reconstruct_batch`` took ~13 ms per request."""
    flat = faiss.downcast_index(index.storage) if isinstance(index, faiss.IndexHNSW) else index
    view = faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * flat.d).reshape(flat.ntotal, flat.d)
    view.flags.writeable = False
    return view


@dataclass
class Hit:
    row: int
    score: float


def query_words(text: str, max_terms: int = 48) -> list[str]:
    """The distinct words of ``text`` that a lexical query searches for, in order of appearance."""
    return list(dict.fromkeys(w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 1))[:max_terms]


def fts_query(text: str, max_terms: int = 48) -> str:
    """An FTS5 OR-query of the distinct words of ``text`` (quoted, so no syntax leaks in)."""
    return " OR ".join(f'"{w}"' for w in query_words(text, max_terms))


class LessonIndex:
    """One published index version loaded for search: FAISS vectors + SQLite metadata and FTS5."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.manifest = json.loads((self.directory / "manifest.json").read_text())
        self.version = self.manifest["version"]
        self.model_id = self.manifest["model"]
        self.vectors = faiss.read_index(str(self.directory / "vectors.faiss"))
        self.vector_matrix = stored_vectors(self.vectors)
        self.situations = faiss.read_index(str(self.directory / "situations.faiss"))
        self.situation_matrix = stored_vectors(self.situations)
        self._local = threading.local()
        self._frequencies: dict[str, int] = {}
        rows = self._db().execute(
            "SELECT row, id, title, summary, skills, roles, apps, url_patterns, keywords FROM lessons ORDER BY row"
        ).fetchall()
        self.lessons = [self._decode(dict(r)) for r in rows]
        self.row_of = {lesson["id"]: lesson["row"] for lesson in self.lessons}
        self.has_situations = np.zeros(len(self.lessons), dtype=bool)
        self.has_situations[[r[0] for r in self._db().execute("SELECT row FROM lessons WHERE situations != '[]'")]] = True
        self.roles = {
            r["id"]: {**dict(r), "skills": json.loads(r["skills"])}
            for r in self._db().execute("SELECT id, title, description, skills FROM roles")
        }
        self._load_examples()

    def _load_examples(self) -> None:
        """The example pages' vectors and labels (none in a version written before they existed)."""
        path = self.directory / "examples.faiss"
        self.examples, labels = faiss.IndexFlatIP(self.vectors.d), []
        if path.is_file():
            self.examples = faiss.read_index(str(path))
            labels = [json.loads(r[0]) for r in self._db().execute("SELECT lessons FROM examples ORDER BY row")]
        self.example_matrix = stored_vectors(self.examples)
        pairs = sorted((self.row_of[l], n) for n, lessons in enumerate(labels) for l in lessons if l in self.row_of)
        self._example_rows = np.array([n for _, n in pairs], dtype=np.int64)  # grouped by lesson row
        self._example_lessons, self._example_starts = np.unique(np.array([row for row, _ in pairs], dtype=np.int64),
                                                                return_index=True)
        self._no_tip_examples = np.array([n for n, lessons in enumerate(labels) if not lessons], dtype=np.int64)
        classifier = self.directory / CLASSIFIER_FILE
        self.example_classifier = ExampleClassifier(classifier, self.row_of) if classifier.is_file() else None

    def __len__(self) -> int:
        return len(self.lessons)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"file:{self.directory / 'lessons.db'}?mode=ro", uri=True, check_same_thread=False)
            db.row_factory = sqlite3.Row
            self._local.db = db
        return db

    @staticmethod
    def _decode(row: dict) -> dict:
        for key in LIST_FIELDS:
            if key in row and isinstance(row[key], str):
                row[key] = json.loads(row[key])
        return row

    def candidates(self, queries: np.ndarray, k: int) -> list[int]:
        """Rows among the ``k`` nearest of the queries, by lesson vector or by situations vector.

        An approximate (HNSW) index is searched per query. A flat index is scored exactly with one
        matrix product, keeping the ``k`` rows whose best query similarity is highest (the ranking weighs
        a lesson mostly by its best passage; eval figures moved by <= 0.002); a fifth of the time
        of a per-query search for a page's ~20 passages at 10k lessons. A row no query resembles at all
        (similarity <= 0, such as the zero situations vector of a lesson without any) is no candidate.
        """
        if not len(self):
            return []
        limit_search_threads()
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        k = min(k, len(self))
        rows: set[int] = set()
        searched = [(self.vectors, self.vector_matrix)]
        if self.has_situations.any():
            searched.append((self.situations, self.situation_matrix))
        for vectors, matrix in searched:
            if isinstance(vectors, faiss.IndexHNSW):
                _, found = vectors.search(queries, k)
                rows.update(int(r) for r in found.ravel() if r >= 0)
            else:
                best = (queries @ matrix.T).max(axis=0)
                rows.update(int(r) for r in np.argpartition(-best, k - 1)[:k] if best[r] > 0)
        return sorted(rows)

    def similarities(self, queries: np.ndarray, rows: list[int]) -> np.ndarray:
        """Cosine of each query with each lesson row (the direction between whole lesson and title + summary)."""
        return queries @ self.vector_matrix[np.asarray(rows, dtype=np.int64)].T

    def situation_similarities(self, queries: np.ndarray, rows: list[int]) -> np.ndarray:
        """Cosine of each query with each lesson row's situations; NaN for lessons without any."""
        ids = np.asarray(rows, dtype=np.int64)
        sims = queries @ self.situation_matrix[ids].T
        sims[:, ~self.has_situations[ids]] = np.nan
        return sims

    def example_log_odds(self, page, vector: np.ndarray) -> dict[int, float]:
        """Lesson row -> the example classifier's log-odds that this page (a ``PageContext`` and its
        whole-page vector) is one of the lesson's example pages rather than a no-tip one; lessons
        without examples are not in it (none are without a classifier)."""
        if self.example_classifier is None:
            return {}
        return self.example_classifier.log_odds(page, vector)

    def example_matches(self, page: np.ndarray) -> tuple[np.ndarray, float]:
        """How close the nearest example page of each lesson row is to this page (its whole-page vector;
        -inf for a lesson without examples), and how close the nearest no-tip example is (-inf: none)."""
        best = np.full(len(self), -np.inf, dtype=np.float32)
        if not len(self.example_matrix):
            return best, float("-inf")
        sims = self.example_matrix @ np.asarray(page, dtype=np.float32)
        if len(self._example_rows):
            best[self._example_lessons] = np.maximum.reduceat(sims[self._example_rows], self._example_starts)
        return best, float(sims[self._no_tip_examples].max(initial=float("-inf")))

    def dense(self, query: np.ndarray, k: int) -> list[Hit]:
        """The ``k`` lessons most similar to one normalised query vector."""
        rows = self.candidates(query.reshape(1, -1), k)
        if not rows:
            return []
        sims = self.similarities(query.reshape(1, -1), rows)[0]
        best = np.argsort(-sims)[:k]
        return [Hit(rows[i], float(sims[i])) for i in best]

    def lexical(self, text: str, k: int) -> list[Hit]:
        """Best FTS5 matches (BM25, title and keywords weighted up); score is -bm25 (higher is better).

        FTS5 scores every document matching any word, so a word found in many lessons makes most of
        them matches for little evidence (IDF below 1.6 in over a fifth of lessons, against ~9 for a
        rare word; 12 ms per 250-word page at 10k lessons, seconds at 1M). Such words are left out when
        the other words still find ``k`` lessons; otherwise the full query runs.
        """
        words = query_words(text)
        if not words:
            return []
        rare = [w for w in words if self._document_frequency(w) <= len(self) * COMMON_SHARE]
        hits = self._bm25(rare, k) if rare else []
        if len(hits) < k and len(rare) < len(words):
            hits = self._bm25(words, k)
        return hits

    def _bm25(self, words: list[str], k: int) -> list[Hit]:
        sql = (
            "SELECT rowid, -bm25(lessons_fts, 3.0, 2.0, 2.0, 1.0) AS score FROM lessons_fts "
            "WHERE lessons_fts MATCH ? ORDER BY score DESC LIMIT ?"
        )
        query = " OR ".join(f'"{w}"' for w in words)
        return [Hit(int(r), float(s)) for r, s in self._db().execute(sql, (query, k))]

    def _document_frequency(self, word: str) -> int:
        """How many lessons contain ``word`` (remembered per index version, bounded)."""
        count = self._frequencies.get(word)
        if count is None:
            sql = "SELECT count(*) FROM lessons_fts WHERE lessons_fts MATCH ?"
            count = self._db().execute(sql, (f'"{word}"',)).fetchone()[0]
            if len(self._frequencies) >= MAX_REMEMBERED_WORDS:
                self._frequencies.clear()
            self._frequencies[word] = count
        return count

    def detail(self, lesson_id: str) -> dict | None:
        """Every stored field of one lesson, or None."""
        row = self._db().execute("SELECT * FROM lessons WHERE id = ?", (lesson_id,)).fetchone()
        if row is None:
            return None
        lesson = self._decode(dict(row))
        lesson["check"] = json.loads(lesson.pop("check_json") or "null")
        lesson["html"] = render_html(lesson["body"])
        return lesson

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
