"""Build a search index version from a content folder and publish it atomically."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import faiss
import nh3
import numpy as np
import sqlite_utils
from markdown_it import MarkdownIt

from .cache import EmbeddingCache
from .embedder import Embedder
from .lessons import Content, Lesson, load_content
from .store import IndexStore

APPROXIMATE_ABOVE = 100_000
_markdown = MarkdownIt("commonmark").enable("table").enable("strikethrough")


@dataclass
class BuildResult:
    version: str
    lessons: int
    embedded: int
    seconds: float
    published: bool

    @property
    def lessons_per_second(self) -> float:
        return self.lessons / self.seconds if self.seconds else 0.0


def render_html(markdown: str) -> str:
    """Lesson body as sanitised HTML (no scripts, styles or event handlers survive)."""
    return nh3.clean(_markdown.render(markdown), link_rel="noopener noreferrer nofollow")


def content_hash(content: Content, model_id: str) -> str:
    digest = hashlib.sha256(model_id.encode())
    for lesson in sorted(content.lessons, key=lambda l: l.id):
        digest.update(json.dumps(lesson.__dict__ | {"path": ""}, sort_keys=True, default=str).encode())
    for role in sorted(content.roles, key=lambda r: r.id):
        digest.update(json.dumps(role.__dict__, sort_keys=True).encode())
    return digest.hexdigest()


def make_vector_index(vectors: np.ndarray, approximate_above: int = APPROXIMATE_ABOVE) -> faiss.Index:
    """Exact inner-product search, or HNSW (M=32) above ``approximate_above`` vectors."""
    dim = vectors.shape[1]
    if len(vectors) > approximate_above:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 64
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
        "html": render_html(lesson.body),
        "skills": json.dumps(lesson.skills),
        "roles": json.dumps(lesson.roles),
        "apps": json.dumps(lesson.apps),
        "url_patterns": json.dumps(lesson.url_patterns),
        "keywords": json.dumps(lesson.keywords),
        "keyword_text": " ".join(lesson.keywords),
        "level": lesson.level,
        "minutes": lesson.minutes,
        "owner": lesson.owner,
        "review_by": lesson.review_by,
        "check_json": json.dumps(lesson.check) if lesson.check else None,
        "links": json.dumps(lesson.links),
        "path": lesson.path,
    }


def write_version(directory: Path, content: Content, vectors: np.ndarray, heads: np.ndarray, manifest: dict) -> None:
    """Write lessons.db (metadata + FTS5), vectors.faiss (whole lessons), heads.faiss (title + summary)
    and manifest.json into ``directory``."""
    conn = sqlite3.connect(directory / "lessons.db")
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
    conn.close()
    faiss.write_index(make_vector_index(vectors), str(directory / "vectors.faiss"))
    faiss.write_index(make_vector_index(heads), str(directory / "heads.faiss"))
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2))


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
    return publish_content(load_content(Path(content_dir)), store, embedder, progress, force, started,
                           source=str(Path(content_dir).resolve()))


def publish_content(
    content: Content,
    store: IndexStore,
    embedder: Embedder,
    progress: Callable[[int, int], None] | None = None,
    force: bool = False,
    started: float | None = None,
    source: str = "",
) -> BuildResult:
    """Embed (cache first) already validated content, write a staging version and publish it."""
    started = started or time.perf_counter()
    fingerprint = content_hash(content, embedder.model_id)
    current = store.current_dir()
    if current and not force:
        manifest = json.loads((current / "manifest.json").read_text())
        if manifest.get("content_hash") == fingerprint:
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

    cache = EmbeddingCache(store.cache_path)
    try:
        vectors, embedded = cache.embed(embedder, [l.search_text() for l in content.lessons], progress=advance)
        heads, _ = cache.embed(embedder, [l.head_text() for l in content.lessons])
    finally:
        cache.close()
    staging = store.staging_dir(version)
    try:
        write_version(staging, content, vectors, heads, {
            "version": version,
            "model": embedder.model_id,
            "dim": embedder.dim,
            "lessons": total,
            "roles": len(content.roles),
            "content_hash": fingerprint,
            "content_dir": source,
            "created": now.isoformat(),
        })
        store.publish(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BuildResult(version, total, embedded, time.perf_counter() - started, True)
