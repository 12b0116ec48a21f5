"""Sentence embeddings shared by retrieval, metrics, refine and students.

One contract, :class:`Embedder`: ``encode(texts) -> float32 (n, dim)``, rows L2-normalized
so inner product is cosine similarity. ``get_embedder(model, backend)`` loads one (once
per process). ``model="minilm"`` is the bundled all-MiniLM-L6-v2 (no network); any other
name goes to sentence-transformers, which loads it from a hub where one is reachable and
fails with a clear message here.

Backends (same vectors up to numeric error, different speed on CPU; see bench/retrieval),
each a module beside this one:

- ``torch`` (:mod:`.torch_backend`): sentence-transformers on PyTorch (the reference).
- ``onnx`` / ``onnx-int8`` (:mod:`.onnx_backend`): the same model exported to ONNX.

The one door to the process-level cache is :class:`CachedEmbedder` (or :func:`embed`,
its short form); ``Embedder.encode`` itself never caches. A deterministic fake for tests
is :class:`synthesizrr.testing.FakeEmbedder`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from synthesizrr.embeddings.backends import BACKENDS, get_embedder
from synthesizrr.embeddings.base import Embedder, cache_dir, progress_bar
from synthesizrr.embeddings.cache import MAX_CACHED_TEXTS, VECTOR_CACHE, CachedEmbedder, VectorCache

__all__ = [
    "BACKENDS", "MAX_CACHED_TEXTS", "VECTOR_CACHE", "CachedEmbedder", "Embedder", "VectorCache",
    "cache_dir", "embed", "get_embedder", "progress_bar",
]  # fmt: skip


def embed(
    texts: Sequence[str],
    model: str = "minilm",
    backend: str = "torch",
    *,
    batch_size: int = 64,
    progress: bool = False,
) -> np.ndarray:
    """float32 (n, dim) L2-normalized embeddings through :data:`VECTOR_CACHE`: texts
    already seen (by any caller) are not encoded again."""
    return CachedEmbedder(model, backend, batch_size=batch_size).encode(texts, progress=progress)
