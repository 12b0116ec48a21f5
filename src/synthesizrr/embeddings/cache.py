"""The one door to the embedding cache: :class:`CachedEmbedder` in front of any embedder.

:data:`VECTOR_CACHE` is a bounded, thread-safe LRU keyed by (model, backend, text), shared
by every caller that embeds the same texts more than once (metrics, cartography,
students); each distinct text is embedded once per process.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from synthesizrr.embeddings.base import Embedder

log = logging.getLogger(__name__)

#: Most texts kept in :data:`VECTOR_CACHE` (~1.5 KB each for a 384-dim model).
MAX_CACHED_TEXTS = 200_000


class VectorCache:
    """Bounded LRU map ``(namespace..., text) -> vector``; thread-safe.

    :meth:`encode` returns the vectors of ``texts`` in order, calling ``encode_missing``
    once with the distinct texts it does not hold. The least recently used texts leave
    first once more than ``max_texts`` are held.
    """

    def __init__(self, max_texts: int = MAX_CACHED_TEXTS) -> None:
        self.max_texts = max_texts
        self._vectors: OrderedDict[tuple[Any, ...], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._vectors)

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()

    def encode(
        self,
        namespace: tuple[str, ...],
        texts: Sequence[str],
        encode_missing: Callable[[list[str]], np.ndarray],
    ) -> np.ndarray:
        keys = [(*namespace, hashlib.sha1(t.encode("utf-8")).digest()) for t in texts]
        found: dict[tuple[Any, ...], np.ndarray] = {}
        missing: dict[tuple[Any, ...], str] = {}  # in first-seen order
        with self._lock:
            for k, t in zip(keys, texts, strict=True):
                vec = self._vectors.get(k)
                if vec is not None:
                    found[k] = vec
                    self._vectors.move_to_end(k)
                elif k not in missing:
                    missing[k] = t
        if missing or not keys:
            if missing:
                log.info(
                    "Embedding %d new texts with %s (%d cached)",
                    len(missing),
                    "/".join(namespace),
                    len(keys) - len(missing),
                )
            vecs = np.asarray(encode_missing(list(missing.values())), dtype=np.float32)
            if vecs.shape[0] != len(missing):
                raise ValueError(f"encoder returned {vecs.shape[0]} rows for {len(missing)} texts")
            if not keys:
                return vecs.reshape(0, vecs.shape[1] if vecs.ndim == 2 else 0)
            new = {k: v.copy() for k, v in zip(missing, vecs, strict=True)}
            found.update(new)
            with self._lock:
                self._vectors.update(new)
                while len(self._vectors) > self.max_texts:
                    self._vectors.popitem(last=False)
        return np.stack([found[k] for k in keys])


#: The process-level embedding cache behind every :class:`CachedEmbedder` (and
#: :func:`synthesizrr.embeddings.embed`): retrieval queries, metrics, cartography and
#: students embed each text once.
VECTOR_CACHE = VectorCache()


class CachedEmbedder:
    """An embedder behind a :class:`VectorCache`: only texts not cached are encoded.

    ``embedder`` is an :class:`~synthesizrr.embeddings.base.Embedder`, or a model name
    loaded with ``backend`` on first use (``get_embedder``). ``cache`` defaults to the
    process-level :data:`VECTOR_CACHE`; a fake embedder in tests gets a cache of its own.
    """

    def __init__(
        self,
        embedder: Embedder | str = "minilm",
        backend: str = "torch",
        *,
        cache: VectorCache | None = None,
        batch_size: int = 64,
    ) -> None:
        self._embedder = embedder if isinstance(embedder, Embedder) else None
        self.model = embedder.name if isinstance(embedder, Embedder) else embedder
        self.backend = embedder.backend if isinstance(embedder, Embedder) else backend
        self.batch_size = batch_size
        self.vectors = cache if cache is not None else VECTOR_CACHE
        self.n_encoded = 0  # distinct texts sent to the embedder by this object so far

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from synthesizrr.embeddings import backends

            self._embedder = backends.get_embedder(self.model, self.backend)
        return self._embedder

    def _encode_missing(self, texts: list[str], progress: bool) -> np.ndarray:
        self.n_encoded += len(texts)
        return self.embedder.encode(texts, batch_size=self.batch_size, show_progress=progress)

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Vectors of ``texts`` (float32, one row per text, in order)."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return self.vectors.encode(
            (self.model, self.backend),
            texts,
            lambda missing: self._encode_missing(missing, progress),
        )
