"""Sentence embeddings shared by retrieval, metrics and students.

One contract: ``get_embedder(model, backend).encode(texts) -> float32 (n, dim)``, rows
L2-normalized so inner product is cosine similarity. ``model="minilm"`` is the bundled
all-MiniLM-L6-v2 (no network); any other name goes to sentence-transformers, which loads it
from a hub where one is reachable and fails with a clear message here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from synthesizrr.errors import ModelNotAvailableError, require
from synthesizrr.models import EMBEDDED_EMBEDDERS, resolve_embedder_path

log = logging.getLogger(__name__)


class Embedder:
    """A loaded sentence-transformers model."""

    def __init__(self, name: str, backend: str = "torch") -> None:
        self.name = name
        self.backend = backend
        st = require("sentence_transformers", "embed", "Sentence embeddings")
        path = resolve_embedder_path(name)
        if name in EMBEDDED_EMBEDDERS:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            self._model: Any = st.SentenceTransformer(path, device="cpu")
        except Exception as exc:  # hub unreachable, unknown name, bad folder
            raise ModelNotAvailableError(
                f"Embedding model '{name}' could not be loaded ({type(exc).__name__}: {exc}).",
                fix="use the bundled 'minilm', a local sentence-transformers folder, "
                "or a hub name on a machine that can reach the hub",
            ) from exc
        self.dim = int(self._model.get_sentence_embedding_dimension())

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(
            list(texts),
            batch_size=batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)


@lru_cache(maxsize=4)
def get_embedder(model: str = "minilm", backend: str = "torch") -> Embedder:
    """Load (once per process) and return an embedder."""
    return Embedder(model, backend)
