"""Inflow companion: the local service that ranks micro-lessons for a page and records learning events."""

__version__ = "0.1.0"
