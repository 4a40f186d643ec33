"""Measurements for ``inflow bench``: latency percentiles over HTTP, edit-to-served time, the machine."""

from __future__ import annotations

import os
import platform
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import requests

from .serve_process import ServeProcess


def percentiles(samples_ms: list[float]) -> dict:
    """p50/p95/p99/mean/max of latencies in milliseconds, and how many there were."""
    values = np.asarray(samples_ms, dtype=float)
    return {"requests": int(values.size), **{f"p{q}": round(float(np.percentile(values, q)), 2) for q in (50, 95, 99)},
            "mean": round(float(values.mean()), 2), "max": round(float(values.max()), 2)}


def machine() -> dict:
    """CPU, Python and package versions (read from metadata, so torch is not imported)."""
    model = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                  if line.startswith("model name")), platform.processor())
    versions = {}
    for package in ("inflow", "onnxruntime", "faiss-cpu", "numpy", "tokenizers", "torch", "sentence-transformers",
                    "waitress", "flask"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {"cpus": os.cpu_count(), "cpu_model": model, "python": platform.python_version(),
            "platform": platform.platform(), "load_average_1m": round(os.getloadavg()[0], 2), "versions": versions}


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def tips_ready(server: ServeProcess, body: dict):
    """A readiness check: True once ``POST /tips`` answers 200 (the token file exists by then)."""
    def ready() -> bool:
        if not (server.data_dir / "token").is_file():
            return False
        return requests.post(f"{server.url}/tips", json=body, headers=server.headers(), timeout=5).ok
    return ready


def tips_latency(server: ServeProcess, contexts: list[dict], warmup: int = 20) -> dict:
    """Client-side ``POST /tips`` round trips (keep-alive), after ``warmup`` unmeasured requests."""
    session = requests.Session()
    session.headers.update(server.headers())
    samples, with_tips, failures = [], 0, 0
    for number, body in enumerate(contexts):
        started = time.perf_counter()
        response = session.post(f"{server.url}/tips", json=body, timeout=30)
        elapsed = (time.perf_counter() - started) * 1000
        if number < warmup:
            continue
        if response.status_code != 200:
            failures += 1
            continue
        samples.append(elapsed)
        with_tips += bool(response.json()["tips"])
    result = percentiles(samples)
    result.update(failures=failures, with_tips=round(with_tips / max(len(samples), 1), 3))
    return result


def edit_to_served(server: ServeProcess, lesson_path: Path, lesson_id: str, attempt: int,
                   timeout: float = 120) -> float:
    """Seconds from saving a new title into ``lesson_path`` until ``GET /lessons/<id>`` serves it."""
    title = f"Edited title number {attempt} for the latency check"
    text = lesson_path.read_text(encoding="utf-8")
    lines = [f"title: {title}" if line.startswith("title:") else line for line in text.splitlines()]
    session = requests.Session()
    session.headers.update(server.headers())
    started = time.perf_counter()
    lesson_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    deadline = started + timeout
    while time.perf_counter() < deadline:
        served = session.get(f"{server.url}/lessons/{lesson_id}", timeout=10)
        if served.ok and served.json()["title"] == title:
            return round(time.perf_counter() - started, 3)
        time.sleep(0.02)
    raise TimeoutError(f"edited lesson {lesson_id} not served within {timeout} s")
