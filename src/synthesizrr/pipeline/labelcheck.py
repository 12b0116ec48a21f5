"""A label must not vanish: after retrieve, generate and refine, every task label still
has rows, or the run stops with the counts at each stage and what to change.

A student trained on three of four labels scores well on them and says nothing about the
fourth, so a label with no rows is an error, not a warning. The stage's output is kept
(committed) so it can be inspected, and the stage is marked failed, so the same command
reruns it (generation answers come from the request cache).

Fewer seeds than ``seeds.per_label`` asks for is a warning instead: the run goes on and
the warning is in the stage summary (``warnings``) and the report.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from synthesizrr.config import RunConfig
from synthesizrr.errors import BackendError, StageError
from synthesizrr.pipeline.rundir import RunDir
from synthesizrr.pipeline.stages import STAGES

#: stage -> (file, what its rows are called, rows that count: None = all, else role)
COUNTED: dict[str, tuple[str, str, str | None]] = {
    "seeds": ("seeds.parquet", "seeds", None),
    "retrieve": ("pairs.parquet", "retrieved documents", "gen"),
    "generate": ("generations.parquet", "generated rows", None),
    "refine": ("dataset.parquet", "final rows", None),
}


def per_label(rundir: RunDir, stage: str) -> Counter[str] | None:
    """Rows per label in ``stage``'s output (None where the stage has none)."""
    filename, _, role = COUNTED[stage]
    path = rundir.stage_dir(STAGES[stage].folder) / filename
    if not path.is_file():
        return None
    import pyarrow.parquet as pq

    rows = pq.read_table(path, columns=["label"] if role is None else ["label", "role"])
    return Counter(str(r["label"]) for r in rows.to_pylist() if role is None or r["role"] == role)


def _fix(cfg: RunConfig, stage: str, rundir: RunDir) -> str:
    if stage == "retrieve":
        r = cfg.retrieval
        band = ""
        if r.sim_min is not None or r.sim_max is not None:
            lo, hi = ("any" if v is None else v for v in (r.sim_min, r.sim_max))
            band = f", or widen the similarity band retrieval.sim_min/sim_max (now {lo}..{hi})"
        return (
            "add corpus documents about that label (corpus.path) or more seeds "
            f"(seeds.per_label, now {cfg.seeds.per_label}), raise retrieval.top_k (now "
            f"{r.top_k}){band}"
        )
    if stage == "generate":
        dropped = rundir.stage_dir(STAGES["generate"].folder) / "dropped.parquet"
        return (
            f"read the 'reason' column of {dropped}: request_failed is resent by "
            "`synthesizrr generate CONFIG --retry-failed`; otherwise raise "
            f"generation.per_label (now {cfg.generation.per_label}) or task.max_new_tokens, "
            f"lower generation.min_words (now {cfg.generation.min_words}), or change the "
            "prompt or the teacher"
        )
    removed = rundir.stage_dir(STAGES["refine"].folder) / "removed.parquet"
    return (
        f"read the 'reason' column of {removed}, then loosen that step: "
        "refine.label_filter: false, a higher refine.cartography.keep_fraction, "
        "refine.near_dup: false, or generate more (generation.per_label)"
    )


def _dropped(rundir: RunDir, label: str) -> list[str]:
    """The drop reasons of ``label``'s generations (``kind: detail``)."""
    path = rundir.stage_dir(STAGES["generate"].folder) / "dropped.parquet"
    if not path.is_file():
        return []
    import pyarrow.parquet as pq

    if not {"label", "reason"} <= set(pq.read_schema(path).names):
        return []
    rows = pq.read_table(path, columns=["label", "reason"]).to_pylist()
    return [str(r["reason"]) for r in rows if str(r["label"]) == label]


def _reasons(dropped: list[str]) -> str:
    kinds = Counter(r.split(":")[0] for r in dropped)
    return " (dropped: " + ", ".join(f"{k} x{n}" for k, n in kinds.most_common(3)) + ")"


def check_labels(cfg: RunConfig, rundir: RunDir, stage: str, summary: dict[str, Any]) -> None:
    """Raise :class:`StageError` (exit 9) if a task label has no rows after ``stage``;
    :class:`BackendError` (exit 6) where every request of that label failed. ``summary``
    is the stage's: after a budget stop the budget error is the one to report."""
    if stage not in COUNTED or stage == "seeds" or summary.get("stopped"):
        return
    counts = per_label(rundir, stage)
    if counts is None:
        return
    empty = [lab for lab in cfg.task.label_names if counts.get(lab, 0) == 0]
    if not empty:
        return
    label = empty[0]
    trail = []
    for name, (_, what, _) in COUNTED.items():
        c = per_label(rundir, name) if STAGES[name].needed(cfg) else None
        if c is not None:
            trail.append(f"{c.get(label, 0)} {what}")
        if name == stage:
            break
    dropped = _dropped(rundir, label) if stage == "generate" else []
    others = f" (labels with no rows: {', '.join(repr(x) for x in empty)})" if empty[1:] else ""
    if dropped and all(r.startswith("request_failed") for r in dropped):
        raise BackendError(  # the teacher failed, not the data: the backend's exit code
            f"label '{label}' has no rows after the generate stage: all {len(dropped)} of its "
            f"requests failed (last error: {dropped[-1].partition(': ')[2]}){others}; "
            "finished work is kept.",
            fix="check the backend (server up? model name? key?), then run "
            "`synthesizrr generate CONFIG --retry-failed`",
        )
    raise StageError(
        f"label '{label}' has no rows after the {stage} stage: "
        f"{' -> '.join(trail)}{_reasons(dropped) if dropped else ''}{others}; "
        "finished work is kept.",
        fix=_fix(cfg, stage, rundir),
    )


def summary_warnings(summary: dict[str, Any]) -> list[str]:
    """The ``warnings`` list of a stage summary (empty where there is none)."""
    raw = summary.get("warnings")
    return [str(w) for w in raw] if isinstance(raw, list) else []
