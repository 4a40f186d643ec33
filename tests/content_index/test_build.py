"""Index build and publish: cached embeddings, atomic versions, failures keep the current version."""

from __future__ import annotations

import os

import numpy as np
import pytest

from content_index.build import build_index, render_html
from content_index.embedder import FakeEmbedder
from content_index.lessons import ValidationError
from content_index.store import IndexStore, LessonIndex


@pytest.fixture
def store(tmp_path) -> IndexStore:
    return IndexStore(tmp_path / "data" / "index")


def test_build_publishes_a_searchable_version(content, store, fake_embedder):
    result = build_index(content.root, store, fake_embedder)
    assert result.published and result.lessons == 3 and result.embedded == 3
    assert store.current_version() == result.version
    index = LessonIndex(store.current_dir())
    assert len(index) == 3 and index.model_id == fake_embedder.model_id
    query = fake_embedder.embed(["pivot tables"])[0]
    assert index.lessons[index.dense(query, 1)[0].row]["id"] == "lesson-0"
    assert index.lessons[index.lexical("review my pull request", 1)[0].row]["id"] == "lesson-1"
    assert index.roles["analyst"]["skills"] == {"data-analysis": 2}


def test_unchanged_lessons_are_not_re_embedded(content, store, fake_embedder):
    build_index(content.root, store, fake_embedder)
    again = build_index(content.root, store, fake_embedder)
    assert not again.published
    assert fake_embedder.texts_embedded == 6, "each lesson: whole text + title/summary"
    path = content.lessons / "lesson-1.md"
    path.write_text(path.read_text().replace("in a few steps", "in small batches"))
    changed = build_index(content.root, store, fake_embedder)
    assert changed.published and changed.embedded == 1
    assert fake_embedder.texts_embedded == 7, "a body edit re-embeds only that lesson's whole text"
    content.write("lesson-9", "## Steps\n1. Something new.")
    assert build_index(content.root, store, fake_embedder).embedded == 1
    assert fake_embedder.texts_embedded == 9


def test_cache_is_per_model(content, store, fake_embedder):
    build_index(content.root, store, fake_embedder)
    other = FakeEmbedder(dim=32)
    other.model_id = "another-model"
    result = build_index(content.root, store, other)
    assert result.embedded == 3 and LessonIndex(store.current_dir()).vectors.d == 32


def test_invalid_content_never_replaces_the_current_version(content, store, fake_embedder):
    good = build_index(content.root, store, fake_embedder).version
    content.write("lesson-2", level="wizard")
    with pytest.raises(ValidationError):
        build_index(content.root, store, fake_embedder)
    assert store.current_version() == good
    assert store.list_versions() == [good]


class ExplodingEmbedder(FakeEmbedder):
    def embed(self, texts, batch_size=32):
        raise KeyboardInterrupt("power cut")


def test_interrupted_build_leaves_previous_version_current(content, store, fake_embedder, monkeypatch):
    good = build_index(content.root, store, fake_embedder).version
    content.write("lesson-0", "## Steps\n1. Changed text.")
    with pytest.raises(KeyboardInterrupt):
        build_index(content.root, store, ExplodingEmbedder())
    import content_index.build as build_module

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(build_module.faiss, "write_index", crash)
    with pytest.raises(OSError):
        build_index(content.root, store, fake_embedder)
    assert store.current_version() == good
    assert store.list_versions() == [good]
    assert not list(store.root.glob(".staging-*"))
    assert len(LessonIndex(store.current_dir())) == 3


def test_previous_versions_are_kept_for_rollback(content, store, fake_embedder):
    versions = []
    for i in range(5):
        content.write(f"extra-{i}")
        versions.append(build_index(content.root, store, fake_embedder).version)
    assert store.list_versions() == versions[-3:]
    assert store.rollback() == versions[-2]
    assert store.current_version() == versions[-2]
    assert os.path.islink(store.current_link)


def test_lesson_html_is_sanitised(content, store, fake_embedder):
    content.write("xss", "## Steps\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n**bold**")
    build_index(content.root, store, fake_embedder)
    html = LessonIndex(store.current_dir()).detail("xss")["html"]
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "onerror" not in html
    assert "href" not in render_html("[x](javascript:alert(1))")
    assert "javascript" not in render_html('<a href="javascript:alert(1)">x</a>')


def test_large_indexes_switch_to_hnsw():
    from content_index.build import make_vector_index

    vectors = np.random.default_rng(0).standard_normal((300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert type(make_vector_index(vectors, approximate_above=1000)).__name__ == "IndexFlatIP"
    approx = make_vector_index(vectors, approximate_above=100)
    assert type(approx).__name__ == "IndexHNSWFlat"
    _, rows = approx.search(vectors[:10], 1)
    assert list(rows[:, 0]) == list(range(10))
