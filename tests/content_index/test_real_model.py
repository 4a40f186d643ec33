"""The real all-MiniLM-L6-v2 (from its PyPI package, offline) finds the right starter lesson first."""

from __future__ import annotations

import numpy as np
import pytest

from content_index.store import LessonIndex

pytestmark = pytest.mark.model

QUERIES = {
    "who should I add as reviewers so my pull request gets looked at": "github-request-reviewers",
    "my vlookup keeps returning the wrong row from the price list": "sheets-vlookup-exact-match",
    "the build failed on CI, where do I see what went wrong": "github-actions-read-failed-log",
    "turn a lead into an account and contact after a discovery call": "salesforce-convert-lead",
    "keep the header row visible while scrolling down the sheet": "sheets-freeze-header-row",
    "send this email tomorrow at 8am instead of now": "gmail-schedule-send",
}


def test_embedder_is_offline_normalised_and_deterministic(real_embedder):
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    vectors = real_embedder.embed(["pivot table", "pivot table", "lunch menu"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vectors[0], vectors[1])
    assert float(vectors[0] @ vectors[2]) < 0.5


@pytest.mark.parametrize("query,expected", QUERIES.items())
def test_natural_queries_find_the_right_starter_lesson_first(starter_store, real_embedder, query, expected):
    index = LessonIndex(starter_store.current_dir())
    best = index.dense(real_embedder.embed([query])[0], 3)
    assert index.lessons[best[0].row]["id"] == expected, [index.lessons[h.row]["id"] for h in best]


def test_a_situation_names_a_need_the_page_only_implies(starter_store, real_embedder):
    """Nothing on this page says "form" or "workflow"; the lesson's situations describe the moment."""
    from dataclasses import replace

    from companion.context import PageContext
    from companion.ranking import Ranker, RankingConfig

    page = PageContext(
        url="https://acme.slack.com/archives/C0ACCESS", title="access-requests (Channel) - Acme - Slack",
        text="Acme Home DMs Activity # access-requests 120 members Rui can I get access to the billing dashboard? "
             "Mo which dashboard and who approves it? Ana need a login for the new contractor Mo name, team, "
             "start date? Every single request is missing the same details and I spend my mornings chasing "
             "them. Message #access-requests",
    )
    index = LessonIndex(starter_store.current_dir())
    shipped = Ranker(real_embedder).rank(index, page)
    assert shipped and shipped[0].lesson_id == "slack-workflow-builder-basics", [t.lesson_id for t in shipped]
    without = Ranker(real_embedder, replace(RankingConfig(), situation_offset=1.0)).rank(index, page)
    assert "slack-workflow-builder-basics" not in [t.lesson_id for t in without[:1]]
