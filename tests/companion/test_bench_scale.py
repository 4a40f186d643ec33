"""``inflow bench --scale`` pieces: synthetic collections built from real vectors, HNSW vs exact figures."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from companion.bench_scale import measure_size, recall_at_10, synthetic_vectors
from tests.conftest import REPO


def unit_rows(rows: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_synthetic_vectors_keep_the_real_ones_and_stay_near_them():
    real = unit_rows(50)
    vectors = synthetic_vectors(real, 1000, chunk=300)
    assert vectors.shape == (1000, 32) and vectors.dtype == np.float32
    assert np.array_equal(vectors[:50], real)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    nearest = (vectors[50:] @ real.T).max(axis=1)
    assert nearest.mean() > 0.7, "new points lie near real lessons, not uniformly on the sphere"
    assert np.array_equal(synthetic_vectors(real, 1000, chunk=300), vectors), "deterministic"


def test_measure_size_reports_recall_and_times():
    import faiss

    vectors = synthetic_vectors(unit_rows(100), 2000)
    requests = [unit_rows(5, seed=s) for s in range(1, 11)]
    row = measure_size(vectors, requests, log=lambda message: None)
    assert row["lessons"] == 2000 and row["recall@10"] >= 0.9
    assert row["exact_per_request_ms"]["requests"] == 10 and row["hnsw_per_request_ms"]["p50"] > 0
    assert [r["ef_search"] for r in row["ef_sweep"]] == [32, 64, 128, 256]
    assert row["recall@10_in_30_candidates"] >= row["recall@10"]
    exact = faiss.IndexFlatIP(32)
    exact.add(vectors)
    assert recall_at_10(exact, exact, requests[0]) == 1.0


def test_peer_script_explains_a_missing_peer_venv(tmp_path):
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "bench_peer.py"), "--peer-python",
                           str(tmp_path / "nope" / "python")], capture_output=True, text=True)
    assert done.returncode == 1 and "no peer venv" in done.stderr
