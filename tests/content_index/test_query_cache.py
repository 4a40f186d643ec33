"""The query-embedding LRU: same vectors as the embedder, each distinct text embedded once, bounded."""

from __future__ import annotations

import numpy as np

from content_index.query_cache import QueryCache


def test_cached_vectors_match_and_repeats_are_not_re_embedded(fake_embedder):
    cache = QueryCache(fake_embedder, size=10)
    first = cache.embed(["pivot tables", "review a pull request", "pivot tables"])
    assert np.allclose(first, fake_embedder.embed(["pivot tables", "review a pull request", "pivot tables"]))
    embedded = fake_embedder.texts_embedded
    again = cache.embed(["review a pull request", "email filters"])
    assert np.allclose(again[0], first[1])
    assert fake_embedder.texts_embedded == embedded + 1, "only the new text is embedded"
    assert (cache.hits, cache.misses) == (1, 3)
    assert cache.model_id == fake_embedder.model_id and cache.dim == fake_embedder.dim


def test_least_recently_used_texts_are_evicted(fake_embedder):
    cache = QueryCache(fake_embedder, size=2)
    cache.embed(["a b", "c d"])
    cache.embed(["a b"])          # "a b" is now the most recent
    cache.embed(["e f"])          # evicts "c d"
    before = fake_embedder.texts_embedded
    cache.embed(["a b", "e f"])
    assert fake_embedder.texts_embedded == before
    cache.embed(["c d"])
    assert fake_embedder.texts_embedded == before + 1
    assert len(cache._vectors) == 2


def test_empty_input(fake_embedder):
    assert QueryCache(fake_embedder).embed([]).shape == (0, fake_embedder.dim)
