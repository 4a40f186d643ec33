"""``inflow bench``: build speed, start-up, ``/tips`` latency over HTTP, edit-to-served time and memory."""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import click

from content_index.build import build_index
from content_index.embedder import load_embedder
from content_index.store import IndexStore

from .bench_corpus import page_contexts, write_corpus
from .bench_measure import edit_to_served, machine, tips_latency, tips_ready
from .config import Paths
from .index_commands import model_option
from .serve_process import ServeProcess

DEFAULT_SIZES = (1_000, 10_000)
SCALE_SIZES = (100_000, 1_000_000)
WARMUP = 20
UNCAPPED = ("--tips-per-hour", "1000000", "--requests-per-minute", "1000000")
BUDGETS = (  # (figure, key path in the size with this many lessons, budget, larger is better)
    ("/tips p50, 250-word context, 10k lessons (ms)", (10_000, "tips_250_words_ms", "p50"), 15, False),
    ("/tips p95, 250-word context, 10k lessons (ms)", (10_000, "tips_250_words_ms", "p95"), 30, False),
    ("full index build (lessons/s)", (None, "build", "lessons_per_second"), 150, True),
    ("edit to served (s)", (None, "edit_to_served_s", "max"), 2, False),
    ("serve start to first tip (s)", (None, "start_to_first_tip_s"), 3, False),
    ("first serve start after a build, to first tip (s)", (None, "first_start_to_first_tip_s"), 3, False),
    ("serving RSS, 10k lessons (MB)", (10_000, "rss_peak_mb"), 400, False),
)


def start_server(data: Path, content: Path, model: str, body: dict, workdir: Path) -> tuple[ServeProcess, float]:
    """A watching ``inflow serve`` and the seconds from its launch to its first ``/tips`` answer."""
    server = ServeProcess(data, content, model=model, watch=True, extra_args=UNCAPPED,
                          log_path=workdir / "serve.log").launch()
    try:
        return server, round(server.wait_until(tips_ready(server, body), timeout=600), 3)
    except BaseException:
        server.stop()
        raise


def bench_size(lessons: int, model: str, requests: int, workdir: Path, log=click.echo) -> dict:
    """Every figure for one corpus size: build, start to first tip, /tips latencies, edits, memory."""
    content, data = workdir / f"content-{lessons}", workdir / f"data-{lessons}"
    ids = write_corpus(content, lessons)
    log(f"[{lessons}] building the index")
    built = build_index(content, IndexStore(Paths(data).index), load_embedder(model))
    result: dict = {"lessons": lessons, "build": {
        "seconds": round(built.seconds, 2), "lessons_per_second": round(built.lessons_per_second, 1),
        "embedded_texts": built.embedded}}
    short, long = (page_contexts(WARMUP + requests, words) for words in (30, 250))
    first, result["first_start_to_first_tip_s"] = start_server(data, content, model, short[0], workdir)
    first.stop()  # the first start after a build checks every file once; a restart is the usual case
    server, result["start_to_first_tip_s"] = start_server(data, content, model, short[0], workdir)
    try:
        log(f"[{lessons}] /tips latency over HTTP")
        result["tips_30_words_ms"] = tips_latency(server, short, WARMUP)
        result["tips_250_words_ms"] = tips_latency(server, long, WARMUP)
        result["tips_250_words_repeated_ms"] = tips_latency(server, long[:WARMUP] * 6, WARMUP)
        result["rss_after_tips_mb"] = round(server.peak_rss() / 2**20, 1) if server.peak_rss() else None
        log(f"[{lessons}] edit to served")
        path = content / "lessons" / f"{ids[0]}.md"
        edits = [edit_to_served(server, path, ids[0], attempt) for attempt in range(3)]
        result["edit_to_served_s"] = {"median": statistics.median(edits), "max": max(edits), "runs": edits}
        peak = server.peak_rss()
        result["rss_peak_mb"] = round(peak / 2**20, 1) if peak else None
    finally:
        server.stop()
    return result


def budgets(sizes: list[dict]) -> list[dict]:
    """Each §8 budget with the figure measured for it (the worst over sizes when no size is named)."""
    rows = []
    for figure, (size, *path), budget, larger_is_better in BUDGETS:
        values = []
        for measured in sizes:
            if size is None or measured["lessons"] == size:
                value = measured
                for key in path:
                    value = value.get(key) if isinstance(value, dict) else None
                if value is not None:
                    values.append(value)
        if not values:
            continue
        value = min(values) if larger_is_better else max(values)
        rows.append({"figure": figure, "budget": budget, "measured": value,
                     "met": value >= budget if larger_is_better else value <= budget})
    return rows


def run_bench(sizes: list[int], model: str, requests: int, scale: bool, log=click.echo) -> dict:
    """The whole report: machine, every size and (with ``scale``) the approximate-index figures."""
    report: dict = {"machine": machine(), "model": model, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    with tempfile.TemporaryDirectory(prefix="inflow-bench-") as tmp:
        report["sizes"] = [bench_size(n, model, requests, Path(tmp), log) for n in sizes]
        report["model_id"] = json.loads(next(Path(tmp).glob("data-*/index/current/manifest.json")).read_text())["model"]
        if scale:
            from .bench_scale import run_scale

            sample = max(report["sizes"], key=lambda size: size["lessons"])
            report["scale"] = run_scale(Path(tmp) / f"data-{sample['lessons']}", SCALE_SIZES, model, log,
                                        sample["tips_250_words_ms"]["p95"])
    report["budgets"] = budgets(report["sizes"]) + report.get("scale", {}).get("budgets", [])
    return report


@click.command("bench")
@click.option("--lessons", "-n", "lessons", type=click.IntRange(5), multiple=True,
              help="Corpus size (repeatable). Default: 1000 and 10000.")
@click.option("--scale", is_flag=True, help="Also measure the approximate index at 100k and 1M lessons.")
@click.option("--requests", default=200, show_default=True, type=click.IntRange(1),
              help="Measured /tips requests per context length (after 20 warm-up requests).")
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the JSON report to this file.")
def bench_command(lessons, scale, requests, model, as_json, out) -> None:
    """Measure build speed, start-up, /tips latency, edit-to-served time and memory on synthetic lessons.

    Generates ~120-word lessons (fixed seed) in a temporary folder, builds them, runs `inflow serve` as
    a real waitress process and talks to it over HTTP. Figures only; see docs/benchmarks.md.
    """
    model = model or os.environ.get("INFLOW_MODEL") or "onnx"
    log = (lambda message: click.echo(message, err=True)) if as_json else click.echo
    report = run_bench(list(lessons) or list(DEFAULT_SIZES), model, requests, scale, log)
    text = json.dumps(report, indent=2)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
    if as_json:
        click.echo(text)
        return
    for size in report["sizes"]:
        click.echo(f"{size['lessons']} lessons: build {size['build']['lessons_per_second']} lessons/s, "
                   f"start→tip {size['start_to_first_tip_s']} s, /tips 250 words p50 "
                   f"{size['tips_250_words_ms']['p50']} ms p95 {size['tips_250_words_ms']['p95']} ms, "
                   f"edit→served {size['edit_to_served_s']['max']} s, RSS {size['rss_peak_mb']} MB")
    for row in report["budgets"]:
        click.echo(f"  {'met ' if row['met'] else 'MISS'} {row['figure']}: {row['measured']} (budget {row['budget']})")
