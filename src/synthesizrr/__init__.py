"""synthesizrr: retrieval-augmented synthesis of text-classification datasets.

``import synthesizrr`` is light: torch, llama_cpp, faiss, spacy and ray are imported only
where a stage uses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synthesizrr.version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from synthesizrr.api import Run, load_config, run

__all__ = ["Run", "__version__", "load_config", "run"]


def __getattr__(name: str) -> Any:
    if name in ("Run", "load_config", "run"):
        from synthesizrr import api

        return getattr(api, name)
    raise AttributeError(name)
