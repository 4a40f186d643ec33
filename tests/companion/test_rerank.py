"""The ranking's second stage: a reranker reorders the first stage's best few and decides on a tip."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from companion.context import PageContext
from companion.ranking import Ranker, RankingConfig, reranker_page_text
from content_index.build import build_index
from content_index.reranker import lesson_text, page_text
from content_index.store import IndexStore, LessonIndex
from tests.conftest import example_log_odds as log_odds

PAGE = PageContext(url="https://sheets.example.com/d/1", title="Budget - Sheets",
                   text="Summarise spending by team with pivot tables across the quarter.")


class ScriptedReranker:
    """Scores each lesson by the first word of its title, and remembers what it was asked."""

    first_stage_weight = 20.0

    def __init__(self, own: dict[str, float]):
        self.own = own
        self.calls: list[tuple[list[str], str]] = []

    def score(self, lessons, page):
        self.calls.append((list(lessons), page))
        return np.array([self.own.get(text.split()[0], -10.0) for text in lessons], dtype=np.float32)


@pytest.fixture
def index(tmp_path, content, fake_embedder) -> LessonIndex:
    store = IndexStore(tmp_path / "index")
    build_index(content.root, store, fake_embedder)
    return LessonIndex(store.current_dir())


def ranked(index, embedder, reranker, **config):
    cfg = replace(RankingConfig(), rerank_gate=-1.0, threshold=0.0, **config)
    return Ranker(embedder, cfg, reranker).rank(index, PAGE, limit=10)


def test_the_reranker_reorders_the_first_stage_and_scores_are_fit_probabilities(index, fake_embedder):
    first = [t.lesson_id for t in Ranker(fake_embedder, replace(RankingConfig(), threshold=0.0)).rank(index, PAGE)]
    assert first[0] == "lesson-0"  # pivot tables, by the words on the page
    tips = ranked(index, fake_embedder, ScriptedReranker({"Email": 0.0, "Pivot": -12.0, "Pull": -12.0}))
    assert tips[0].lesson_id == "lesson-2"
    scores = [t.score for t in tips]
    assert all(0 < s < 1 for s in scores) and scores == sorted(scores, reverse=True)


def test_no_tip_when_no_lesson_fits_better_than_nothing(index, fake_embedder):
    assert ranked(index, fake_embedder, ScriptedReranker({}), rerank_bar=0.0) == []
    assert ranked(index, fake_embedder, ScriptedReranker({"Pivot": 10.0}), rerank_bar=0.0)[0].lesson_id == "lesson-0"


def test_below_the_gate_the_reranker_is_not_asked(index, fake_embedder):
    reranker = ScriptedReranker({"Pivot": 10.0})
    cfg = replace(RankingConfig(), rerank_gate=5.0)
    assert Ranker(fake_embedder, cfg, reranker).rank(index, PAGE) == [] and reranker.calls == []


def test_only_the_first_stages_best_few_are_read_again_with_the_page(index, fake_embedder):
    reranker = ScriptedReranker({"Pivot": 10.0})
    tips = ranked(index, fake_embedder, reranker, rerank_candidates=2)
    (lessons, page), = reranker.calls
    assert len(lessons) == 2 and len(tips) == 3
    assert page == reranker_page_text(PAGE)
    assert lessons[0] == lesson_text(index.lessons[index.row_of["lesson-0"]])
    assert tips[-1].score <= min(t.score for t in tips[:2])  # an unread lesson fits no better than the read ones


def test_the_reranker_reads_the_persons_words_before_the_menus():
    ctx = PageContext(url="https://github.com/acme/app/pull/4", title="PR #4",
                      text="Code Issues Pull requests Actions Projects Wiki Security Insights Settings\n"
                           "Conversation Commits Checks Files changed\n"
                           "I pushed both fixes, could you take another look at the retry loop?")
    assert reranker_page_text(ctx) == ("PR #4 | github.com/acme/app/pull/4 | I pushed both fixes, could you take "
                                       "another look at the retry loop? Code Issues Pull requests Actions Projects "
                                       "Wiki Security Insights Settings Conversation Commits Checks Files changed")


def test_the_reranker_reads_the_specific_parts_of_a_page_first():
    text = page_text(PageContext(url="https://github.com/acme/app/pull/4?tab=files", title="PR #4 - GitHub",
                                 headings=["Conversation"], selection="could you take another look",
                                 text="Code Issues Pull requests"))
    assert text == "could you take another look | PR #4 - GitHub | github.com/acme/app/pull/4 | Conversation | " \
                   "Code Issues Pull requests"
    assert lesson_text({"title": "T", "summary": "S.", "keywords": ["a", "b"]}) == "T. S. (a, b)"
    assert lesson_text({"title": "T", "summary": "S.", "keywords": []}) == "T. S."


def example_index(tmp_path, content, embedder, *pages: dict) -> LessonIndex:
    content.write_examples("pages", *pages)
    store = IndexStore(tmp_path / "with-examples")
    build_index(content.root, store, embedder)
    return LessonIndex(store.current_dir())


def test_a_page_like_a_lessons_example_page_fits_that_lesson_better(tmp_path, content, fake_embedder):
    index = example_index(tmp_path, content, fake_embedder, {"text": PAGE.text, "title": PAGE.title, "lessons": ["lesson-2"]})
    neutral = ScriptedReranker({"Pivot": -12.0, "Pull": -12.0, "Email": -12.0})
    tips = ranked(index, fake_embedder, neutral, example_weight=40.0, rerank_bar=-100.0)
    assert tips[0].lesson_id == "lesson-2"
    assert "like the pages this lesson was written for" in tips[0].why
    assert ranked(index, fake_embedder, neutral, example_weight=0.0, rerank_bar=-100.0)[0].lesson_id == "lesson-0"


def test_a_page_like_a_no_tip_example_page_gets_no_tip(tmp_path, content, fake_embedder):
    index = example_index(tmp_path, content, fake_embedder,
                          {"text": "Pivot tables", "lessons": ["lesson-0"]},
                          {"text": PAGE.text, "title": PAGE.title, "lessons": []})
    fits = ScriptedReranker({"Pivot": 0.0})
    assert ranked(index, fake_embedder, fits, rerank_bar=-1.0, example_weight=0.0, no_tip_example_weight=0.0)
    assert ranked(index, fake_embedder, fits, rerank_bar=-1.0, example_weight=0.0, no_tip_example_weight=20.0) == []


def test_the_classifiers_nominee_is_read_even_when_the_first_stage_missed_it(tmp_path, content, fake_embedder):
    """Example pages of the email lesson read like PAGE: the classifier nominates it though the first
    stage ranks the pivot lesson first, and the reranker is asked about both."""
    index = example_index(tmp_path, content, fake_embedder,
                          *({"text": PAGE.text + extra, "title": PAGE.title, "lessons": ["lesson-2"]}
                            for extra in ("", " Again this month.", " For the board.")),
                          *({"text": text, "lessons": []} for text in ("Lunch at noon?", "Cake in the kitchen")))
    assert log_odds(index, fake_embedder, PAGE)[index.row_of["lesson-2"]] > 0
    reranker = ScriptedReranker({"Pivot": 0.0, "Email": 10.0})
    tips = ranked(index, fake_embedder, reranker, rerank_candidates=1, classifier_weight=0.0)
    assert reranker.calls[0][0][0].startswith("Pivot") and any(t.startswith("Email") for t in reranker.calls[0][0])
    assert tips[0].lesson_id == "lesson-2"
    alone = ScriptedReranker({"Pivot": 0.0, "Email": 10.0})
    ranked(index, fake_embedder, alone, rerank_candidates=1, example_nominees=0)
    assert [text.split()[0] for text in alone.calls[0][0]] == ["Pivot"]


def test_the_classifiers_log_odds_add_to_the_fit(tmp_path, content, fake_embedder):
    index = example_index(tmp_path, content, fake_embedder,
                          *({"text": PAGE.text + extra, "title": PAGE.title, "lessons": ["lesson-2"]}
                            for extra in ("", " Again this month.")),
                          *({"text": text, "lessons": []} for text in ("Lunch at noon?", "Cake in the kitchen")))
    neutral = ScriptedReranker({"Pivot": 0.0, "Email": 0.0, "Pull": 0.0})
    quiet = dict(example_weight=0.0, no_tip_example_weight=0.0, rerank_bar=-100.0)
    assert ranked(index, fake_embedder, neutral, classifier_weight=0.0, **quiet)[0].lesson_id == "lesson-0"
    assert ranked(index, fake_embedder, neutral, classifier_weight=20.0, **quiet)[0].lesson_id == "lesson-2"


def test_the_classifier_counts_against_a_lesson_only_down_to_its_floor(tmp_path, content, fake_embedder):
    """It reads the page's first words only: a page it takes for a no-tip page loses at most the floor."""
    index = example_index(tmp_path, content, fake_embedder,
                          *({"text": text, "lessons": ["lesson-0"]} for text in ("Lunch menu", "Parking closed")),
                          *({"text": PAGE.text + extra, "title": PAGE.title, "lessons": []} for extra in ("", " Q3.")))
    odds = log_odds(index, fake_embedder, PAGE)[index.row_of["lesson-0"]]
    assert odds + RankingConfig().classifier_offset < -2
    fits = ScriptedReranker({"Pivot": 0.0})
    quiet = dict(example_weight=0.0, no_tip_example_weight=0.0, rerank_bar=-100.0, example_nominees=0)
    floored = ranked(index, fake_embedder, fits, classifier_floor=-1.0, **quiet)[0]
    unfloored = ranked(index, fake_embedder, fits, classifier_floor=-100.0, **quiet)[0]
    assert floored.lesson_id == unfloored.lesson_id == "lesson-0"
    assert np.log(floored.score / (1 - floored.score)) - np.log(unfloored.score / (1 - unfloored.score)) > 1
