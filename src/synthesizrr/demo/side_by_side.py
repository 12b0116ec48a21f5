"""Run every demo method on the same task and compare them.

Each method is a full pipeline run (``<run_dir>/demo_<method>/``, its own report.html);
they share the seeds, the test set, the generation budget and the student (``task.yaml``).
The comparison page is ``<run_dir>/demo_comparison/report.html``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthesizrr.demo import METHODS, demo_config
from synthesizrr.report.compare import Comparison, compare_runs, headline_columns
from synthesizrr.report.examples import Example, pick_examples
from synthesizrr.report.rundata import Missing, RunData

#: What each method is, in one line (the comparison page's introduction).
LABELS: dict[str, str] = {
    "synthesizrr": "SynthesizRR (RETRICL): rewrite retrieved real articles",
    "fewgen": "FewGen: write from seed examples in the prompt",
}
INTRO = (
    "SynthesizRR and FewGen on the same small real task (US vs world news headlines): the "
    "same {seeds} seed headlines, the same teacher and generation budget ({per_label} "
    "requests per label), the same refinement and the same student, scored on the same "
    "real test headlines. 'Seeds-only' is that student trained on the {seeds} seeds alone; "
    "'Gold' on as many real headlines as the method kept."
)


@dataclass
class DemoResult:
    """The runs, their comparison, a few example rows of each and the comparison page."""

    runs: dict[str, Path]
    seconds: dict[str, float]
    comparison: Comparison
    examples: dict[str, list[Example] | Missing] = field(default_factory=dict)
    verdicts: dict[str, str] = field(default_factory=dict)
    report: Path | None = None


def run_demo(
    run_dir: Path,
    *,
    overrides: dict[str, Any] | None = None,
    progress: bool = False,
    on_event: Callable[[str, str, dict[str, Any]], None] | None = None,
    on_method: Callable[[str], None] | None = None,
) -> DemoResult:
    """Run each of :data:`METHODS` under ``run_dir`` and write the comparison page."""
    from synthesizrr.api import run
    from synthesizrr.report.compare_page import write_comparison

    paths: dict[str, Path] = {}
    seconds: dict[str, float] = {}
    intro = ""
    for method in METHODS:
        if on_method is not None:
            on_method(method)
        cfg = demo_config(run_dir, method, overrides)
        seeds = cfg.seeds.per_label * len(cfg.task.label_names)
        intro = intro or INTRO.format(seeds=seeds, per_label=cfg.generation.per_label)
        t0 = time.perf_counter()
        paths[method] = run(cfg, progress=progress, on_event=on_event).path
        seconds[method] = time.perf_counter() - t0
    dirs = list(paths.values())
    report = write_comparison(
        dirs, Path(run_dir).resolve() / "demo_comparison" / "report.html",
        title="synthesizrr demo: SynthesizRR vs FewGen", intro=intro,
    )  # fmt: skip
    cmp = compare_runs(dirs)
    result = DemoResult(paths, seconds, Comparison(cmp.rows, headline_columns()), report=report)
    for method, path in paths.items():
        data = RunData.load(path)
        result.examples[method] = pick_examples(data, 2)
        base = data.student("seeds_baseline")
        result.verdicts[method] = str(base) if isinstance(base, Missing) else str(base["verdict"])
    return result
