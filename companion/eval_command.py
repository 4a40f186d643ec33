"""``inflow eval DATASET_DIR``: retrieval quality of the /tips ranking on a labelled query set."""

from __future__ import annotations

import json
from pathlib import Path

import click

from content_index.embedder import load_embedder
from content_index.lessons import ValidationError
from content_index.reranker import load_reranker

from .evaluation import evaluate
from .index_commands import model_option, validation_failure

LABELS = (("ndcg@10", "nDCG@10"), ("mrr@10", "MRR@10"), ("p@1", "P@1"), ("recall@10", "Recall@10"),
          ("no_tip_rate", "no-tip rate"))


@click.command("eval")
@click.argument("dataset", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--content", "lessons", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Rank these lessons instead of the dataset's corpus.jsonl (for page sets labelled with lesson ids).")
@model_option
@click.option("--no-rerank", is_flag=True, help="Rank with the first stage alone (dense + lexical + rules, threshold).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def eval_command(dataset: Path, lessons: Path | None, model: str | None, no_rerank: bool, as_json: bool) -> None:
    """Score the ranking on DATASET (BEIR layout: corpus.jsonl, queries.jsonl, qrels/test.tsv).

    A query's metadata may carry the page "title" and "url"; queries without a relevant document
    count towards the no-tip rate (the share that got no tip at all).
    """
    if not (dataset / "queries.jsonl").is_file() or not (dataset / "qrels" / "test.tsv").is_file():
        raise click.ClickException(f"{dataset}: needs queries.jsonl and qrels/test.tsv")
    if lessons is None and not (dataset / "corpus.jsonl").is_file():
        raise click.ClickException(f"{dataset}: no corpus.jsonl; pass --content with the lesson folder")
    try:
        metrics = evaluate(dataset, load_embedder(model), lessons,
                           reranker=None if no_rerank else load_reranker(model))
    except ValidationError as error:
        raise validation_failure(error) from None
    if as_json:
        click.echo(json.dumps(metrics))
        return
    click.echo(f"{dataset}: {metrics['queries']} queries, {metrics['negatives']} without a relevant document")
    for key, label in LABELS:
        value = metrics[key]
        click.echo(f"  {label:<12} {'-' if value is None else f'{value:.4f}'}")
