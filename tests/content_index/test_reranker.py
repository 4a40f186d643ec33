"""The shipped reranker: its int8 export agrees with torch, and it reads page and lesson together."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from companion.context import PageContext
from companion.ranking import Ranker
from content_index.reranker import Reranker, bundled_reranker_path, lesson_text, load_reranker, page_text
from tests.conftest import REPO, STARTER_CONTENT, few_training_pages

pytestmark = pytest.mark.model
sys.path.insert(0, str(REPO / "scripts"))
import train_reranker as trainer  # noqa: E402

REVIEW = PageContext(
    url="https://github.com/acme/api/pull/88", title="Cache tokens per tenant by dana · Pull Request #88 · acme/api",
    text="Conversation Commits Files changed sam requested changes. dana pushed 2 commits. "
         "I addressed your review comments, could you re-review?")
LUNCH = PageContext(
    url="https://acme.slack.com/client/T1/C2", title="#team-lunch - Acme - Slack",
    text="Channels general random team-lunch Direct messages Huddles anyone up for tacos today? sure, 12:30 works. "
         "I'll bring the birthday card Message #team-lunch")


@pytest.fixture(scope="module")
def reranker() -> Reranker:
    return Reranker()


def torch_scores(pairs: list[tuple[str, str]]) -> np.ndarray:
    """The same scores computed by torch from the adapter and head files, as the trainer defines them."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from content_index.embedder import bundled_model_path, merge_adapter

    tokenizer = AutoTokenizer.from_pretrained(str(bundled_model_path()), local_files_only=True)
    model = merge_adapter(AutoModel.from_pretrained(str(bundled_model_path()), local_files_only=True),
                          bundled_reranker_path()).eval()
    head = json.loads((bundled_reranker_path() / "head.json").read_text())
    out = []
    with torch.no_grad():
        for lesson, page in pairs:
            batch = tokenizer(lesson, page, truncation="only_second", max_length=trainer.MAX_PAIR_TOKENS,
                              return_tensors="pt")
            pooled = torch.nn.functional.normalize(model(**batch).last_hidden_state.mean(1), dim=-1)[0].numpy()
            out.append(float(pooled @ np.asarray(head["weights"])) + head["bias"])
    return np.asarray(out)


def starter_lessons(*ids: str) -> list[str]:
    from content_index.lessons import load_content

    lessons = {lesson.id: lesson for lesson in load_content(STARTER_CONTENT).lessons}
    return [lesson_text({"title": lessons[i].title, "summary": lessons[i].summary, "keywords": lessons[i].keywords})
            for i in ids]


def test_the_int8_export_scores_like_torch(reranker):
    page = page_text(REVIEW)
    lessons = starter_lessons("github-re-request-review", "github-closing-keywords", "github-suggested-changes",
                              "sheets-pivot-table-summary")
    onnx = reranker.score(lessons, page)
    reference = torch_scores([(lesson, page) for lesson in lessons])
    assert np.abs(onnx - reference).max() < 0.25  # measured 0.02-0.10, on logits around -10
    assert onnx.argmax() == reference.argmax()
    assert np.array_equal(reranker.score(lessons, page), onnx)  # asked again: remembered, same answer


def test_the_reranked_ranking_puts_the_need_first(starter_store, real_embedder):
    from content_index.store import LessonIndex

    index = LessonIndex(starter_store.current_dir())
    ranker = Ranker(real_embedder, reranker=load_reranker("onnx"))
    tips = ranker.rank(index, REVIEW)
    assert tips and tips[0].lesson_id == "github-re-request-review"
    bar = 1 / (1 + np.exp(-ranker.config.rerank_bar))
    assert bar <= tips[0].score < 1  # a fit probability that cleared the bar
    assert ranker.rank(index, LUNCH) == []
    assert load_reranker("fake") is None  # the fake test model has no reranker


@pytest.mark.timeout(900)
def test_a_short_training_run_writes_a_reranker(tmp_path):
    from safetensors.numpy import load_file

    pages = few_training_pages(tmp_path / "pages")
    out = tmp_path / "reranker"
    result = CliRunner().invoke(trainer.main, ["--pages", str(pages), "--content", str(STARTER_CONTENT), "--out", str(out),
                                               "--epochs", "1", "--withheld-epochs", "1", "--rank", "4",
                                               "--candidates", "3"])
    assert result.exit_code == 0, result.output
    assert "epoch 2/2" in result.output
    head = json.loads((out / "head.json").read_text())
    assert len(head["weights"]) == 384 and any(head["weights"])  # the head starts at zero: training moved it
    assert head["first_stage_weight"] == trainer.FIRST_STAGE_WEIGHT
    ups = [w for name, w in load_file(str(out / "adapter_model.safetensors")).items() if "lora_B" in name]
    assert ups and any(np.abs(w).max() > 0 for w in ups)
    training = json.loads((out / "training.json").read_text())
    assert training["pages"] == 4 and training["withheld_groups"] == 3
    reloaded = Reranker(out, cache_root=tmp_path / "models")
    assert reloaded.score(["a lesson"], "a page").shape == (1,)


def test_a_page_like_an_example_page_gets_its_lesson_and_says_why(starter_store, real_embedder):
    from content_index.lessons import load_content
    from content_index.store import LessonIndex

    index = LessonIndex(starter_store.current_dir())
    ranker = Ranker(real_embedder, reranker=load_reranker("onnx"))
    examples = load_content(STARTER_CONTENT).examples
    assert index.example_matrix.shape == (len(examples), real_embedder.dim)
    labelled = next(e for e in examples if e.id == "v1-039")
    quiet = next(e for e in examples if e.id == "v1-057")  # a merged pull request, nothing left to do
    assert labelled.lessons and not quiet.lessons

    def context(example):
        return PageContext(url=example.url, title=example.title, text=example.text)

    tips = ranker.rank(index, context(labelled))
    assert tips[0].lesson_id == labelled.lessons[0]
    assert "like the pages this lesson was written for" in tips[0].why
    assert ranker.rank(index, context(quiet)) == []
