"""How much a synthetic row should weigh beside a seed: the uplift at each weight.

    python bench/distill/synthetic_weight.py RUN_DIR [RUN_DIR ...] \
        --out bench/distill/synthetic_weight.json --markdown bench/distill/SYNTHETIC_WEIGHT.md

For every finished run folder (seeds, refine and a test set in its config.yaml), the
seeds + synthetic student of ``evaluation.seeds_baseline`` is trained with each synthetic
row weighing 0.1, 0.25, 0.5 and 1 (each seed weighs 1), and with ``auto`` (the weight
picked by cross-validation on the seeds alone). Each gets its uplift over the seeds alone
with the paired 95% bootstrap interval over the test rows. ``test-best`` names the weight
the *test set* would have picked: shown to bound what a choice could gain, never a method.
The run folders are read only.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "src"))

from runs_cli import load_run, main_over_runs  # noqa: E402

from synthesizrr.distill.baselines import WEIGHT_GRID, seeds_baseline  # noqa: E402

SETTINGS: tuple[float | str, ...] = (*WEIGHT_GRID, "auto")


def measure(run: Path) -> dict[str, Any]:
    """The uplift of one run folder's rows at every weight of :data:`SETTINGS`."""
    cfg, seeds, synthetic, test = load_run(run)
    entry: dict[str, Any] = {"run": str(run), "seeds": len(seeds[0]),
                             "synthetic_rows": len(synthetic[0]), "test_rows": len(test[0])}  # fmt: skip
    weights: dict[str, Any] = {}
    t0 = time.perf_counter()
    for setting in SETTINGS:
        base = seeds_baseline(
            cfg.evaluation.student, seeds, synthetic, test, labels=cfg.task.label_names,
            synthetic_weight=setting, seed=cfg.seed,  # type: ignore[arg-type]
        )  # fmt: skip
        entry["seeds_only_accuracy"] = base.seeds_only_accuracy
        weights[str(setting)] = {
            "weight": base.synthetic_weight.weight,
            "accuracy": base.seeds_plus_synthetic_accuracy,
            "uplift": base.uplift_vs_seeds_only,
            "uplift_ci": list(base.uplift_vs_seeds_only_ci),
        }
        if setting == "auto":
            weights["auto"]["cv_accuracy"] = base.synthetic_weight.cv_accuracy
            weights["auto"]["cv_log_loss"] = base.synthetic_weight.cv_log_loss
    entry["weights"] = weights
    fixed = [str(w) for w in WEIGHT_GRID]
    entry["test_best"] = max(fixed, key=lambda k: weights[k]["uplift"])
    entry["seconds"] = round(time.perf_counter() - t0, 1)
    return entry


def _pts(v: float) -> str:
    return f"{v * 100:+.1f}"


def markdown(entries: list[dict[str, Any]], command: str) -> str:
    head = ["run", "seeds", "synthetic", "seeds only"] + [f"w = {s}" for s in SETTINGS]
    lines = [
        "# How much a synthetic row weighs beside a seed",
        "",
        "    " + command,
        "",
        "Each cell: the uplift of seeds + synthetic over the seeds alone, in accuracy points,",
        "with its 95% paired bootstrap interval over the test rows, when each synthetic row",
        "weighs w and each seed 1 (the same student, MiniLM embeddings + logistic",
        "regression). `auto`: w chosen by cross-validation on the seeds alone. `test-best w`:",
        "the weight the test set would pick (a bound, not a method).",
        "",
        "| " + " | ".join(head) + " | test-best w |",
        "|" + "---|" * (len(head) + 1),
    ]
    for e in entries:
        cells = [Path(e["run"]).name if len(Path(e["run"]).parts) < 2 else
                 "/".join(Path(e["run"]).parts[-2:]), str(e["seeds"]),
                 str(e["synthetic_rows"]), f"{e['seeds_only_accuracy']:.3f}"]  # fmt: skip
        for s in SETTINGS:
            w = e["weights"][str(s)]
            lo, hi = w["uplift_ci"]
            extra = f" (w {w['weight']:g})" if s == "auto" else ""
            cells.append(f"{_pts(w['uplift'])} [{_pts(lo)}, {_pts(hi)}]{extra}")
        lines.append("| " + " | ".join(cells) + f" | {e['test_best']} |")
    n = len(entries)
    lines += ["", f"Mean uplift over the {n} runs (points):", ""]
    for s in SETTINGS:
        ups = [e["weights"][str(s)]["uplift"] for e in entries]
        wins = sum(e["weights"][str(s)]["uplift_ci"][0] > 0 for e in entries)
        losses = sum(e["weights"][str(s)]["uplift_ci"][1] < 0 for e in entries)
        lines.append(
            f"- w = {s}: {_pts(sum(ups) / n)}; interval above zero in {wins}, below in {losses}"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    main_over_runs(argv, description=__doc__, default_out=HERE / "synthetic_weight.json", measure=measure,
                   markdown=markdown)  # fmt: skip


if __name__ == "__main__":
    main()
