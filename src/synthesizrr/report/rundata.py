"""Read a run directory defensively: every piece may be missing.

The report, the dataset card and the comparison all read runs through :class:`RunData`.
A missing or unreadable file is never an error here; it becomes a *reason* string that
the report shows as "not available (reason)".
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthesizrr import layout
from synthesizrr.layout import STAGE_FOLDERS

log = logging.getLogger(__name__)


def number(value: Any) -> float | None:
    """``value`` as a finite float, else ``None`` (strings, NaN, missing)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def interval(value: Any) -> tuple[float, float] | None:
    """``value`` as a (low, high) pair of finite floats (a ``*_ci`` entry), else ``None``."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    low, high = number(value[0]), number(value[1])
    return (low, high) if low is not None and high is not None else None


def lookup(mapping: Any, *path: str) -> Any:
    """``mapping[path[0]][path[1]]...`` or ``None`` where any step is missing."""
    cur = mapping
    for key in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(key)
    return cur


@dataclass
class Missing:
    """Why a piece of a run is not available."""

    reason: str

    def __str__(self) -> str:
        return self.reason


@dataclass
class RunData:
    """A run directory's manifest, metrics and stage summaries (tables load on demand)."""

    path: Path
    manifest: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path) -> RunData:
        path = Path(path)
        run = cls(path=path)
        if not path.is_dir():
            run.problems.append(f"run directory '{path}' does not exist")
            return run
        man = run._json(path / layout.MANIFEST)
        run.manifest = man if isinstance(man, dict) else {}
        met = run._json(path / layout.METRICS)
        if met is None:
            met = run._json(layout.stage_file(path, "evaluate", layout.STAGE_METRICS))
        run.metrics = met if isinstance(met, dict) else None
        return run

    def _json(self, p: Path) -> Any:
        if not p.is_file():
            return None
        try:
            return json.loads(p.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.problems.append(f"'{p.name}' is unreadable ({exc.__class__.__name__}: {exc})")
            log.warning("report: cannot read %s: %s", p, exc)
            return None

    # -- identity -------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self.manifest.get("name") or self.path.name)

    @property
    def config(self) -> dict[str, Any]:
        cfg = self.manifest.get("config")
        return cfg if isinstance(cfg, dict) else {}

    @property
    def task(self) -> dict[str, Any]:
        task = self.config.get("task")
        return task if isinstance(task, dict) else {}

    @property
    def labels(self) -> list[str]:
        """Task labels in config order; falls back to labels seen in the data."""
        labels = lookup(self.manifest, "task", "labels")
        if isinstance(labels, list) and labels:
            return [str(x) for x in labels]
        cfg_labels = lookup(self.config, "task", "labels")
        if isinstance(cfg_labels, dict) and cfg_labels:
            return [str(x) for x in cfg_labels]
        per_label = (self.metrics or {}).get("per_label")
        if isinstance(per_label, dict):
            return sorted(str(x) for x in per_label)
        return []

    @property
    def label_descriptions(self) -> dict[str, str]:
        raw = lookup(self.config, "task", "labels")
        return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}

    @property
    def mode(self) -> str | None:
        mode = lookup(self.config, "generation", "prompt", "mode")
        if mode is None:
            mode = self.stage_summary("generate").get("mode")
        return str(mode) if mode is not None else None

    @property
    def teacher(self) -> str | None:
        """The teacher model as recorded by generation, else as configured."""
        model = self.stage_summary("generate").get("model") or self.json_in(
            "generate", "summary.json", "model"
        )
        if model:
            return str(model)
        llm = lookup(self.config, "generation", "llm")
        if isinstance(llm, dict):
            parts = [str(llm[k]) for k in ("backend", "model") if llm.get(k)]
            return " / ".join(parts) or None
        return None

    # -- stages -----------------------------------------------------------------------------
    @property
    def stages(self) -> dict[str, dict[str, Any]]:
        st = self.manifest.get("stages")
        return {k: v for k, v in st.items() if isinstance(v, dict)} if isinstance(st, dict) else {}

    @property
    def warnings(self) -> list[str]:
        """``stage: warning`` for every warning in a stage summary (``summary.warnings``)."""
        out = []
        for name, state in self.stages.items():
            raw = lookup(state, "summary", "warnings")
            out += [f"{name}: {w}" for w in raw] if isinstance(raw, list) else []
        return out

    def stage_summary(self, stage: str) -> dict[str, Any]:
        s = lookup(self.stages, stage, "summary")
        return s if isinstance(s, dict) else {}

    def stage_file(self, stage: str, filename: str) -> Path:
        return self.path / STAGE_FOLDERS[stage] / filename

    def json_in(self, stage: str, filename: str, key: str | None = None) -> Any:
        data = self._json(self.stage_file(stage, filename))
        if key is None:
            return data
        return data.get(key) if isinstance(data, dict) else None

    def stage_missing(self, stage: str, filename: str) -> Missing | None:
        """Why ``<stage folder>/<filename>`` is absent, or ``None`` when it exists."""
        if self.stage_file(stage, filename).is_file():
            return None
        mode = self.mode
        if stage in ("corpus", "index", "retrieve") and mode in ("fewgen", "zerogen"):
            return Missing(f"a {mode} run has no {stage} stage")
        state = self.stages.get(stage)
        if state is None:
            return Missing(f"the {stage} stage did not run")
        status = state.get("status")
        if status and status != "done":
            err = state.get("error")
            return Missing(f"the {stage} stage is {status}" + (f": {err}" if err else ""))
        return Missing(f"{STAGE_FOLDERS[stage]}/{filename} is missing")

    def table(self, stage: str, filename: str, columns: list[str] | None = None) -> Any:
        """A stage's Parquet file as a pyarrow Table, or :class:`Missing`."""
        missing = self.stage_missing(stage, filename)
        if missing is not None:
            return missing
        import pyarrow.parquet as pq

        p = self.stage_file(stage, filename)
        try:
            if columns is not None:
                names = set(pq.read_schema(p).names)
                columns = [c for c in columns if c in names]
            return pq.read_table(p, columns=columns)
        except Exception as exc:  # noqa: BLE001 - any unreadable file becomes a reason
            log.warning("report: cannot read %s: %s", p, exc)
            return Missing(
                f"{STAGE_FOLDERS[stage]}/{filename} is unreadable ({exc.__class__.__name__})"
            )

    # -- metrics --------------------------------------------------------------------------------
    def metrics_missing(self) -> Missing | None:
        if self.metrics is not None:
            return None
        return self.stage_missing("evaluate", "metrics.json") or Missing("metrics.json is missing")

    def metric(self, name: str) -> dict[str, Any] | None:
        m = lookup(self.metrics, "metrics", name)
        return m if isinstance(m, dict) else None

    def metric_value(self, name: str) -> float | None:
        return number((self.metric(name) or {}).get("value"))

    def metric_detail(self, name: str, key: str) -> Any:
        """``details[key]`` of a metric, also looked up one level down (``details.per_n``)."""
        details = (self.metric(name) or {}).get("details")
        if not isinstance(details, dict):
            return None
        if key in details:
            return details[key]
        for sub in details.values():
            if isinstance(sub, dict) and key in sub:
                return sub[key]
        return None

    def student(self, which: str = "student") -> dict[str, Any] | Missing:
        """The student (or ``"gold"``) report, or why it is not available."""
        missing = self.metrics_missing()
        if missing is not None:
            return missing
        rep = (self.metrics or {}).get(which)
        if not isinstance(rep, dict):
            student = (self.metrics or {}).get("student")
            if which != "student" and isinstance(student, dict) and "skipped" in student:
                return Missing(f"{which} skipped: {student['skipped']}")
            return Missing(f"metrics.json has no '{which}' entry")
        if "skipped" in rep:
            return Missing(f"{which} skipped: {rep['skipped']}")
        return rep

    # -- totals -------------------------------------------------------------------------------------
    @property
    def tokens(self) -> int | None:
        summ = self.stage_summary("generate") or self.json_in("generate", "summary.json") or {}
        p, c = number(summ.get("prompt_tokens")), number(summ.get("completion_tokens"))
        if p is None and c is None:
            return None
        return int((p or 0) + (c or 0))

    @property
    def wall_seconds(self) -> float | None:
        secs = [number(s.get("seconds")) for s in self.stages.values()]
        vals = [s for s in secs if s is not None]
        return sum(vals) if vals else None

    @property
    def size(self) -> int | None:
        size = number((self.metrics or {}).get("size"))
        if size is not None:
            return int(size)
        kept = number(self.stage_summary("refine").get("kept"))
        return int(kept) if kept is not None else None
