"""Index build and publish: cached embeddings, atomic versions, failures keep the current version."""

from __future__ import annotations

import os

import numpy as np
import pytest

from content_index.build import build_index, render_html
from content_index.embedder import FakeEmbedder
from content_index.lessons import ValidationError
from content_index.store import IndexStore, LessonIndex, query_words


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


def test_the_approximate_threshold_is_configurable(monkeypatch):
    from content_index.build import make_vector_index

    vectors = np.eye(20, 16, dtype=np.float32)
    assert type(make_vector_index(vectors)).__name__ == "IndexFlatIP"
    monkeypatch.setenv("INFLOW_APPROXIMATE_ABOVE", "10")
    assert type(make_vector_index(vectors)).__name__ == "IndexHNSWFlat"


def test_stored_vectors_are_the_indexed_vectors_without_a_copy():
    from content_index.build import make_vector_index
    from content_index.store import stored_vectors

    vectors = np.random.default_rng(1).standard_normal((50, 8)).astype(np.float32)
    for threshold in (100, 10):
        index = make_vector_index(vectors, approximate_above=threshold)
        view = stored_vectors(index)
        assert np.array_equal(view, vectors) and not view.flags.writeable and not view.flags.owndata


class Interrupted(Exception):
    pass


class DiesAfter(FakeEmbedder):
    """Embeds ``batches`` batches, then fails like a killed process would."""

    def __init__(self, batches: int):
        super().__init__()
        self.left = batches

    def embed(self, texts, batch_size=32):
        if self.left == 0:
            raise Interrupted
        self.left -= 1
        return super().embed(texts, batch_size)


def test_an_interrupted_build_resumes_without_re_embedding(tmp_path, store):
    from tests.conftest import ContentFolder

    folder = ContentFolder(tmp_path / "many")
    for i in range(150):
        folder.write(f"lesson-{i}", f"## Steps\n1. Practise topic number {i} with care.")
    with pytest.raises(Interrupted):
        build_index(folder.root, store, DiesAfter(batches=2))  # two batches of 64 committed, then killed
    assert store.current_dir() is None
    resumed = FakeEmbedder()
    progress: list[tuple[int, int]] = []
    result = build_index(folder.root, store, resumed, progress=lambda done, total: progress.append((done, total)))
    assert result.published and result.lessons == 150
    assert resumed.texts_embedded == 150 - 128 + 150, "only the rest of the lessons, then every title + summary"
    assert progress[0] == (128, 150) and progress[-1] == (150, 150)


def test_an_unchanged_folder_is_recognised_without_parsing(content, store, fake_embedder, monkeypatch):
    import content_index.build as build

    for path in content.root.rglob("*.*"):  # saved a while ago, outside the racy window
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - 10**10))
    first = build_index(content.root, store, fake_embedder)
    assert build.folder_signature(content.root, fake_embedder.model_id) is not None
    monkeypatch.setattr(build, "load_content", lambda folder: pytest.fail("parsed an unchanged folder"))
    again = build_index(content.root, store, fake_embedder)
    assert not again.published and again.version == first.version and again.lessons == 3
    monkeypatch.undo()
    content.write("lesson-9")  # a fresh save is always parsed (inside the racy window, no signature)
    assert build.folder_signature(content.root, fake_embedder.model_id) is None
    assert build_index(content.root, store, fake_embedder).published


def test_lexical_search_skips_words_in_most_lessons_without_changing_results(tmp_path, store, fake_embedder):
    from tests.conftest import ContentFolder

    folder = ContentFolder(tmp_path / "common")
    topics = ["pivot tables", "pull requests", "email filters", "sprint boards", "slack threads", "figma frames"]
    for i in range(60):
        folder.write(f"lesson-{i}", f"## Steps\nTry it now: open the menu and learn {topics[i % 6]} {i}.",
                     title=f"{topics[i % 6].capitalize()} tip {i}")
    build_index(folder.root, store, fake_embedder)
    index = LessonIndex(store.current_dir())
    for text, k in (("try open menu pivot tables", 5), ("try open menu pivot tables", 30), ("try now menu", 5)):
        hits = index.lexical(text, k)
        everything = index._bm25(query_words(text), k)
        assert [round(h.score, 4) for h in hits] == [round(h.score, 4) for h in everything]
        assert {h.row for h in hits if h.score > 1e-3} == {h.row for h in everything if h.score > 1e-3}
    assert index._document_frequency("menu") == 60 and index._document_frequency("pivot") == 10
