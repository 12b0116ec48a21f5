"""Executors: where the heavy stage work runs.

One contract, two implementations: ``LocalExecutor`` (this process) and ``RayExecutor``
(a Ray cluster; ``executor: ray`` in the config). Stages call the executor for the work
that scales out (embedding the corpus, answering LLM requests, computing metrics), so the
same config runs on a laptop or a cluster and produces the same dataset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synthesizrr.executors.base import BackendHandle, Executor, LocalExecutor

if TYPE_CHECKING:  # pragma: no cover
    from synthesizrr.config import RunConfig

__all__ = ["BackendHandle", "Executor", "LocalExecutor", "get_executor"]


def get_executor(cfg: RunConfig) -> Executor:
    if cfg.executor == "ray":
        from synthesizrr.executors.ray import RayExecutor

        return RayExecutor(address=cfg.ray_address, settings=cfg.ray)
    return LocalExecutor()
