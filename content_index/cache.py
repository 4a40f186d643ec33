"""Embedding cache keyed by content hash, so a rebuild embeds only new or changed text."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .embedder import Embedder


def text_key(model_id: str, text: str) -> str:
    return hashlib.sha256(f"{model_id}\0{text}".encode()).hexdigest()


class EmbeddingCache:
    """A SQLite table of ``sha256(model id + text) -> vector``; committed batch by batch."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    def close(self) -> None:
        self.db.close()

    def embed(
        self,
        embedder: Embedder,
        texts: Sequence[str],
        batch_size: int = 64,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[np.ndarray, int]:
        """Vectors for ``texts`` (cached where possible) and how many texts were newly embedded."""
        keys = [text_key(embedder.model_id, t) for t in texts]
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for key, blob in self.db.execute(f"SELECT key, vector FROM embeddings WHERE key IN ({marks})", chunk):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        missing = [(k, t) for k, t in dict(zip(keys, texts)).items() if k not in found]
        if progress:
            progress(len(keys) - len(missing))
        for start in range(0, len(missing), batch_size):
            batch = missing[start:start + batch_size]
            vectors = embedder.embed([t for _, t in batch], batch_size=batch_size)
            rows = [(k, v.astype(np.float32).tobytes()) for (k, _), v in zip(batch, vectors)]
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?)", rows)
            for (key, _), vector in zip(batch, vectors):
                found[key] = vector
            if progress:
                progress(len(batch))
        matrix = np.vstack([found[k] for k in keys]) if keys else np.zeros((0, embedder.dim), np.float32)
        return np.ascontiguousarray(matrix, dtype=np.float32), len(missing)
