"""The bundled model on ONNX Runtime (int8): exported once with torch, then served without importing torch.

The export (``export_onnx``) runs the model's transformer through ``torch.onnx.export`` and
dynamic-quantises its weights to int8; mean pooling and L2 normalisation are done here in numpy, so
vectors match sentence-transformers' (measured in docs/benchmarks.md). Exported files live in a cache
folder keyed by a fingerprint of the model folder (and of the page adapter folded into it), so every
later start only loads them (~0.2 s).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from .embedder import adapter_fingerprint, merge_adapter, model_source

log = logging.getLogger(__name__)
MAX_TOKENS = 256          # sentence-transformers' max_seq_length for all-MiniLM-L6-v2
EXPORT_VERSION = 3        # bump when the export recipe changes, so old caches are not reused
MODEL_FILE = "model-int8.onnx"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"  # named model.<this> in the export


def model_fingerprint(model_path: Path) -> str:
    """A cheap, stable key for a model folder: names, sizes and the first/last MiB of each file."""
    digest = hashlib.sha256(f"export-v{EXPORT_VERSION}".encode())
    for path in sorted(p for p in Path(model_path).rglob("*") if p.is_file() and ".git" not in p.parts):
        size = path.stat().st_size
        digest.update(f"{path.relative_to(model_path)}\0{size}\0".encode())
        with path.open("rb") as handle:
            digest.update(handle.read(1 << 20))
            if size > 2 << 20:
                handle.seek(-(1 << 20), os.SEEK_END)
                digest.update(handle.read())
    return digest.hexdigest()[:16]


def model_cache_root() -> Path:
    """``$INFLOW_MODEL_CACHE``, else ``$INFLOW_HOME/cache/models``, else the user cache dir."""
    if os.environ.get("INFLOW_MODEL_CACHE"):
        return Path(os.environ["INFLOW_MODEL_CACHE"])
    if os.environ.get("INFLOW_HOME"):
        return Path(os.environ["INFLOW_HOME"]) / "cache" / "models"
    import platformdirs

    return Path(platformdirs.user_cache_dir("inflow", appauthor=False)) / "models"


def exported_dir(model_path: Path, cache_root: Path | None = None, adapter: Path | None = None) -> Path:
    """Where the ONNX export of ``model_path`` (with ``adapter`` folded in) lives (it may not exist yet)."""
    key = model_fingerprint(model_path) + (f"-{adapter_fingerprint(adapter)}" if adapter else "")
    return (cache_root or model_cache_root()) / f"{Path(model_path).name}-onnx-{key}"


def export_onnx(model_path: Path, target: Path, adapter: Path | None = None) -> Path:
    """Export ``model_path`` (with the LoRA ``adapter`` folded in) to ``target/model-int8.onnx``
    (+ tokenizer.json); atomic, safe to race."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    model_path, target = Path(model_path), Path(target)
    if (target / MODEL_FILE).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    try:
        model = merge_adapter(AutoModel.from_pretrained(str(model_path), local_files_only=True), adapter).eval()

        class Encoder(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.model(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state

        sample = tuple(torch.ones(2, 16, dtype=torch.long) for _ in INPUTS)
        axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
        with torch.no_grad():
            torch.onnx.export(Encoder(), sample, str(work / "model.onnx"), input_names=list(INPUTS),
                              output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17,
                              dynamo=False)
        # MatMul weights only, per output channel, except each layer's FFN output projection (its GELU
        # input has outliers that int8 activations clip): cosine 0.998 to torch and the same StackFAQ
        # nDCG@10. Quantising those too was 1.3x faster but lost 0.0016 nDCG; the default (per-tensor,
        # every op) reached only 0.949 cosine (docs/benchmarks.md).
        quantize_dynamic(str(work / "model.onnx"), str(work / MODEL_FILE), weight_type=QuantType.QInt8,
                         per_channel=True, op_types_to_quantize=["MatMul"],
                         nodes_to_exclude=ffn_output_nodes(work / "model.onnx"))
        (work / "model.onnx").unlink()
        shutil.copy(model_path / "tokenizer.json", work / "tokenizer.json")
        (work / "export.json").write_text(json.dumps({"source": str(model_path), "adapter": str(adapter or ""),
                                                      "version": EXPORT_VERSION,
                                                      "torch": torch.__version__, "quantization": "dynamic int8"}))
        try:
            os.rename(work, target)
        except OSError:  # another process finished the same export first
            if not (target / MODEL_FILE).is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def ffn_output_nodes(path: Path) -> list[str]:
    """Names of the MatMuls projecting each transformer layer's feed-forward output (1536 -> 384)."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    return [n.name for n in graph.node if n.op_type == "MatMul" and re.search(r"layer\.\d+/output/dense/", n.name)]


def ensure_exported(model_path: Path, cache_root: Path | None = None, adapter: Path | None = None) -> Path:
    """The export folder for ``model_path`` (+ ``adapter``), exporting it first (in a child process, so
    this process never imports torch) when it is missing."""
    target = exported_dir(model_path, cache_root, adapter)
    if not (target / MODEL_FILE).is_file():
        log.warning("exporting %s to ONNX int8 once (about 15 s) into %s", model_path, target)
        command = [sys.executable, "-m", "content_index.onnx_embedder", str(model_path), str(target)]
        done = subprocess.run(command + ([str(adapter)] if adapter else []), capture_output=True, text=True)
        if done.returncode:
            raise OSError(f"ONNX export failed: {done.stderr.strip().splitlines()[-1:]}")
    return target


@lru_cache(maxsize=4)
def shared_word_embeddings(model_path: Path) -> dict:
    """The model's word-embedding table (30522 x 384, 47 MB) as one ONNX Runtime value, for every
    session exported from this model: the adapters leave it untouched, so the embedder and the
    reranker hold one copy instead of two. Empty when the folder has no such weight."""
    import onnxruntime as ort
    from safetensors import safe_open

    weights = Path(model_path) / "model.safetensors"
    if not weights.is_file():
        return {}
    with safe_open(str(weights), "np") as tensors:
        if WORD_EMBEDDINGS not in tensors.keys():
            return {}
        table = np.ascontiguousarray(tensors.get_tensor(WORD_EMBEDDINGS), dtype=np.float32)
    return {f"model.{WORD_EMBEDDINGS}": ort.OrtValue.ortvalue_from_numpy(table)}


def load_session(folder: Path, threads: int = 1, shared: dict | None = None):
    """(ONNX Runtime session, tokenizer) for an export folder; ``threads`` intra-op threads per call;
    ``shared``: initializers (name -> OrtValue) to use instead of the file's own copies."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    for name, value in (shared or {}).items():
        options.add_initializer(name, value)
    session = ort.InferenceSession(str(folder / MODEL_FILE), options, providers=["CPUExecutionProvider"])
    return session, Tokenizer.from_file(str(folder / "tokenizer.json"))


def pooled_vector(session, encoding) -> np.ndarray:
    """The L2-normalised mean of the token states for one unpadded encoding (a text or a text pair)."""
    feeds = {"input_ids": np.asarray([encoding.ids], dtype=np.int64),
             "attention_mask": np.asarray([encoding.attention_mask], dtype=np.int64),
             "token_type_ids": np.asarray([encoding.type_ids], dtype=np.int64)}
    pooled = session.run(None, feeds)[0][0].mean(axis=0)  # mean pooling (no padding to mask)
    return pooled / max(float(np.linalg.norm(pooled)), 1e-12)


class OnnxEmbedder:
    """all-MiniLM-L6-v2 (int8) on ONNX Runtime + ``tokenizers``: mean pooling, L2-normalised.

    Each inference call embeds one text on one thread (with another busy core, two intra-op threads
    were 2x slower); a list of texts runs on ``workers`` threads at once, so builds and the passages of
    a long page still use every core. Its own ``model_id``: vectors differ slightly from torch's (cosine
    0.998), so cached torch vectors are never mixed into an ONNX index.
    """

    def __init__(self, model_path: Path | str | None = None, cache_root: Path | None = None,
                 threads: int = 1, workers: int | None = None, use_adapter: bool = True):
        source, adapter, name = model_source(model_path, use_adapter)
        self.model_folder = folder = ensure_exported(source, cache_root, adapter)
        self.model_id = f"{name}-onnx-int8"
        self.session, self.tokenizer = load_session(folder, threads, shared_word_embeddings(source))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        self.dim = int(self.session.get_outputs()[0].shape[-1] or 384)
        self.workers = workers or os.cpu_count() or 1
        self.pool = ThreadPoolExecutor(self.workers, thread_name_prefix="onnx") if self.workers > 1 else None

    def _run(self, encoding) -> np.ndarray:
        """One text per inference call: no padding, and the vector never depends on what else is being
        embedded (dynamic int8 quantises activations per call, so batching moved vectors by up to 0.025
        cosine); it was also the fastest on this CPU (84 lessons/s per core vs 71 at batch 8)."""
        return pooled_vector(self.session, encoding)

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Vectors in input order; ``batch_size`` is accepted for the interface and not needed."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(list(texts)) if len(texts) else []
        results = self.pool.map(self._run, encodings) if self.pool and len(encodings) > 1 else map(self._run, encodings)
        for row, vector in enumerate(results):
            out[row] = vector
        return out


if __name__ == "__main__":  # python -m content_index.onnx_embedder MODEL_DIR TARGET_DIR [ADAPTER_DIR]
    export_onnx(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
