#!/usr/bin/env python3
"""Torch vs ONNX int8 for the bundled model: vector agreement, top-10 agreement and speed (JSON).

`.venv/bin/python scripts/compare_backends.py [--lessons 2000] [--queries 200]`. Lessons are the
benchmark's synthetic ones; queries are its 30- and 250-word pages (title + text, as one passage).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import click
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from companion.bench_corpus import page_contexts, write_corpus  # noqa: E402
from content_index.lessons import load_content  # noqa: E402


def latency_ms(embed, texts: list[str]) -> float:
    for text in texts[:5]:
        embed([text])
    samples = []
    for text in texts:
        started = time.perf_counter()
        embed([text])
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 2)


def speed(embedder, lessons: list[str], short: list[str], long: list[str]) -> dict:
    started = time.perf_counter()
    embedder.embed(lessons[:500])
    return {"lessons_per_s": round(500 / (time.perf_counter() - started), 1),
            "query_30_words_ms": latency_ms(embedder.embed, short), "page_250_words_ms": latency_ms(embedder.embed, long)}


@click.command()
@click.option("--lessons", default=2000, show_default=True)
@click.option("--queries", default=200, show_default=True)
@click.option("--torch-threads", default=1, show_default=True, help="torch.set_num_threads for the speed figures.")
def main(lessons: int, queries: int, torch_threads: int) -> None:
    """Print one JSON object comparing the two backends."""
    import torch

    from content_index.embedder import SentenceTransformerEmbedder
    from content_index.onnx_embedder import OnnxEmbedder

    with tempfile.TemporaryDirectory() as tmp:
        write_corpus(Path(tmp), lessons)
        texts = [lesson.search_text() for lesson in load_content(Path(tmp)).lessons]
    short = [f"{c['title']} {c['text']}" for c in page_contexts(queries // 2, 30)]
    long = [f"{c['title']} {c['text']}" for c in page_contexts(queries // 2, 250)]
    torch.set_num_threads(torch_threads)
    backends = {"torch": SentenceTransformerEmbedder(), "onnx-int8": OnnxEmbedder()}
    docs = {name: e.embed(texts) for name, e in backends.items()}
    asked = {name: e.embed(short + long) for name, e in backends.items()}
    cosine = (docs["torch"] * docs["onnx-int8"]).sum(axis=1)
    query_cosine = (asked["torch"] * asked["onnx-int8"]).sum(axis=1)
    top = {name: np.argsort(-(asked[name] @ docs[name].T), axis=1)[:, :10] for name in backends}
    overlap = [len(set(a) & set(b)) / 10 for a, b in zip(top["torch"], top["onnx-int8"])]
    same_first = float(np.mean(top["torch"][:, 0] == top["onnx-int8"][:, 0]))
    report = {
        "lessons": lessons, "queries": len(short) + len(long),
        "lesson_cosine": {"mean": round(float(cosine.mean()), 4), "min": round(float(cosine.min()), 4)},
        "query_cosine": {"mean": round(float(query_cosine.mean()), 4), "min": round(float(query_cosine.min()), 4)},
        "top10_overlap_mean": round(float(np.mean(overlap)), 3), "top1_same": round(same_first, 3),
        "speed": {name: speed(e, texts, short, long) for name, e in backends.items()},
        "torch_threads": torch_threads,
    }
    click.echo(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
