"""The embedding backends by name: ``get_embedder(model, backend)`` loads one, once per process.

A new backend is a module beside this one with an :class:`~synthesizrr.embeddings.base.
Embedder` subclass, its name in :data:`BACKENDS` and a branch in :func:`get_embedder`.
"""

from __future__ import annotations

from functools import lru_cache

from synthesizrr.embeddings.base import Embedder
from synthesizrr.errors import ConfigError

BACKENDS = ("torch", "onnx", "onnx-int8")


@lru_cache(maxsize=4)
def get_embedder(model: str = "minilm", backend: str = "torch") -> Embedder:
    """Load (once per process) and return an embedder."""
    if backend not in BACKENDS:
        raise ConfigError(
            f"Unknown embedding backend '{backend}'; choices: {', '.join(BACKENDS)}.",
            fix="set retrieval.embed_backend to torch, onnx or onnx-int8",
        )
    if backend != "torch":
        from synthesizrr.embeddings.onnx_backend import OnnxEmbedder

        return OnnxEmbedder(model, backend)
    from synthesizrr.embeddings.torch_backend import TorchEmbedder

    return TorchEmbedder(model, backend)
