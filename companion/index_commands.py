"""``inflow index …``: validate, build, watch and roll back the lesson index."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from .config import Paths, content_dir, data_dir

from content_index.build import BuildResult, build_index
from content_index.embedder import load_embedder
from content_index.lessons import ValidationError, load_content
from content_index.store import IndexStore
from content_index.watcher import ContentWatcher

content_option = click.option(
    "--content", "content", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Lesson folder (with lessons/ and roles/). Default: $INFLOW_HOME/content or the starter content.",
)
data_option = click.option(
    "--data-dir", "data", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Where the index and events live. Default: $INFLOW_HOME/data or the user data dir.",
)
model_option = click.option(
    "--model", default=None, envvar="INFLOW_MODEL",
    help="onnx (default: the bundled all-MiniLM-L6-v2 on ONNX Runtime, int8), torch (the same model on "
         "sentence-transformers), fake (tests) or a local sentence-transformers model folder.",
)
plain_option = click.option("--plain", is_flag=True, help="Plain line output, no progress bar (for cron/CI).")


def validation_failure(error: ValidationError) -> click.ClickException:
    lines = [str(p) for p in error.problems]
    return click.ClickException(f"{len(lines)} problem(s) in the content:\n" + "\n".join(lines))


def run_build(content: Path, store: IndexStore, embedder, plain: bool, force: bool = False) -> BuildResult:
    """Build once, with a progress bar on a terminal, else a line per 10% for large builds."""
    if not plain and sys.stderr.isatty():
        with click.progressbar(length=1, label="Embedding lessons", file=sys.stderr) as bar:
            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)
            return build_index(content, store, embedder, progress=progress, force=force)
    return build_index(content, store, embedder, progress=progress_lines(), force=force)


def progress_lines(at_least: int = 5000, step: float = 0.1):
    """A progress callback printing ``embedded N/TOTAL lessons`` every ``step`` of builds this large."""
    shown = 0

    def progress(done: int, total: int) -> None:
        nonlocal shown
        if total >= at_least and (done - shown >= total * step or (done == total and shown < total)):
            click.echo(f"embedded {done}/{total} lessons", err=True)
            shown = done
    return progress


def describe(result: BuildResult) -> str:
    if not result.published:
        return f"unchanged: {result.lessons} lessons, current version {result.version}"
    return (
        f"published {result.version}: {result.lessons} lessons"
        f"{f' and {result.examples} example pages' if result.examples else ''}, {result.embedded} embedded, "
        f"{result.seconds:.2f} s ({result.lessons_per_second:.0f} lessons/s)"
    )


@click.group("index")
def index_group() -> None:
    """Validate, build, watch or roll back the micro-lesson search index."""


@index_group.command("validate")
@content_option
def validate(content: Path | None) -> None:
    """Check every lesson and role file; print each problem as file:line: field: message."""
    folder = content_dir(content)
    try:
        loaded = load_content(folder)
    except ValidationError as error:
        raise validation_failure(error) from None
    click.echo(f"ok: {len(loaded.lessons)} lessons, {len(loaded.roles)} roles, {len(loaded.examples)} example pages in {folder}")


@index_group.command("build")
@content_option
@data_option
@model_option
@plain_option
@click.option("--force", is_flag=True, help="Publish a new version even if nothing changed.")
def build(content: Path | None, data: Path | None, model: str | None, plain: bool, force: bool) -> None:
    """Build the index and publish it as the current version (an invalid folder publishes nothing)."""
    store = IndexStore(Paths(data_dir(data)).index)
    try:
        result = run_build(content_dir(content), store, load_embedder(model), plain, force)
    except ValidationError as error:
        raise validation_failure(error) from None
    click.echo(describe(result))


@index_group.command("watch")
@content_option
@data_option
@model_option
def watch(content: Path | None, data: Path | None, model: str | None) -> None:
    """Rebuild and publish whenever a lesson or role file changes (Ctrl+C stops)."""
    folder = content_dir(content)
    store = IndexStore(Paths(data_dir(data)).index)
    embedder = load_embedder(model)

    def rebuild() -> None:
        try:
            click.echo(describe(build_index(folder, store, embedder)))
        except ValidationError as error:
            click.echo(validation_failure(error).message, err=True)

    rebuild()
    watcher = ContentWatcher(folder, rebuild).start()
    click.echo(f"watching {folder} (Ctrl+C to stop)")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()


@index_group.command("rollback")
@data_option
def rollback(data: Path | None) -> None:
    """Make the previous index version current again."""
    try:
        version = IndexStore(Paths(data_dir(data)).index).rollback()
    except LookupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"current version is now {version}")
