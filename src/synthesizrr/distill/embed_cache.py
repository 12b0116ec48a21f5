"""Sentence embeddings cached per (model, text) within one process.

The pipeline evaluates the synthetic student and the gold student on the same test set,
and cartography embeds the synthetic rows the student later trains on: each text is
encoded once per process. The cache is bounded (least recently used texts leave first).
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

log = logging.getLogger(__name__)

#: Most texts kept in the cache (~1.5 KB each for a 384-dim model).
MAX_CACHED_TEXTS = 200_000

_CACHE: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()


def _key(model: str, text: str) -> tuple[str, str]:
    return model, hashlib.sha1(text.encode("utf-8")).hexdigest()


def embed_texts(
    texts: Sequence[str], model: str = "minilm", *, progress: bool = False
) -> np.ndarray:
    """float32 (n, dim) L2-normalized embeddings; texts already seen are not re-encoded."""
    from synthesizrr.embeddings import get_embedder

    keys = [_key(model, t) for t in texts]
    missing: dict[tuple[str, str], str] = {}
    for k, t in zip(keys, texts, strict=True):
        if k not in _CACHE and k not in missing:
            missing[k] = t
    embedder = get_embedder(model)
    if missing:
        log.info(
            "Embedding %d new texts with %s (%d cached)",
            len(missing),
            model,
            len(keys) - len(missing),
        )
        vecs = embedder.encode(list(missing.values()), show_progress=progress)
        for k, v in zip(missing, vecs, strict=True):
            _CACHE[k] = v
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for i, k in enumerate(keys):
        out[i] = _CACHE[k]
        _CACHE.move_to_end(k)
    while len(_CACHE) > MAX_CACHED_TEXTS:
        _CACHE.popitem(last=False)
    return out


def clear_cache() -> None:
    """Forget every cached embedding."""
    _CACHE.clear()


def cache_size() -> int:
    """Number of (model, text) entries in the cache."""
    return len(_CACHE)
