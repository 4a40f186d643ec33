"""``inflow bench`` end to end at a tiny size with the fake embedder: every figure present and sane."""

from __future__ import annotations

import json
import random

from click.testing import CliRunner

from companion.bench import budgets
from companion.bench_corpus import lesson_file, page_contexts, write_corpus
from companion.cli import main
from content_index.lessons import load_content

FIGURES = ("tips_30_words_ms", "tips_250_words_ms", "tips_250_words_repeated_ms")


def test_corpus_is_deterministic_valid_and_about_120_words(tmp_path):
    ids = write_corpus(tmp_path / "a", 60)
    write_corpus(tmp_path / "b", 60)
    first = sorted(p.read_text() for p in (tmp_path / "a" / "lessons").iterdir())
    assert first == sorted(p.read_text() for p in (tmp_path / "b" / "lessons").iterdir())
    lessons = load_content(tmp_path / "a").lessons
    assert [lesson.id for lesson in lessons] == ids
    words = [len(lesson.search_text().split()) for lesson in lessons]
    assert 100 <= sum(words) / len(words) <= 150
    assert len({lesson.title for lesson in lessons}) > 40, "varied titles"
    assert lesson_file(3, random.Random(1)) == lesson_file(3, random.Random(1))


def test_page_contexts_have_the_requested_length_and_differ():
    contexts = page_contexts(30, 250)
    assert all(len(c["text"].split()) == 250 and c["url"].startswith("https://") for c in contexts)
    assert len({c["text"] for c in contexts}) == 30
    assert all(len(c["text"].split()) == 30 for c in page_contexts(5, 30))


def test_budgets_pick_the_named_size_or_the_worst():
    sizes = [{"lessons": 1000, "build": {"lessons_per_second": 90.0}, "start_to_first_tip_s": 0.5,
              "tips_250_words_ms": {"p50": 5, "p95": 9}},
             {"lessons": 10_000, "build": {"lessons_per_second": 200.0}, "start_to_first_tip_s": 4.0,
              "tips_250_words_ms": {"p50": 12, "p95": 40}}]
    rows = {row["figure"]: row for row in budgets(sizes)}
    assert rows["full index build (lessons/s)"]["measured"] == 90.0 and not rows["full index build (lessons/s)"]["met"]
    assert rows["serve start to first tip (s)"]["measured"] == 4.0
    assert rows["/tips p50, 250-word context, 10k lessons (ms)"]["met"]
    assert not rows["/tips p95, 250-word context, 10k lessons (ms)"]["met"]


def test_bench_json_has_every_figure(tmp_path):
    out = tmp_path / "results" / "bench.json"
    result = CliRunner().invoke(
        main, ["bench", "--lessons", "30", "--requests", "12", "--json", "--out", str(out)],
        env={"INFLOW_MODEL": "fake"}, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert json.loads(out.read_text()) == report
    assert report["machine"]["cpus"] >= 1 and report["machine"]["python"].startswith("3.")
    assert report["machine"]["versions"]["onnxruntime"] and report["model_id"] == "fake-hash-256"
    (size,) = report["sizes"]
    assert size["lessons"] == 30
    assert size["build"]["lessons_per_second"] > 0 and size["build"]["embedded_texts"] == 30
    assert 0 < size["start_to_first_tip_s"] < 120 and 0 < size["first_start_to_first_tip_s"] < 120
    for figure in FIGURES:
        stats = size[figure]
        assert stats["requests"] >= 12 and stats["failures"] == 0
        assert 0 < stats["p50"] <= stats["p95"] <= stats["p99"] <= stats["max"] < 10_000
    assert size["tips_30_words_ms"]["with_tips"] > 0.5
    assert len(size["edit_to_served_s"]["runs"]) == 3 and 0 < size["edit_to_served_s"]["max"] < 120
    assert 20 < size["rss_after_tips_mb"] <= size["rss_peak_mb"] < 4000
    figures = {row["figure"] for row in report["budgets"]}
    assert {"full index build (lessons/s)", "edit to served (s)", "serve start to first tip (s)"} <= figures
    assert all(isinstance(row["met"], bool) for row in report["budgets"])
