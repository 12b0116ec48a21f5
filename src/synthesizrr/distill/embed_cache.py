"""Sentence embeddings for students and cartography, through the shared embedding cache.

The pipeline evaluates the synthetic student and the gold student on the same test set,
and cartography embeds the synthetic rows the student later trains on: each text is
encoded once per process. The cache is :data:`synthesizrr.embeddings.VECTOR_CACHE`
(bounded, least recently used texts leave first), shared with the metrics.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from synthesizrr import embeddings
from synthesizrr.embeddings import MAX_CACHED_TEXTS

__all__ = ["MAX_CACHED_TEXTS", "cache_size", "clear_cache", "embed_texts"]


def embed_texts(
    texts: Sequence[str], model: str = "minilm", *, progress: bool = False
) -> np.ndarray:
    """float32 (n, dim) L2-normalized embeddings; texts already seen are not re-encoded."""
    return embeddings.cached_encode(texts, model, progress=progress)


def clear_cache() -> None:
    """Forget every cached embedding (of every model and backend)."""
    embeddings.VECTOR_CACHE.clear()


def cache_size() -> int:
    """Number of (model, backend, text) entries in the shared cache."""
    return len(embeddings.VECTOR_CACHE)
