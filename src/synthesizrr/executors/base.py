"""The executor contract and the local (in-process) executor."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


class BackendHandle:
    """An opened teacher: what prompts must look like, and a way to answer them."""

    is_chat: bool
    model_id: str

    def run(
        self, requests: Sequence[Any], *, cache_path: Path, settings: Any, progress: bool = False
    ) -> list[Any]:
        """Answer ``requests`` through the request cache; outcomes in request order."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the backend (a model in memory, worker actors)."""

    def __enter__(self) -> BackendHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalBackendHandle(BackendHandle):
    def __init__(self, llm_settings: Any) -> None:
        from synthesizrr.llm import get_backend

        self._backend = get_backend(llm_settings)
        self.is_chat = self._backend.is_chat
        self.model_id = self._backend.model_id

    def run(
        self, requests: Sequence[Any], *, cache_path: Path, settings: Any, progress: bool = False
    ) -> list[Any]:
        from synthesizrr.generation.engine import run_requests

        return list(
            run_requests(
                self._backend, requests, cache_path=cache_path, settings=settings, progress=progress
            )
        )

    def close(self) -> None:
        self._backend.close()


class Executor:
    """Runs the scalable parts of stages; the local executor runs them in this process."""

    name = "local"

    def build_index(
        self, settings: Any, passages_path: Path, index_dir: Path, *, progress: bool = False
    ) -> dict[str, Any]:
        from synthesizrr.retrieval import build_index

        return dict(build_index(settings, passages_path, index_dir, progress=progress))

    def open_backend(self, llm_settings: Any) -> BackendHandle:
        return LocalBackendHandle(llm_settings)

    def compute_metrics(
        self, settings: Any, texts: Sequence[str], labels: Sequence[str], **inputs: Any
    ) -> dict[str, Any]:
        """:func:`synthesizrr.metrics.compute_metrics` with the same arguments."""
        from synthesizrr.metrics import compute_metrics

        return dict(compute_metrics(settings, texts, labels, **inputs))

    def close(self) -> None:
        """Release resources (a Ray connection)."""


class LocalExecutor(Executor):
    name = "local"
