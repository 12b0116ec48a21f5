"""What a stage is: a :class:`Stage` description, the :class:`StageContext` it runs in and
the :class:`StageResult` it returns. Each stage module in ``pipeline/stages/`` exports one
``STAGE``; the runner knows stages only through these fields, never by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from synthesizrr import layout
from synthesizrr.config import RunConfig
from synthesizrr.pipeline.rundir import RunDir


@dataclass(frozen=True)
class StageResult:
    """What a stage run gives back.

    ``summary`` goes to the manifest and the console. ``incomplete`` marks a stage that
    committed partial work (failed or unsent requests): it reruns next time. ``stopped``
    says why a budget stopped the stage early; nothing downstream runs then.
    """

    summary: dict[str, Any]
    incomplete: bool = False
    stopped: str | None = None


class StageContext:
    """What a stage body may use: the config, the run directory and the run's executor.

    The context owns the executor (local or Ray, created on first use) and closes it on
    :meth:`close` or at the end of a ``with`` block, so no Ray is left running.
    """

    def __init__(
        self,
        cfg: RunConfig,
        run: RunDir,
        *,
        progress: bool = False,
        dry_run: bool = False,
        retry_failed: bool = False,
    ) -> None:
        self.cfg = cfg
        self.run = run
        self.progress = progress
        self.dry_run = dry_run
        self.retry_failed = retry_failed
        self._executor: Any = None

    @property
    def executor(self) -> Any:
        """The run's executor (local or Ray), created on first use."""
        if self._executor is None:
            from synthesizrr.executors import get_executor

            self._executor = get_executor(self.cfg)
        return self._executor

    def input(self, stage: str, filename: str = "") -> Path:
        """A file (or, with no ``filename``, the folder) of an upstream stage."""
        return layout.stage_file(self.run.path, stage, filename)

    def close(self) -> None:
        """Release the executor (Ray actors, a Ray started for this run); idempotent."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.close()

    def __enter__(self) -> StageContext:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def always(cfg: RunConfig) -> bool:
    return True


def uses_documents(cfg: RunConfig) -> bool:
    """Whether the prompt mode retrieves documents (the corpus, index and retrieve stages)."""
    return cfg.generation.prompt.mode.uses_documents


@dataclass(frozen=True)
class Stage:
    """One pipeline stage.

    ``settings(cfg)`` is what the stage is fingerprinted on (with ``version`` and the
    fingerprints of its ``inputs``); ``run(ctx, out)`` writes its files into ``out``.
    ``needed(cfg)`` says whether the config uses the stage at all; ``check(cfg)`` fails
    fast, before any stage runs; ``estimate(ctx)`` is what a dry run reports instead of
    running the stage (and everything after it).
    """

    name: str
    folder: str
    inputs: tuple[str, ...]
    settings: Callable[[RunConfig], Any]
    run: Callable[[StageContext, Path], StageResult]
    needed: Callable[[RunConfig], bool] = always
    check: Callable[[RunConfig], None] | None = None
    estimate: Callable[[StageContext], dict[str, Any]] | None = None
    version: int = 1
    description: str = ""
