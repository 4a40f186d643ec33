"""Inflow companion: the local service that ranks micro-lessons for a page and records learning events."""

import os

# Before numpy loads: OpenBLAS threads made each /tips request's tiny matrix products ~50x slower (9.5 ms
# -> 63 ms per request on 2 cores with another busy process). Requests are parallel across threads anyway.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
