#!/usr/bin/env python3
"""Side-by-side with a peer: Inflow's /tips (over HTTP) against txtai's search, same corpus, queries, model.

txtai is never a dependency of Inflow: it lives in its own venv (PEER_PYTHON, default .venv-peer),
set up with `python3.11 -m venv .venv-peer && .venv-peer/bin/pip install torch==2.13.0 txtai`.
Run with Inflow's venv: `.venv/bin/python scripts/bench_peer.py [--lessons 10000] [--json]`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from companion.bench import UNCAPPED, WARMUP  # noqa: E402
from companion.bench_corpus import page_contexts, write_corpus  # noqa: E402
from companion.bench_measure import machine, percentiles, tips_latency, tips_ready  # noqa: E402
from companion.config import Paths  # noqa: E402
from companion.serve_process import ServeProcess  # noqa: E402
from content_index.build import build_index  # noqa: E402
from content_index.embedder import bundled_model_path, load_embedder  # noqa: E402
from content_index.lessons import load_content  # noqa: E402
from content_index.store import IndexStore, LessonIndex  # noqa: E402


def inflow_figures(content: Path, data: Path, contexts: list[dict], model: str) -> tuple[dict, dict]:
    """``/tips`` over HTTP, and the like-for-like search txtai does: embed the page once, top 10."""
    store = IndexStore(Paths(data).index)
    embedder = load_embedder(model)
    build_index(content, store, embedder)
    index = LessonIndex(store.current_dir())
    samples = []
    for number, body in enumerate(contexts):
        started = time.perf_counter()
        index.dense(embedder.embed([f"{body['title']} {body['text']}"])[0], 10)
        if number >= WARMUP:
            samples.append((time.perf_counter() - started) * 1000)
    server = ServeProcess(data, content, model=model, extra_args=UNCAPPED).launch()
    try:
        server.wait_until(tips_ready(server, contexts[0]), timeout=600)
        return tips_latency(server, contexts, WARMUP), percentiles(samples)
    finally:
        server.stop()


def txtai_figures(python: str, content: Path, contexts: list[dict], workdir: Path) -> dict:
    corpus, queries = workdir / "corpus.jsonl", workdir / "queries.json"
    with corpus.open("w", encoding="utf-8") as handle:
        for lesson in load_content(content).lessons:
            handle.write(json.dumps({"id": lesson.id, "text": lesson.search_text()}) + "\n")
    queries.write_text(json.dumps([f"{c['title']} {c['text']}" for c in contexts]))
    worker = REPO / "scripts" / "peer_txtai_worker.py"
    done = subprocess.run([python, str(worker), str(bundled_model_path()), str(corpus), str(queries), str(WARMUP)],
                          capture_output=True, text=True, check=True)
    raw = json.loads(done.stdout.strip().splitlines()[-1])
    return {"version": raw["txtai"], "index_seconds": raw["index_seconds"], "config": raw["config"],
            **percentiles(raw["samples_ms"])}


@click.command()
@click.option("--lessons", default=10_000, show_default=True)
@click.option("--words", default=250, show_default=True, help="Words of page text per query.")
@click.option("--requests", default=200, show_default=True)
@click.option("--peer-python", default=lambda: os.environ.get("PEER_PYTHON", str(REPO / ".venv-peer/bin/python")),
              help="Python of the venv where txtai is installed.")
@click.option("--model", default="onnx", show_default=True, help="Inflow's embedder (onnx or torch).")
@click.option("--json", "as_json", is_flag=True)
def main(lessons, words, requests, peer_python, model, as_json) -> None:
    """Print Inflow's and txtai's latencies on the same corpus and queries, and their ratio."""
    if not Path(peer_python).is_file():
        raise click.ClickException(f"{peer_python}: no peer venv (see this script's docstring)")
    contexts = page_contexts(WARMUP + requests, words)
    with tempfile.TemporaryDirectory(prefix="inflow-peer-") as tmp:
        content = Path(tmp) / "content"
        write_corpus(content, lessons)
        click.echo("inflow: build + /tips over HTTP", err=True)
        inflow, search = inflow_figures(content, Path(tmp) / "data", contexts, model)
        click.echo("txtai: index + search (in process, no HTTP)", err=True)
        peer = txtai_figures(peer_python, content, contexts, Path(tmp))
    report = {"machine": machine(), "lessons": lessons, "words": words, "inflow_tips_http_ms": inflow,
              "inflow_search_ms": search, "txtai_search_ms": peer,
              "ratio_p50": round(peer["p50"] / inflow["p50"], 2), "ratio_p95": round(peer["p95"] / inflow["p95"], 2),
              "search_ratio_p50": round(peer["p50"] / search["p50"], 2),
              "search_ratio_p95": round(peer["p95"] / search["p95"], 2)}
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"{lessons} lessons, {words}-word pages, {inflow['requests']} requests each")
    click.echo(f"  inflow /tips over HTTP   p50 {inflow['p50']} ms  p95 {inflow['p95']} ms")
    click.echo(f"  txtai search in process  p50 {peer['p50']} ms  p95 {peer['p95']} ms")
    click.echo(f"  inflow search in process p50 {search['p50']} ms  p95 {search['p95']} ms  (embed page once, top 10)")
    click.echo(f"  txtai / inflow /tips     p50 {report['ratio_p50']}x  p95 {report['ratio_p95']}x")
    click.echo(f"  txtai / inflow search    p50 {report['search_ratio_p50']}x  p95 {report['search_ratio_p95']}x")


if __name__ == "__main__":
    main()
