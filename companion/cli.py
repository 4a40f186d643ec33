"""The ``inflow`` command line."""

from __future__ import annotations

import click

from . import __version__
from .bench import bench_command
from .data_commands import data_group, export_group
from .eval_command import eval_command
from .index_commands import index_group
from .model_commands import model_group
from .serve_commands import pair, serve


@click.group()
@click.version_option(__version__, prog_name="inflow")
def main() -> None:
    """Inflow: micro-lessons in the flow of work, served on this machine only."""


main.add_command(index_group)
main.add_command(eval_command)
main.add_command(serve)
main.add_command(pair)
main.add_command(bench_command)
main.add_command(model_group)
main.add_command(export_group)
main.add_command(data_group)
