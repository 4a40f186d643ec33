"""Build a search index version from a content folder and publish it atomically."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import faiss
import numpy as np
import sqlite_utils

from .cache import EmbeddingCache
from .embedder import Embedder
from .example_classifier import fit_example_classifier
from .examples import ExamplePage, whole_page_text
from .lessons import Content, Lesson, content_paths, load_content
from .render import render_html  # noqa: F401 (part of this module's interface)
from .store import IndexStore

# Exact search up to here: a /tips request searches ~20 query vectors in each index, 2.7 ms per index
# at 10k lessons but 70 ms at 100k; HNSW answers the same in ~1-2 ms up to 1M (docs/benchmarks.md).
APPROXIMATE_ABOVE = 20_000
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 80, 256  # recall sweep: docs/benchmarks.md
INDEX_FORMAT = 5  # part of every content fingerprint: a version written in another layout is rebuilt


@dataclass
class BuildResult:
    version: str
    lessons: int
    embedded: int
    seconds: float
    published: bool
    examples: int = 0

    @property
    def lessons_per_second(self) -> float:
        return self.lessons / self.seconds if self.seconds else 0.0


def content_hash(content: Content, model_id: str) -> str:
    digest = hashlib.sha256(f"{model_id}\0{INDEX_FORMAT}".encode())
    for lesson in sorted(content.lessons, key=lambda l: l.id):
        digest.update(json.dumps(lesson.__dict__ | {"path": ""}, sort_keys=True, default=str).encode())
    for role in sorted(content.roles, key=lambda r: r.id):
        digest.update(json.dumps(role.__dict__, sort_keys=True).encode())
    for example in content.examples:
        digest.update(json.dumps(example.__dict__, sort_keys=True).encode())
    return digest.hexdigest()


def approximate_threshold() -> int:
    """Lesson count above which the vector index is approximate (``INFLOW_APPROXIMATE_ABOVE`` overrides)."""
    return int(os.environ.get("INFLOW_APPROXIMATE_ABOVE") or APPROXIMATE_ABOVE)


def folder_signature(folder: Path, model_id: str, racy_seconds: float = 2.0) -> str | None:
    """A cheap fingerprint of a content folder (each file's path, size, inode and times), so an unchanged
    folder is recognised without parsing every lesson; None while a file was modified within the last
    ``racy_seconds`` (a same-size save in the same clock tick would otherwise go unnoticed)."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    lesson_paths, role_paths, example_paths = content_paths(folder)
    digest = hashlib.sha256(f"{model_id}\0{INDEX_FORMAT}\0{folder.resolve()}".encode())
    newest = 0
    for path in lesson_paths + role_paths + example_paths:
        stat = path.stat()
        newest = max(newest, stat.st_mtime_ns)
        digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_ino}\0{stat.st_mtime_ns}\0{stat.st_ctime_ns}\n".encode())
    if newest > time.time_ns() - racy_seconds * 1e9:
        return None
    return digest.hexdigest()


def make_vector_index(vectors: np.ndarray, approximate_above: int | None = None) -> faiss.Index:
    """Exact inner-product search, or HNSW (M=32, efSearch=256) above ``approximate_above`` vectors."""
    dim = vectors.shape[1]
    threshold = approximate_threshold() if approximate_above is None else approximate_above
    if len(vectors) > threshold:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(vectors)
    return index


def _lesson_row(row: int, lesson: Lesson) -> dict:
    return {
        "row": row,
        "id": lesson.id,
        "title": lesson.title,
        "summary": lesson.summary,
        "body": lesson.body,
        "skills": json.dumps(lesson.skills),
        "roles": json.dumps(lesson.roles),
        "apps": json.dumps(lesson.apps),
        "url_patterns": json.dumps(lesson.url_patterns),
        "keywords": json.dumps(lesson.keywords),
        "keyword_text": " ".join(lesson.keywords),
        "situations": json.dumps(lesson.situations),
        "level": lesson.level,
        "minutes": lesson.minutes,
        "owner": lesson.owner,
        "review_by": lesson.review_by,
        "check_json": json.dumps(lesson.check) if lesson.check else None,
        "links": json.dumps(lesson.links),
        "path": lesson.path,
    }


def situation_vectors(cache: EmbeddingCache, embedder: Embedder, lessons: list[Lesson]) -> np.ndarray:
    """One vector per lesson for its situations as one text; a zero row for a lesson without situations."""
    rows = [row for row, lesson in enumerate(lessons) if lesson.situations]
    vectors = np.zeros((len(lessons), embedder.dim), dtype=np.float32)
    if rows:
        vectors[rows], _ = cache.embed(embedder, [lessons[row].situation_text() for row in rows])
    return vectors


def write_example_index(directory: Path, cache: EmbeddingCache, embedder: Embedder, examples: list[ExamplePage],
                        previous: Path | None = None) -> None:
    """Embed (cache first) each example page as one passage, as a page is at query time: examples.faiss,
    and the classifier learnt from them (the ``previous`` version's, if it learnt the same pages)."""
    index = faiss.IndexFlatIP(embedder.dim)  # exact: a page is compared with every example
    if examples:
        vectors = cache.embed(embedder, [whole_page_text(example) for example in examples])[0]
        index.add(vectors)
        fit_example_classifier(vectors, examples, directory, previous)
    faiss.write_index(index, str(directory / "examples.faiss"))


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, path)


def write_vector_indexes(directory: Path, cache: EmbeddingCache, embedder: Embedder, lessons: list[Lesson],
                         progress: Callable[[int], None] | None = None) -> int:
    """Embed (cache first) and write vectors.faiss and situations.faiss into ``directory``; return how
    many whole-lesson texts were newly embedded.

    A lesson's vector is the normalised mean of its whole text's and its title + summary's embeddings
    (the head lifts clean-question nDCG from 0.946 to 0.964, docs/relevance.md). Its situations vector
    is zeros if it has none. At most two matrices are in memory at once: a rebuild runs inside the
    serving companion.
    """
    vectors, embedded = cache.embed(embedder, [l.search_text() for l in lessons], progress=progress)
    vectors += cache.embed(embedder, [l.head_text() for l in lessons])[0]
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    faiss.write_index(make_vector_index(vectors), str(directory / "vectors.faiss"))
    del vectors
    faiss.write_index(make_vector_index(situation_vectors(cache, embedder, lessons)), str(directory / "situations.faiss"))
    return embedded


def write_version(directory: Path, content: Content, manifest: dict) -> None:
    """Write lessons.db (metadata + FTS5) and then manifest.json into ``directory``."""
    conn = sqlite3.connect(directory / "lessons.db")
    conn.execute("PRAGMA journal_mode=OFF")  # a fresh staging file, published by rename: no journal and
    conn.execute("PRAGMA synchronous=OFF")   # no fsync per batch, one fsync of the finished file below
    db = sqlite_utils.Database(conn)
    db["lessons"].insert_all(
        (_lesson_row(i, lesson) for i, lesson in enumerate(content.lessons)), pk="row", batch_size=1000
    )
    if content.lessons:
        db["lessons"].create_index(["id"], unique=True)
    else:
        db["lessons"].create({"row": int, "id": str}, pk="row")
    db["lessons"].enable_fts(["title", "summary", "keyword_text", "body"], tokenize="porter", create_triggers=False)
    db["roles"].insert_all(
        ({"id": r.id, "title": r.title, "description": r.description, "skills": json.dumps(r.skills)}
         for r in content.roles),
        pk="id",
    )
    if not content.roles:
        db["roles"].create({"id": str, "title": str, "description": str, "skills": str}, pk="id", if_not_exists=True)
    db["examples"].create({"row": int, "id": str, "lessons": str}, pk="row")
    db["examples"].insert_all({"row": row, "id": example.id, "lessons": json.dumps(example.lessons)}
                              for row, example in enumerate(content.examples))
    conn.close()
    with open(directory / "lessons.db", "rb+") as handle:
        os.fsync(handle.fileno())
    write_json_atomic(directory / "manifest.json", manifest)


def build_index(
    content_dir: Path,
    store: IndexStore,
    embedder: Embedder,
    progress: Callable[[int, int], None] | None = None,
    force: bool = False,
) -> BuildResult:
    """Validate, embed (cache first), write a staging version and publish it.

    Raises ``ValidationError`` before touching the store when the content is invalid; any failure
    leaves the current version as it was. An unchanged content folder publishes nothing.
    """
    started = time.perf_counter()
    signature = folder_signature(content_dir, embedder.model_id)
    current = store.current_dir()
    if current and signature and not force:
        manifest = json.loads((current / "manifest.json").read_text())
        if manifest.get("folder_signature") == signature:
            return BuildResult(current.name, manifest["lessons"], 0, time.perf_counter() - started, False)
    return publish_content(load_content(Path(content_dir)), store, embedder, progress, force, started,
                           source=str(Path(content_dir).resolve()), signature=signature)


def publish_content(
    content: Content,
    store: IndexStore,
    embedder: Embedder,
    progress: Callable[[int, int], None] | None = None,
    force: bool = False,
    started: float | None = None,
    source: str = "",
    signature: str | None = None,
) -> BuildResult:
    """Embed (cache first) already validated content, write a staging version and publish it."""
    started = started or time.perf_counter()
    fingerprint = content_hash(content, embedder.model_id)
    current = store.current_dir()
    if current and not force:
        manifest = json.loads((current / "manifest.json").read_text())
        if manifest.get("content_hash") == fingerprint:
            if signature and manifest.get("folder_signature") != signature:
                write_json_atomic(current / "manifest.json", manifest | {"folder_signature": signature})
            return BuildResult(current.name, len(content.lessons), 0, time.perf_counter() - started, False)
    now = dt.datetime.now(dt.timezone.utc)
    version = f"{now:%Y%m%dT%H%M%S.%f}Z-{fingerprint[:8]}"
    total = len(content.lessons)
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress(done, total)

    staging = store.staging_dir(version)
    try:
        cache = EmbeddingCache(store.cache_path)
        try:
            embedded = write_vector_indexes(staging, cache, embedder, content.lessons, progress=advance)
            write_example_index(staging, cache, embedder, content.examples, current)
        finally:
            cache.close()
        write_version(staging, content, {
            "version": version,
            "model": embedder.model_id,
            "dim": embedder.dim,
            "lessons": total,
            "roles": len(content.roles),
            "content_hash": fingerprint,
            "content_dir": source,
            "folder_signature": signature,
            "created": now.isoformat(),
        })
        store.publish(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BuildResult(version, total, embedded, time.perf_counter() - started, True, len(content.examples))
