"""LessonIndex search paths: exact candidates from a flat index, an approximate one, situations, thread limits."""

from __future__ import annotations

import faiss
import numpy as np
import pytest
from threadpoolctl import threadpool_info

from content_index.build import build_index
from content_index.store import IndexStore, LessonIndex


@pytest.fixture
def store(tmp_path) -> IndexStore:
    return IndexStore(tmp_path / "index")


def lesson_index(tmp_path, store, fake_embedder, count: int = 80) -> LessonIndex:
    from tests.conftest import ContentFolder

    folder = ContentFolder(tmp_path / "many")
    topics = ["pivot tables", "pull requests", "email filters", "sprint boards", "slack threads", "figma frames"]
    for i in range(count):
        folder.write(f"lesson-{i}", f"## Steps\nLearn {topics[i % 6]} with example {i}.",
                     title=f"{topics[i % 6].capitalize()} tip {i}", summary=f"Number {i} about {topics[i % 6]}.",
                     keywords=[f"kw{i}"])
    build_index(folder.root, store, fake_embedder)
    return LessonIndex(store.current_dir())


def test_flat_candidates_are_the_rows_nearest_to_their_best_matching_query(tmp_path, store, fake_embedder):
    index = lesson_index(tmp_path, store, fake_embedder)
    queries = fake_embedder.embed(["pivot tables in a sheet", "review a pull request", "filter my email"])
    k = 8
    found = set(index.candidates(queries, k))
    best = (queries @ index.vector_matrix.T).max(axis=0)
    kth = np.sort(best)[-k]
    assert {int(r) for r in np.flatnonzero(best > kth)} <= found  # ties at the k-th may go either way
    assert len(found) == k and min(best[r] for r in found) == kth


def test_a_lesson_vector_is_the_direction_between_its_whole_text_and_head(tmp_path, store, fake_embedder):
    from content_index.lessons import load_content

    index = lesson_index(tmp_path, store, fake_embedder, count=3)
    lesson = load_content(tmp_path / "many").lessons[1]
    whole, head = fake_embedder.embed([lesson.search_text(), lesson.head_text()])
    assert np.allclose(index.vector_matrix[index.row_of[lesson.id]], (whole + head) / np.linalg.norm(whole + head),
                       atol=1e-6)


def test_a_lesson_is_found_and_scored_by_its_situations(tmp_path, store, fake_embedder):
    from tests.conftest import ContentFolder

    folder = ContentFolder(tmp_path / "situations")
    moments = ["late at night replying to a client", "client in another time zone asleep now"]
    folder.write("schedule-send", title="Schedule an email", summary="Pick a delivery time.", situations=moments)
    folder.write("plain", title="Plain lesson", summary="No situations here.")
    for i in range(30):
        folder.write(f"filler-{i}", title=f"Filler {i}", summary=f"Unrelated topic {i}.")
    build_index(folder.root, store, fake_embedder)
    index = LessonIndex(store.current_dir())
    query = fake_embedder.embed([" ".join(moments)])
    sims = index.situation_similarities(query, [index.row_of["schedule-send"], index.row_of["plain"]])
    assert sims[0, 0] == pytest.approx(1.0, abs=1e-5)
    assert np.isnan(sims[0, 1])
    assert index.row_of["schedule-send"] in index.candidates(query, 1)
    assert index.detail("schedule-send")["situations"] == moments


def test_an_approximate_index_is_searched_per_query(tmp_path, store, fake_embedder):
    index = lesson_index(tmp_path, store, fake_embedder)
    queries = fake_embedder.embed(["pivot tables in a sheet", "review a pull request", "filter my email"])
    nearest = {int(r) for r in (queries @ index.vector_matrix.T).argmax(axis=1)}
    assert not nearest <= set(index.candidates(queries, 1))  # flat: only the single best rows overall
    hnsw = faiss.IndexHNSWFlat(fake_embedder.dim, 16, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efSearch = 200  # exhaustive on 80 lessons
    hnsw.add(np.ascontiguousarray(index.vector_matrix))  # before the flat index (owner of the view) goes
    index.vectors = hnsw
    assert nearest <= set(index.candidates(queries, 1))


def test_a_search_leaves_numpy_one_blas_thread(tmp_path, store, fake_embedder):
    index = lesson_index(tmp_path, store, fake_embedder, count=12)
    index.candidates(fake_embedder.embed(["pivot tables"]), 5)
    numpy_blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas" and "numpy" in pool["filepath"]]
    assert numpy_blas and {pool["num_threads"] for pool in numpy_blas} == {1}
