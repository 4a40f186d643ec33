"""Example pages: validated like lessons, indexed as whole pages, matched against a page at query time."""

from __future__ import annotations

import numpy as np
import pytest

from companion.context import PageContext
from content_index.build import build_index
from content_index.examples import whole_page_text
from content_index.lessons import ValidationError, load_content
from content_index.store import IndexStore, LessonIndex
from tests.conftest import example_log_odds as log_odds

PIVOT_PAGE = {"title": "Budget - Sheets", "url": "https://docs.google.com/spreadsheets/d/1/edit",
              "text": "Totals per team and month, copied by hand every week", "lessons": ["lesson-0", "lesson-2"]}
LUNCH_PAGE = {"title": "#lunch - Slack", "url": "https://app.slack.com/client/T1/C2",
              "text": "Anyone up for ramen at noon? The usual place", "lessons": []}


def test_example_pages_load_with_their_page_fields_and_labels(content):
    content.write_examples("sheets", PIVOT_PAGE | {"headings": ["Summary"], "selection": "totals"}, LUNCH_PAGE)
    examples = load_content(content.root).examples
    assert [e.lessons for e in examples] == [["lesson-0", "lesson-2"], []]
    pivot = examples[0]
    assert (pivot.title, pivot.url, pivot.headings, pivot.selection) == (
        "Budget - Sheets", PIVOT_PAGE["url"], ["Summary"], "totals")
    assert whole_page_text(pivot) == "totals Budget - Sheets Summary " + PIVOT_PAGE["text"]


def test_every_problem_in_an_examples_file_is_reported_with_file_line_and_field(content):
    path = content.write_examples(
        "bad", PIVOT_PAGE | {"lessons": ["no-such-lesson"]}, "{not json", {"text": " ", "lessons": []},
        {"id": "bad-0", "text": "again", "lessons": []}, {"text": "a page", "title": 3, "lessons": "lesson-0"})
    with pytest.raises(ValidationError) as caught:
        load_content(content.root)
    found = {(p.line, p.field) for p in caught.value.problems}
    assert found == {(1, "metadata.lessons"), (2, "example"), (3, "text"), (4, "_id"), (5, "metadata.title"),
                     (5, "metadata.lessons")}
    assert all(p.path == str(path) for p in caught.value.problems)
    assert "no lesson with id 'no-such-lesson'" in str(caught.value)


def test_examples_are_indexed_and_matched_to_the_page(tmp_path, content, fake_embedder):
    content.write_examples("pages", PIVOT_PAGE, LUNCH_PAGE)
    store = IndexStore(tmp_path / "index")
    build_index(content.root, store, fake_embedder)
    index = LessonIndex(store.current_dir())
    assert index.example_matrix.shape == (2, fake_embedder.dim)

    page = fake_embedder.embed(["Totals per team and month, copied by hand"])[0]
    nearest, no_tip = index.example_matches(page)
    pivot = float(page @ fake_embedder.embed([whole_page_text(load_content(content.root).examples[0])])[0])
    assert nearest[index.row_of["lesson-0"]] == nearest[index.row_of["lesson-2"]] == pytest.approx(pivot)
    assert nearest[index.row_of["lesson-1"]] == -np.inf  # no example page of its own
    assert no_tip < pivot


def test_an_index_without_examples_matches_nothing(tmp_path, content, fake_embedder):
    store = IndexStore(tmp_path / "index")
    build_index(content.root, store, fake_embedder)
    nearest, no_tip = LessonIndex(store.current_dir()).example_matches(fake_embedder.embed(["anything"])[0])
    assert np.all(nearest == -np.inf) and no_tip == -np.inf


def test_editing_an_example_page_publishes_a_new_version(tmp_path, content, fake_embedder):
    store = IndexStore(tmp_path / "index")
    path = content.write_examples("pages", PIVOT_PAGE)
    first = build_index(content.root, store, fake_embedder, force=True).version
    path.write_text(path.read_text().replace("copied by hand", "typed in again"))
    second = build_index(content.root, store, fake_embedder)
    assert second.published and second.version != first and second.examples == 1


def test_a_version_written_before_example_pages_still_loads(tmp_path, content, fake_embedder):
    """``inflow index rollback`` may return to a version without examples.faiss: it has no examples."""
    content.write_examples("pages", PIVOT_PAGE)
    store = IndexStore(tmp_path / "index")
    build_index(content.root, store, fake_embedder)
    (store.current_dir() / "examples.faiss").unlink()
    (store.current_dir() / "example_classifier.npz").unlink(missing_ok=True)
    index = LessonIndex(store.current_dir())
    nearest, no_tip = index.example_matches(fake_embedder.embed(["Totals per team"])[0])
    assert np.all(nearest == -np.inf) and no_tip == -np.inf
    assert log_odds(index, fake_embedder, PageContext(text="Totals per team")) == {}


PIVOT_PAGES = [PIVOT_PAGE | {"text": text} for text in (
    "Totals per team and month, copied by hand every week", "Sum the spend per team for each month",
    "Monthly totals by team for the budget review")]
CHAT_PAGES = [LUNCH_PAGE | {"text": text} for text in (
    "Anyone up for ramen at noon? The usual place", "Happy birthday Sam! Cake in the kitchen",
    "Parking lot is closed on Friday, use the street")]


def test_the_example_classifier_tells_a_lessons_pages_from_no_tip_pages(tmp_path, content, fake_embedder):
    content.write_examples("pages", *PIVOT_PAGES, *CHAT_PAGES)
    store = IndexStore(tmp_path / "index")
    build_index(content.root, store, fake_embedder)
    index = LessonIndex(store.current_dir())
    totals = log_odds(index, fake_embedder, PageContext(title="Budget - Sheets", text="Totals per team for each month"))
    lunch = log_odds(index, fake_embedder, PageContext(title="#lunch - Slack", text="Ramen at noon in the kitchen?"))
    pivot, review = index.row_of["lesson-0"], index.row_of["lesson-1"]
    assert totals[pivot] > 0 > lunch[pivot]
    assert totals[index.row_of["lesson-2"]] > lunch[index.row_of["lesson-2"]]  # the pages name it too
    assert review not in totals and review not in lunch  # no example pages of its own


def test_without_no_tip_example_pages_there_is_no_classifier(tmp_path, content, fake_embedder):
    content.write_examples("pages", *PIVOT_PAGES)
    store = IndexStore(tmp_path / "index")
    build_index(content.root, store, fake_embedder)
    index = LessonIndex(store.current_dir())
    assert index.example_classifier is None
    assert log_odds(index, fake_embedder, PageContext(text="Totals per team")) == {}


def test_a_rebuild_reuses_the_classifier_while_the_example_pages_stay_the_same(tmp_path, content, fake_embedder,
                                                                               monkeypatch):
    examples = content.write_examples("pages", *PIVOT_PAGES, *CHAT_PAGES)
    store = IndexStore(tmp_path / "index")
    build_index(content.root, store, fake_embedder)

    class NotFitted:
        def __init__(self, **_):
            raise AssertionError("refitted")

    monkeypatch.setattr("sklearn.linear_model.LogisticRegression", NotFitted)
    content.write("lesson-1", "## Steps\n1. Review the diff first.", title="Pull request review", summary="Review well.")
    assert build_index(content.root, store, fake_embedder).published
    assert LessonIndex(store.current_dir()).example_classifier is not None
    examples.write_text(examples.read_text().replace("Sum the spend", "Add up the spend"))
    with pytest.raises(AssertionError, match="refitted"):
        build_index(content.root, store, fake_embedder)
