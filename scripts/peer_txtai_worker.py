"""Runs inside the peer venv (txtai installed there only): index a corpus, time search, print JSON.

Usage: peer_txtai_worker.py MODEL_DIR CORPUS_JSONL QUERIES_JSON WARMUP
"""

import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from txtai import Embeddings  # noqa: E402


def main(model_dir: str, corpus: str, queries: str, warmup: str) -> None:
    with open(corpus, encoding="utf-8") as handle:
        documents = [json.loads(line) for line in handle]
    with open(queries, encoding="utf-8") as handle:
        texts = json.load(handle)
    embeddings = Embeddings(path=model_dir, content=False)
    started = time.perf_counter()
    embeddings.index((doc["id"], doc["text"], None) for doc in documents)
    index_seconds = time.perf_counter() - started
    samples = []
    for number, text in enumerate(texts):
        started = time.perf_counter()
        embeddings.search(text, 10)
        if number >= int(warmup):
            samples.append((time.perf_counter() - started) * 1000)
    from importlib.metadata import version

    print(json.dumps({"txtai": version("txtai"), "index_seconds": round(index_seconds, 2),
                      "config": embeddings.config, "samples_ms": samples}, default=str))


if __name__ == "__main__":
    main(*sys.argv[1:5])
