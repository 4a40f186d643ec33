"""The ONNX int8 backend: batching, export caching, and (with the real model) closeness to torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from content_index.embedder import bundled_adapter_path, bundled_model_path
from content_index.onnx_embedder import MODEL_FILE, exported_dir, model_fingerprint
from content_index.store import LessonIndex
from tests.conftest import REPO

QUERIES = [
    "who should I add as reviewers so my pull request gets looked at",
    "my vlookup keeps returning the wrong row from the price list",
    "turn a lead into an account and contact after a discovery call",
    "send this email tomorrow at 8am instead of now",
    "Quarterly plan · Google Sheets. Revenue by region, filter views, the header row disappears when I scroll "
    "down past row 40 and I keep losing track of which column is which in the forecast tab.",
]


def test_fingerprint_is_stable_and_notices_changes(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "tokenizer.json").write_text("{}")
    first = model_fingerprint(model)
    assert model_fingerprint(model) == first
    (model / "config.json").write_text('{"hidden_size": 384}')
    assert model_fingerprint(model) != first
    assert exported_dir(model, tmp_path / "cache").parent == tmp_path / "cache"


@pytest.fixture(scope="session")
def onnx_embedder(tmp_path_factory):
    from content_index.onnx_embedder import OnnxEmbedder

    return OnnxEmbedder(cache_root=tmp_path_factory.mktemp("models"))


@pytest.mark.model
def test_onnx_vectors_match_torch(onnx_embedder, real_embedder, starter_store):
    index = LessonIndex(starter_store.current_dir())
    texts = [index.detail(lesson["id"])["body"] for lesson in index.lessons] + QUERIES
    ours, theirs = onnx_embedder.embed(texts), real_embedder.embed(texts)
    assert ours.shape == theirs.shape and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    cosine = (ours * theirs).sum(axis=1)
    assert cosine.mean() >= 0.99 and cosine.min() >= 0.97, (cosine.mean(), cosine.min())
    lessons = len(index.lessons)
    for q in range(lessons, len(texts)):
        top = lambda m: list(np.argsort(-(m[:lessons] @ m[q]))[:3])  # noqa: E731
        assert top(ours)[0] == top(theirs)[0] and len(set(top(ours)) & set(top(theirs))) >= 2


@pytest.mark.model
def test_a_text_gets_the_same_vector_whatever_it_is_embedded_with(onnx_embedder):
    together = onnx_embedder.embed(QUERIES, batch_size=8)
    alone = np.vstack([onnx_embedder.embed([q]) for q in QUERIES])
    assert np.allclose(together, alone, atol=1e-6)
    assert onnx_embedder.embed([]).shape == (0, 384)


@pytest.mark.model
def test_serving_with_an_exported_model_never_imports_torch(onnx_embedder, tmp_path):
    folder = onnx_embedder.model_folder
    assert folder == exported_dir(bundled_model_path(), folder.parent, bundled_adapter_path())
    assert (folder / MODEL_FILE).is_file()
    code = ("import sys; from pathlib import Path; from content_index.onnx_embedder import OnnxEmbedder; "
            f"e = OnnxEmbedder(cache_root=Path({str(folder.parent)!r})); e.embed(['hello']); "
            "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]



@pytest.mark.model
def test_the_page_adapter_is_folded_into_the_bundled_model(onnx_embedder, tmp_path_factory):
    from content_index.onnx_embedder import OnnxEmbedder

    plain = OnnxEmbedder(cache_root=onnx_embedder.model_folder.parent, use_adapter=False)
    assert plain.model_id == "all-MiniLM-L6-v2-onnx-int8"
    assert onnx_embedder.model_id.startswith("all-MiniLM-L6-v2+pages-") and onnx_embedder.model_id.endswith("-onnx-int8")
    assert plain.model_folder != onnx_embedder.model_folder
    cosine = (plain.embed(QUERIES) * onnx_embedder.embed(QUERIES)).sum(axis=1)
    assert 0.8 < cosine.min() and cosine.max() < 0.999, cosine  # adapted, not replaced


def test_load_embedder_defaults_to_onnx_and_falls_back_to_torch(monkeypatch):
    import content_index.embedder as embedder
    import content_index.onnx_embedder as onnx_embedder

    def no_export():
        raise OSError("ONNX export failed")

    monkeypatch.delenv("INFLOW_MODEL", raising=False)
    monkeypatch.setattr(onnx_embedder, "OnnxEmbedder", lambda: "onnx")
    monkeypatch.setattr(embedder, "SentenceTransformerEmbedder", lambda path=None: f"torch:{path}")
    assert embedder.load_embedder() == "onnx" and embedder.load_embedder("torch") == "torch:None"
    assert embedder.load_embedder("/models/other") == "torch:/models/other"
    assert isinstance(embedder.load_embedder("fake"), embedder.FakeEmbedder)
    monkeypatch.setattr(onnx_embedder, "OnnxEmbedder", no_export)
    assert embedder.load_embedder("onnx") == "torch:None"
