"""The Python API. The CLI is a thin layer over these calls.

>>> import synthesizrr
>>> run = synthesizrr.run("examples/ag_news.yaml")
>>> run.dataset.num_rows, run.metrics["student"]["accuracy_mean"]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthesizrr.config import RunConfig, load_config
from synthesizrr.pipeline.rundir import RunDir, read_parquet
from synthesizrr.pipeline.runner import EventHook, execute
from synthesizrr.pipeline.stages import STAGES

if TYPE_CHECKING:
    from synthesizrr.report.export import Exported
    from synthesizrr.report.hub import Published

__all__ = ["Run", "load_config", "open_run", "run"]


class Run:
    """A handle on a run directory: its manifest, dataset and metrics."""

    def __init__(
        self, path: Path, config: RunConfig | None = None, extras: dict[str, Any] | None = None
    ):
        self.path = Path(path)
        self.config = config
        self.extras = extras or {}

    @property
    def manifest(self) -> dict[str, Any]:
        return RunDir(self.path).read_manifest()

    def stage_path(self, stage: str, filename: str = "") -> Path:
        return self.path / STAGES[stage].folder / filename

    @property
    def dataset(self) -> Any:
        """The final dataset as a ``pyarrow.Table``."""
        return read_parquet(self.stage_path("refine", "dataset.parquet"))

    @property
    def generations(self) -> Any:
        return read_parquet(self.stage_path("generate", "generations.parquet"))

    @property
    def dropped(self) -> Any:
        return read_parquet(self.stage_path("generate", "dropped.parquet"))

    @property
    def metrics(self) -> dict[str, Any]:
        p = self.path / "metrics.json"
        return json.loads(p.read_text("utf-8")) if p.exists() else {}

    @property
    def report_path(self) -> Path:
        return self.path / "report.html"

    @property
    def dataset_path(self) -> Path:
        return self.path / "dataset"

    def push_to_hub(
        self,
        repo_id: str,
        *,
        private: bool = False,
        dry_run: bool = False,
        endpoint: str | None = None,
        token: str | None = None,
    ) -> Published:
        """Upload the dataset (Parquet), its card, ``config.yaml``, ``manifest.json`` and
        ``metrics.json`` to the Hub dataset repo ``repo_id`` in one commit.

        The token defaults to ``HF_TOKEN`` or the Hub's login, the endpoint to ``HF_ENDPOINT``.
        ``dry_run`` returns the planned files without any network call.
        """
        from synthesizrr.report.hub import publish

        return publish(self.path, repo_id, private=private, dry_run=dry_run,
                       endpoint=endpoint, token=token)  # fmt: skip

    def export(self, out_dir: str | Path, fmt: str = "jsonl") -> Exported:
        """Write the final dataset to ``out_dir`` as ``argilla``, ``jsonl``, ``parquet`` or ``csv``."""
        from synthesizrr.report.export import export_run

        return export_run(self.path, Path(out_dir), fmt)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"


def run(
    config: RunConfig | str | Path,
    *,
    until: str | None = None,
    force: Sequence[str] = (),
    progress: bool = False,
    dry_run: bool = False,
    retry_failed: bool = False,
    overwrite: bool = False,
    on_event: EventHook | None = None,
) -> Run:
    """Run every stage of ``config`` (or up to ``until``), skipping finished ones."""
    cfg = config if isinstance(config, RunConfig) else load_config(config)
    extras: dict[str, Any] = {}
    rundir = execute(
        cfg, until=until, force=force, progress=progress, dry_run=dry_run,
        retry_failed=retry_failed, overwrite=overwrite, on_event=on_event, extras=extras,
    )  # fmt: skip
    return Run(rundir.path, cfg, extras)


def open_run(path: str | Path) -> Run:
    """Open an existing run directory."""
    return Run(Path(path))
