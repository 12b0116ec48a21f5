"""The embedder contract and what every backend shares (batching, progress, normalization)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from synthesizrr.layout import cache_root

Batch = tuple[np.ndarray, np.ndarray]  # (positions in the input, their vectors)


def cache_dir() -> Path:
    """Folder for derived artifacts (:func:`synthesizrr.layout.cache_root`)."""
    return cache_root()


@contextlib.contextmanager
def progress_bar(total: int, description: str, *, enabled: bool) -> Iterator[Callable[[int], Any]]:
    """A rich progress bar over ``total`` items; yields ``advance(n)`` (a no-op if disabled)."""
    if not enabled:
        yield lambda n: None
        return
    from rich.progress import Progress

    with Progress(transient=False) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


class Embedder:
    """The embedder contract: ``encode(texts) -> float32 (len(texts), dim)``, rows
    L2-normalized. A backend sets ``name``, ``backend`` and ``dim`` and implements
    ``_batches``; batching, progress and normalization are shared here."""

    name: str
    backend: str
    dim: int

    def _batches(self, texts: list[str], batch_size: int) -> Iterator[Batch]:
        """Yield ``(positions, vectors)`` until every text is embedded (any order)."""
        raise NotImplementedError

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        show_progress: bool = False,
        on_batch: Callable[[int], Any] | None = None,
    ) -> np.ndarray:
        """float32 ``(len(texts), dim)``, rows L2-normalized.

        Uncached: every call embeds every text (:class:`~synthesizrr.embeddings.cache.
        CachedEmbedder` is the door to the cache). ``show_progress`` draws a rich bar over the texts; ``on_batch(n)`` is called
        after every ``n`` texts embedded (for a caller's own bar).
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with progress_bar(len(texts), f"Embedding ({self.backend})", enabled=show_progress) as adv:
            for positions, vecs in self._batches(list(texts), batch_size):
                out[positions] = vecs
                adv(len(positions))
                if on_batch is not None:
                    on_batch(len(positions))
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' "Loading weights" tqdm bar while a model loads."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # pragma: no cover - sentence-transformers needs transformers
        yield
        return
    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()
