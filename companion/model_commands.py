"""``inflow model export``: prepare the ONNX int8 copy of the bundled model ahead of the first start."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("model")
def model_group() -> None:
    """Manage the local embedding model (never downloaded)."""


@model_group.command("export")
@click.option("--model-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="A local sentence-transformers folder (default: the bundled all-MiniLM-L6-v2 with its page adapter).")
def export(model_dir: Path | None) -> None:
    """Export the model (and, for the bundled one, its reranker) to ONNX and quantise it to int8, once;
    later starts load them without torch."""
    from content_index.embedder import bundled_model_path, model_source
    from content_index.onnx_embedder import ensure_exported
    from content_index.reranker import bundled_reranker_path

    source, adapter, _ = model_source(model_dir)
    click.echo(ensure_exported(source, adapter=adapter))
    if model_dir is None:
        click.echo(ensure_exported(bundled_model_path(), adapter=bundled_reranker_path()))
