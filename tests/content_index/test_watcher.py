"""The watcher republishes after an edit, a new file and a deletion."""

from __future__ import annotations

import time

from content_index.build import build_index
from content_index.store import IndexStore, LessonIndex
from content_index.watcher import ContentWatcher


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def current_ids(store):
    return {l["id"]: l["title"] for l in LessonIndex(store.current_dir()).lessons}


def test_watch_picks_up_edit_new_file_and_deletion(content, tmp_path, fake_embedder):
    store = IndexStore(tmp_path / "index")
    rebuild = lambda: build_index(content.root, store, fake_embedder)  # noqa: E731
    rebuild()
    watcher = ContentWatcher(content.root, rebuild, debounce=0.2).start()
    try:
        content.write("lesson-0", title="Edited title")
        assert wait_for(lambda: current_ids(store).get("lesson-0") == "Edited title")
        content.write("brand-new", title="Brand new")
        assert wait_for(lambda: "brand-new" in current_ids(store))
        (content.lessons / "lesson-2.md").unlink()
        assert wait_for(lambda: "lesson-2" not in current_ids(store))
        before = store.current_version()
        content.write("lesson-1", level="not-a-level")
        time.sleep(1.0)
        assert store.current_version() == before, "an invalid save keeps the last good version"
    finally:
        watcher.stop()


def test_a_burst_of_saves_is_debounced(content, tmp_path, fake_embedder):
    store = IndexStore(tmp_path / "index")
    calls = []
    watcher = ContentWatcher(content.root, lambda: calls.append(build_index(content.root, store, fake_embedder)),
                             debounce=0.3).start()
    try:
        for i in range(10):
            content.write("lesson-0", title=f"Save {i}")
            time.sleep(0.02)
        assert wait_for(lambda: len(calls) >= 1)
        time.sleep(0.8)
        assert len(calls) == 1
        assert current_ids(store)["lesson-0"] == "Save 9"
    finally:
        watcher.stop()


def test_saving_an_example_page_republishes(content, tmp_path, fake_embedder):
    store = IndexStore(tmp_path / "index")
    rebuild = lambda: build_index(content.root, store, fake_embedder)  # noqa: E731
    content.write_examples("pages", {"text": "Totals copied by hand", "lessons": ["lesson-0"]})
    rebuild()
    watcher = ContentWatcher(content.root, rebuild, debounce=0.2).start()
    try:
        content.write_examples("pages", {"text": "Totals copied by hand", "lessons": ["lesson-0"]},
                               {"text": "Lunch plans for Friday", "lessons": []})
        assert wait_for(lambda: len(LessonIndex(store.current_dir()).example_matrix) == 2)
    finally:
        watcher.stop()
