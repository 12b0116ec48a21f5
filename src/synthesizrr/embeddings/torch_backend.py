"""The ``torch`` backend: a sentence-transformers model on PyTorch (the reference vectors)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from synthesizrr.embeddings.base import Batch, Embedder, quiet_transformers
from synthesizrr.errors import ModelNotAvailableError, require
from synthesizrr.hub_access import check_hub_model, sentence_transformers_ids
from synthesizrr.models import EMBEDDED_EMBEDDERS, resolve_embedder_path


class TorchEmbedder(Embedder):
    """A sentence-transformers model on PyTorch (the ``torch`` backend)."""

    def __init__(self, name: str, backend: str = "torch") -> None:
        self.name = name
        self.backend = backend
        cache_only = False
        if name not in EMBEDDED_EMBEDDERS:  # fail in seconds, not after a minute of retries
            ids = sentence_transformers_ids(name)
            cache_only = check_hub_model(name, repo_ids=ids, what="Embedding model")
        st = require("sentence_transformers", "embed", "Sentence embeddings")
        path = resolve_embedder_path(name)
        if name in EMBEDDED_EMBEDDERS:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            with quiet_transformers():
                self._model: Any = st.SentenceTransformer(
                    path, device="cpu", local_files_only=cache_only
                )
        except Exception as exc:  # hub unreachable, unknown name, bad folder
            raise ModelNotAvailableError(
                f"Embedding model '{name}' could not be loaded ({type(exc).__name__}: {exc}).",
                fix="use the bundled 'minilm', a local sentence-transformers folder, "
                "or a hub name on a machine that can reach the hub",
            ) from exc
        # sentence-transformers 6.2 renamed get_sentence_embedding_dimension.
        get_dim = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        self.dim = int(get_dim())

    def _batches(self, texts: list[str], batch_size: int) -> Iterator[Batch]:
        # Longest first, as sentence-transformers sorts: little padding per batch.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            idx = order[start : start + batch_size]
            vecs = self._model.encode(
                [texts[int(i)] for i in idx],
                batch_size=batch_size,
                show_progress_bar=False,
                convert_to_numpy=True,
                normalize_embeddings=False,
            )
            yield idx, np.asarray(vecs, dtype=np.float32)
