"""Embeddings shared between metrics, through the process-level embedding cache."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np

from synthesizrr.embeddings import VectorCache

log = logging.getLogger(__name__)

Encoder = Callable[[list[str]], np.ndarray]


class EmbeddingCache:
    """Text -> vector memo in front of one embedder; each distinct text is encoded once.

    Without ``encoder`` the vectors come from ``get_embedder(model).encode(texts,
    cache=True)``, i.e. the process-level :data:`synthesizrr.embeddings.VECTOR_CACHE`
    that students and cartography share. ``encoder`` replaces the embedder (any
    ``list[str] -> (n, dim) float array``), for tests and for users with their own
    features; its vectors are kept in a cache of this object only.
    """

    def __init__(
        self, model: str = "minilm", *, encoder: Encoder | None = None, batch_size: int = 64
    ) -> None:
        self.model = model
        self.batch_size = batch_size
        self._encoder = encoder
        self._own = VectorCache(max_texts=2**62) if encoder is not None else None
        self.n_encoded = 0  # distinct texts sent to the encoder by this object so far

    def _encode_missing(self, texts: list[str], progress: bool) -> np.ndarray:
        self.n_encoded += len(texts)
        if self._encoder is not None:
            return np.asarray(self._encoder(texts), dtype=np.float32)
        from synthesizrr.embeddings import get_embedder

        return get_embedder(self.model).encode(
            texts, batch_size=self.batch_size, show_progress=progress
        )

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Vectors of ``texts`` (float32, one row per text, in order)."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        namespace: tuple[str, ...]
        if self._own is not None:
            cache, namespace = self._own, ("encoder",)
        else:
            from synthesizrr.embeddings import VECTOR_CACHE

            cache, namespace = VECTOR_CACHE, (self.model, "torch")
        return cache.encode(
            namespace, texts, lambda missing: self._encode_missing(missing, progress)
        )
