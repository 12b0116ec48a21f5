"""The Python API. The CLI is a thin layer over these calls.

>>> import synthesizrr
>>> run = synthesizrr.run("examples/ag_news.yaml")
>>> run.dataset.num_rows, run.metrics["student"]["accuracy_mean"]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from typing_extensions import Unpack

from synthesizrr import layout
from synthesizrr.config import RunConfig, load_config
from synthesizrr.fileio import read_parquet
from synthesizrr.pipeline.rundir import RunDir
from synthesizrr.pipeline.runner import RunOptions, execute

if TYPE_CHECKING:
    from synthesizrr.report.export import Exported
    from synthesizrr.report.hub import Published

__all__ = ["Run", "load_config", "open_run", "run"]


class Run:
    """A handle on a run directory: its manifest, dataset and metrics."""

    def __init__(
        self,
        path: Path,
        config: RunConfig | None = None,
        estimate: dict[str, Any] | None = None,
    ):
        self.path = Path(path)
        self.config = config
        self.estimate = estimate  # a dry run's requests, tokens and cost

    @property
    def manifest(self) -> dict[str, Any]:
        return RunDir(self.path).read_manifest()

    def stage_path(self, stage: str, filename: str = "") -> Path:
        return layout.stage_file(self.path, stage, filename)

    @property
    def dataset(self) -> Any:
        """The final dataset as a ``pyarrow.Table``."""
        return read_parquet(self.stage_path("refine", layout.FINAL_DATASET))

    @property
    def generations(self) -> Any:
        return read_parquet(self.stage_path("generate", layout.GENERATIONS))

    @property
    def dropped(self) -> Any:
        return read_parquet(self.stage_path("generate", layout.DROPPED))

    @property
    def metrics(self) -> dict[str, Any]:
        p = self.path / layout.METRICS
        return json.loads(p.read_text("utf-8")) if p.exists() else {}

    @property
    def report_path(self) -> Path:
        return self.path / layout.REPORT

    @property
    def dataset_path(self) -> Path:
        return self.path / layout.DATASET_DIR

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


def run(config: RunConfig | str | Path, **options: Unpack[RunOptions]) -> Run:
    """Run every stage of ``config`` (or up to ``until``), skipping finished ones; the
    options are :class:`~synthesizrr.pipeline.runner.RunOptions`."""
    cfg = config if isinstance(config, RunConfig) else load_config(config)
    done = execute(cfg, **options)
    return Run(done.run_dir.path, cfg, done.estimate)


def open_run(path: str | Path) -> Run:
    """Open an existing run directory."""
    return Run(Path(path))
