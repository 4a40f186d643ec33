"""An LRU of query embeddings, so a page sent again (or a passage it shares) is not re-embedded."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Sequence

import numpy as np

from .embedder import Embedder


class QueryCache:
    """Wraps an embedder; remembers the vectors of the last ``size`` texts (by hash, never the text)."""

    def __init__(self, embedder: Embedder, size: int = 4096):
        self.embedder = embedder
        self.model_id = embedder.model_id
        self.dim = embedder.dim
        self.size = size
        self.hits = self.misses = 0
        self._vectors: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        keys = [hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=16).digest() for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        missing: dict[bytes, list[int]] = {}
        with self._lock:
            for row, key in enumerate(keys):
                vector = self._vectors.get(key)
                if vector is None:
                    missing.setdefault(key, []).append(row)
                else:
                    self._vectors.move_to_end(key)
                    out[row] = vector
            self.hits += len(keys) - sum(len(rows) for rows in missing.values())
            self.misses += len(missing)
        if missing:
            fresh = self.embedder.embed([texts[rows[0]] for rows in missing.values()], batch_size)
            with self._lock:
                for (key, rows), vector in zip(missing.items(), fresh):
                    out[rows] = vector
                    self._vectors[key] = vector
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        return out
