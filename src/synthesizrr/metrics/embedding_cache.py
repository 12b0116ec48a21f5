"""Embeddings computed once per ``compute_metrics`` call and shared between metrics."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np

log = logging.getLogger(__name__)

Encoder = Callable[[list[str]], np.ndarray]


class EmbeddingCache:
    """Text -> vector memo in front of one embedder; each distinct text is encoded once.

    ``encoder`` replaces the embedder (any ``list[str] -> (n, dim) float array``), for
    tests and for users with their own features.
    """

    def __init__(
        self, model: str = "minilm", *, encoder: Encoder | None = None, batch_size: int = 64
    ) -> None:
        self.model = model
        self.batch_size = batch_size
        self._encoder = encoder
        self._rows: dict[str, int] = {}
        self._blocks: list[np.ndarray] = []
        self._matrix: np.ndarray | None = None
        self.n_encoded = 0  # distinct texts sent to the encoder so far

    def _encode(self, texts: list[str], progress: bool) -> np.ndarray:
        if self._encoder is not None:
            return np.asarray(self._encoder(texts), dtype=np.float32)
        from synthesizrr.embeddings import get_embedder

        embedder = get_embedder(self.model)
        return embedder.encode(texts, batch_size=self.batch_size, show_progress=progress)

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Vectors of ``texts`` (float32, one row per text, in order)."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._rows))
        if missing:
            log.info("embedding %d new texts with %s", len(missing), self.model)
            vecs = self._encode(missing, progress)
            if vecs.shape[0] != len(missing):
                raise ValueError(f"encoder returned {vecs.shape[0]} rows for {len(missing)} texts")
            start = len(self._rows)
            for i, text in enumerate(missing):
                self._rows[text] = start + i
            self._blocks.append(vecs)
            self._matrix = None
            self.n_encoded += len(missing)
        if not self._blocks:
            return np.zeros((0, 0), dtype=np.float32)
        if self._matrix is None:
            self._matrix = np.concatenate(self._blocks, axis=0)
            self._blocks = [self._matrix]
        rows = np.fromiter((self._rows[t] for t in texts), np.int64, len(texts))
        return self._matrix[rows]
