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
        """Vectors for ``texts`` (cached where possible) and how many texts were newly embedded.

        Each batch is committed as soon as it is embedded, so a build that is killed resumes where it
        stopped; vectors go straight into one preallocated matrix (memory: the result, nothing more).
        """
        matrix = np.zeros((len(texts), embedder.dim), dtype=np.float32)
        rows_of: dict[str, list[int]] = {}
        for row, text in enumerate(texts):
            rows_of.setdefault(text_key(embedder.model_id, text), []).append(row)
        unique = list(rows_of)
        found: set[str] = set()
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for key, blob in self.db.execute(f"SELECT key, vector FROM embeddings WHERE key IN ({marks})", chunk):
                matrix[rows_of[key]] = np.frombuffer(blob, dtype=np.float32)
                found.add(key)
        missing = [key for key in unique if key not in found]
        if progress:
            progress(len(texts) - sum(len(rows_of[key]) for key in missing))
        for start in range(0, len(missing), batch_size):
            batch = missing[start:start + batch_size]
            vectors = embedder.embed([texts[rows_of[key][0]] for key in batch], batch_size=batch_size)
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?)",
                                    [(key, v.astype(np.float32).tobytes()) for key, v in zip(batch, vectors)])
            for key, vector in zip(batch, vectors):
                matrix[rows_of[key]] = vector
            if progress:
                progress(sum(len(rows_of[key]) for key in batch))
        return matrix, len(missing)
