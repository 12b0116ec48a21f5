"""The budget-matched comparison: at the same teacher seconds, rows kept and the student.

For each finished run of a dataset folder: ``T`` = its generate stage's seconds, ``K`` =
its rows kept after refine. The budget is the cheapest method's ``T`` (or ``--seconds``).
A method that took longer yields ``floor(K * budget / T)`` rows within the budget (its
requests are alike, so rows accrue about evenly in time: an approximation, stated); the
same student as the evaluate stage is trained on a seeded, label-proportional sample of
that many of its kept rows (``distill.downsample_indices``) and scored on the run's test
set, with its 95% bootstrap interval over the training rows.

    python bench/paper/budget.py /work/runs/paper/ag_news [--seconds 600]

Writes ``<folder>/budget.json`` and prints a Markdown table. Times come from one machine
in one session; with other jobs on it they are noisy, and the table says the load.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "src"))
sys.path.insert(0, str(HERE))

from collect import generate_seconds  # noqa: E402
from study import METHODS  # noqa: E402


def at_budget(run_path: Path, rows: int) -> dict[str, Any]:
    """The run's student trained on ``rows`` of its kept rows (seeded, label-proportional)."""
    from synthesizrr import layout
    from synthesizrr.api import open_run
    from synthesizrr.config import config_from_dict
    from synthesizrr.distill import downsample_indices, train_and_evaluate
    from synthesizrr.fileio import read_parquet
    from synthesizrr.pipeline.data import real_test

    run = open_run(run_path)
    cfg = config_from_dict(run.manifest["config"], source=str(run_path / "manifest.json"))
    table = read_parquet(run_path / layout.STAGE_FOLDERS["refine"] / layout.FINAL_DATASET)
    texts = [str(t) for t in table.column("text").to_pylist()]
    labels = [str(x) for x in table.column("label").to_pylist()]
    idx, _ = downsample_indices(labels, rows, cfg.seed, cfg.task.label_names)
    test = real_test(cfg)
    assert test is not None, f"{run_path}: no evaluation.test_path"
    report = train_and_evaluate(cfg.evaluation.student, [texts[i] for i in idx],
                                [labels[i] for i in idx], test[0], test[1],
                                labels=cfg.task.label_names)  # fmt: skip
    out = report.to_dict()
    return {"rows": len(idx), "student_accuracy": out["accuracy_mean"],
            "student_accuracy_ci": out.get("accuracy_ci")}  # fmt: skip


def budget_table(
    folder: Path, seconds: float | None, given: dict[str, float] | None = None
) -> list[dict[str, Any]]:
    """``given``: a method's generate seconds where its manifest cannot tell them (a run
    extended in place whose first answers predate the ledger's seconds: the stage's wall
    time covers only the extension)."""
    given = given or {}
    runs = []
    for method in METHODS:
        path = folder / method
        manifest = path / "manifest.json"
        if not manifest.exists():
            continue
        m = json.loads(manifest.read_text("utf-8"))
        gen, refine = m["stages"].get("generate", {}), m["stages"].get("refine", {})
        seconds_ = given.get(method) or generate_seconds(gen)
        if refine.get("status") != "done" or not seconds_:
            continue
        runs.append((method, path, seconds_, int(refine["summary"]["kept"])))
    if not runs:
        return []
    budget = seconds if seconds is not None else min(t for _, _, t, _ in runs)
    out = []
    for method, path, t, kept in runs:
        rows = min(kept, math.floor(kept * budget / t))
        entry: dict[str, Any] = {"method": method, "generate_seconds": round(t, 1),
                                 "rows_kept": kept, "budget_seconds": round(budget, 1),
                                 "rows_at_budget": rows}  # fmt: skip
        if method in given:
            entry["generate_seconds_given"] = True
        if rows >= 2:
            entry.update({f"at_budget_{k}": v for k, v in at_budget(path, rows).items()})
        out.append(entry)
    return out


def markdown(entries: list[dict[str, Any]]) -> str:
    lines = ["| method | generate s | kept | rows at budget | student at budget [95% CI] |",
             "|---|---|---|---|---|"]  # fmt: skip
    for e in entries:
        ci = e.get("at_budget_student_accuracy_ci")
        acc = e.get("at_budget_student_accuracy")
        shown = (
            "–" if acc is None else f"{acc:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")
        )
        t = f"{e['generate_seconds']:.0f}" + (" (given)" if e.get("generate_seconds_given") else "")
        lines.append(f"| {METHODS[e['method']].title} | {t} | "
                     f"{e['rows_kept']} | {e['rows_at_budget']} | {shown} |")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("folder", type=Path, help="a dataset folder of the study (<run-dir>/<dataset>)")
    ap.add_argument("--seconds", type=float, default=None, help="budget (default: cheapest run)")
    ap.add_argument(
        "--generate-seconds", action="append", default=[], metavar="METHOD=SECONDS",
        help="a method's generate seconds where its manifest cannot tell them (repeatable)",
    )  # fmt: skip
    args = ap.parse_args(argv)
    given = {}
    for item in args.generate_seconds:
        method, sep, value = item.partition("=")
        if not sep or method not in METHODS:
            ap.error(f"--generate-seconds {item!r}: want METHOD=SECONDS, METHOD one of "
                     + ", ".join(METHODS))  # fmt: skip
        given[method] = float(value)
    entries = budget_table(args.folder, args.seconds, given)
    (args.folder / "budget.json").write_text(json.dumps(entries, indent=1) + "\n", "utf-8")
    print(markdown(entries))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
