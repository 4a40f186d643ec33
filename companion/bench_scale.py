"""``inflow bench --scale``: the approximate (HNSW) index against exact search at 100k and 1M lessons.

Embedding a million lessons takes hours on 2 cores, so the large collections are made from real ones:
the lesson vectors of the largest benchmarked corpus (embedded with the model) are kept, and the rest
are new points near them — each a real vector moved a random 0–30 % towards another real vector, plus
Gaussian noise (cosine to its parent ≈ 0.9), L2-normalised. Queries are real: the passages that
``/tips`` embeds for the 250-word benchmark pages. The reported figures are search time per ``/tips``
request and index (the ranker searches the lesson index and, when lessons have situations, the
situations index, each with all of a request's query vectors, k=30), recall@10 of HNSW against exact
search, and a modelled ``/tips`` latency: the measured HTTP figure at the sample size with its exact
candidate search (every index, timed here) replaced by one HNSW search per index at the large size.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import faiss
import numpy as np

from content_index.build import HNSW_EF_SEARCH, make_vector_index
from content_index.embedder import load_embedder
from content_index.store import FAISS_THREADS, IndexStore, LessonIndex

from .bench_corpus import page_contexts
from .bench_measure import percentiles
from .config import Paths
from .context import PageContext
from .ranking import Ranker

CANDIDATES = 30
NOISE = 0.45
EF_SWEEP = (32, 64, 128, 256)


def synthetic_vectors(real: np.ndarray, count: int, seed: int = 5, chunk: int = 100_000) -> np.ndarray:
    """``count`` unit vectors: the real ones first, then points near random real ones (see module doc)."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, real.shape[1]), dtype=np.float32)
    kept = min(len(real), count)
    out[:kept] = real[:kept]
    for start in range(kept, count, chunk):
        n = min(chunk, count - start)
        parent, partner = rng.integers(0, len(real), n), rng.integers(0, len(real), n)
        t = rng.uniform(0, 0.3, (n, 1)).astype(np.float32)
        noise = rng.standard_normal((n, real.shape[1]), dtype=np.float32) * (NOISE / np.sqrt(real.shape[1]))
        block = (1 - t) * real[parent] + t * real[partner] + noise
        out[start:start + n] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


class Recorder:
    """An embedder wrapper keeping the vectors of its last call (what the ranker searched with)."""

    def __init__(self, embedder):
        self.embedder, self.model_id, self.dim = embedder, embedder.model_id, embedder.dim
        self.last = np.zeros((0, embedder.dim), dtype=np.float32)

    def embed(self, texts, batch_size: int = 32) -> np.ndarray:
        self.last = self.embedder.embed(texts, batch_size)
        return self.last


def request_queries(index: LessonIndex, model: str, count: int = 200) -> list[np.ndarray]:
    """The vectors ``/tips`` searches with for ``count`` 250-word benchmark pages, as the ranker makes them."""
    recorder = Recorder(load_embedder(model))
    ranker = Ranker(recorder)
    batches = []
    for body in page_contexts(count, 250, seed=23):
        ranker.rank(index, PageContext(url=body["url"], title=body["title"], text=body["text"],
                                       headings=body["headings"]))
        batches.append(np.ascontiguousarray(recorder.last, dtype=np.float32))
    return batches


def request_times(search, requests: list[np.ndarray]) -> dict:
    """Milliseconds per ``/tips`` request for ``search(queries, CANDIDATES)`` over each request's vectors."""
    samples = []
    for queries in requests:
        started = time.perf_counter()
        search(queries, CANDIDATES)
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def recall_at_10(exact: faiss.Index, approximate: faiss.Index, queries: np.ndarray, depth: int = 10) -> float:
    """Share of the exact top 10 found in the approximate top ``depth`` (10: recall@10; 30: among the
    candidates the ranker re-scores exactly)."""
    _, truth = exact.search(queries, 10)
    _, found = approximate.search(queries, depth)
    return round(float(np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found)])), 4)


def measure_size(vectors: np.ndarray, requests: list[np.ndarray], log) -> dict:
    """Exact vs HNSW at one collection size: build time, search time per request, recall@10, efSearch sweep."""
    singles = np.vstack([q[[0, -1]] for q in requests])  # one passage and the whole page of each request
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    log(f"[scale {len(vectors)}] building HNSW")
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # building uses every core
    started = time.perf_counter()
    hnsw = make_vector_index(vectors, approximate_above=0)
    build_seconds = time.perf_counter() - started
    faiss.omp_set_num_threads(FAISS_THREADS)
    sweep = []
    for ef in EF_SWEEP:
        hnsw.hnsw.efSearch = ef
        sweep.append({"ef_search": ef, "recall@10": recall_at_10(exact, hnsw, singles),
                      "recall@10_in_30_candidates": recall_at_10(exact, hnsw, singles, CANDIDATES),
                      "per_request_ms": request_times(hnsw.search, requests)})
    hnsw.hnsw.efSearch = HNSW_EF_SEARCH
    chosen = next(row for row in sweep if row["ef_search"] == HNSW_EF_SEARCH)
    return {
        "lessons": len(vectors),
        "hnsw_build_s": round(build_seconds, 1),
        "hnsw_build_vectors_per_s": round(len(vectors) / build_seconds),
        "exact_per_request_ms": request_times(exact.search, requests),
        "hnsw_per_request_ms": chosen["per_request_ms"],
        "recall@10": chosen["recall@10"],
        "recall@10_in_30_candidates": chosen["recall@10_in_30_candidates"],
        "ef_search": HNSW_EF_SEARCH,
        "ef_sweep": sweep,
    }


def run_scale(sample_data: Path, sizes: tuple[int, ...], model: str, log, tips_p95_ms: float | None = None) -> dict:
    """Figures for each size in ``sizes`` from the real vectors built under ``sample_data``."""
    current = IndexStore(Paths(sample_data).index).current_dir()
    faiss.omp_set_num_threads(FAISS_THREADS)
    sample_index = LessonIndex(current)
    real = np.array(sample_index.vector_matrix)
    log(f"[scale] embedding the queries of 200 pages; {len(real)} real lesson vectors")
    requests = request_queries(sample_index, model)
    sample = {"lessons": len(real), "indexes": 2 if sample_index.has_situations.any() else 1,
              "exact_candidates_per_request_ms": request_times(sample_index.candidates, requests)}
    results = []
    for size in sizes:
        vectors = synthetic_vectors(real, size)
        parents = float(np.mean(np.max(vectors[len(real):len(real) + 2000] @ real.T, axis=1))) if size > len(real) else 1.0
        results.append(measure_size(vectors, requests, log) | {"synthetic_max_cosine_to_real": round(parents, 3)})
        del vectors
    report = {"method": __doc__.split("\n\n", 1)[1].strip(), "sample": sample, "sizes": results, "budgets": []}
    if tips_p95_ms is not None:
        for row in results:
            modelled = (tips_p95_ms - sample["exact_candidates_per_request_ms"]["p95"]
                        + sample["indexes"] * row["hnsw_per_request_ms"]["p95"])
            row["tips_250_words_p95_ms_modelled"] = round(modelled, 1)
        largest = results[-1]
        report["budgets"] = [
            {"figure": f"/tips p95 at {largest['lessons']} lessons, modelled (ms)", "budget": 60,
             "measured": largest["tips_250_words_p95_ms_modelled"],
             "met": largest["tips_250_words_p95_ms_modelled"] <= 60},
            {"figure": f"recall@10 of HNSW vs exact at {largest['lessons']} lessons", "budget": 0.95,
             "measured": largest["recall@10"], "met": largest["recall@10"] >= 0.95},
        ]
    return report
