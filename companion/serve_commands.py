"""``inflow serve`` and ``inflow pair``."""

from __future__ import annotations

import ctypes
import ipaddress
import logging
import threading
from pathlib import Path

import click

from content_index.build import build_index
from content_index.embedder import load_embedder
from content_index.lessons import ValidationError, load_content
from content_index.query_cache import QueryCache
from content_index.reranker import load_reranker
from content_index.store import IndexStore
from content_index.watcher import ContentWatcher

from .app import Settings, create_app
from .config import DEFAULT_PORT, REPO_CONTENT, Paths, content_dir, data_dir
from .index_commands import content_option, data_option, describe, model_option, run_build, validation_failure
from .security import Pairing

log = logging.getLogger("inflow")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tune_malloc(arenas: int = 2, mmap_threshold: int = 1 << 20) -> None:
    """glibc malloc settings for a long-running server, set before its threads start.

    At most ``arenas`` arenas: with 8 request threads and 2 inference threads each growing its own
    arena, freed memory was not reused (RSS creep). Blocks of 1 MB and more are always mmapped, so
    freeing them returns them to the system: glibc otherwise raises its mmap threshold after the first
    such free and keeps later vector matrices on the heap (peak RSS at 10k lessons over three
    in-process rebuilds: 441 -> 389 MB).
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
        libc.mallopt(-3, mmap_threshold)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass  # not glibc


def prime_parse_cache(folder: Path) -> None:
    """Parse the content folder once in the background, so the first edit re-parses one file, not all."""
    try:
        load_content(folder)
    except Exception:  # an invalid folder is reported by the rebuild that meets it
        pass


def print_welcome(port: int, lessons: int, code: str) -> None:
    extension = REPO_CONTENT.parent / "extension"
    click.echo(f"Inflow companion: {lessons} lessons at http://127.0.0.1:{port}  (Ctrl+C stops)")
    click.echo(f"Pairing code (valid 5 minutes, one use): {code}")
    click.echo(
        "Load the extension: chrome://extensions → Developer mode → Load unpacked → "
        f"{extension}\nthen open its options, enter the code and list the sites you work on."
    )


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (loopback only).")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535))
@content_option
@data_option
@model_option
@click.option("--no-watch", is_flag=True, help="Do not watch the content folder for changes.")
@click.option("--allow-non-loopback", is_flag=True, help="Permit a non-loopback --host (not recommended).")
@click.option("--firefox-origin", multiple=True, envvar="INFLOW_FIREFOX_ORIGIN",
              help="The Firefox extension's moz-extension://UUID origin to accept as well.")
@click.option("--tips-per-hour", default=12, show_default=True, type=click.IntRange(0, 10**6),
              help="Fatigue cap: at most this many tips shown per hour.")
@click.option("--retention-days", default=365, show_default=True, type=click.IntRange(1, 36500),
              help="Delete events older than this.")
@click.option("--record-gaps", is_flag=True, help="Keep redacted keywords of pages where no tip was good enough.")
@click.option("--requests-per-minute", default=600, show_default=True, type=click.IntRange(1, 10**6),
              help="Rate limit per route.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
def serve(host, port, content, data, model, no_watch, allow_non_loopback, firefox_origin, tips_per_hour,
          retention_days, record_gaps, requests_per_minute, threads) -> None:
    """Serve tips to the extension on 127.0.0.1 (builds the index first if there is none)."""
    if not is_loopback(host) and not allow_non_loopback:
        raise click.ClickException(f"refusing to listen on {host}: Inflow serves this machine only "
                                   "(use --allow-non-loopback to override)")
    tune_malloc()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    folder = content_dir(content)
    paths = Paths(data_dir(data))
    store = IndexStore(paths.index)
    embedder = load_embedder(model)
    try:
        result = run_build(folder, store, embedder, plain=True)
        click.echo(describe(result))
    except ValidationError as error:
        if store.current_dir() is None:
            raise validation_failure(error) from None
        click.echo(validation_failure(error).message + "\nserving the last good version", err=True)
    settings = Settings(data_dir=paths.root, port=port, extra_origins=tuple(firefox_origin),
                        tips_per_hour=tips_per_hour, retention_days=retention_days, record_gaps=record_gaps,
                        requests_per_minute=requests_per_minute)
    app = create_app(settings, QueryCache(embedder), load_reranker(model))
    holder = app.extensions["inflow"].holder
    watcher = None
    if not no_watch:
        def rebuild() -> None:
            try:
                log.info(describe(build_index(folder, store, embedder)))
            except ValidationError as error:
                log.error(validation_failure(error).message)
            holder.refresh()

        watcher = ContentWatcher(folder, rebuild).start()
        threading.Thread(target=prime_parse_cache, args=(folder,), name="prime", daemon=True).start()
    embedder.embed(["warm up"])
    print_welcome(port, len(holder.index), Pairing(paths.pairing).issue())
    from waitress import serve as waitress_serve

    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="inflow", clear_untrusted_proxy_headers=True)
    finally:
        if watcher:
            watcher.stop()


@click.command("pair")
@data_option
def pair(data: Path | None) -> None:
    """Print a one-time 6-digit code for the extension's options page (valid 5 minutes)."""
    code = Pairing(Paths(data_dir(data)).pairing).issue()
    click.echo(code)
    click.echo("Enter this code in the Inflow extension's options within 5 minutes.", err=True)
