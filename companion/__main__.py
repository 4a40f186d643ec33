"""``python -m companion`` runs the ``inflow`` command line."""

from .cli import main

main()
