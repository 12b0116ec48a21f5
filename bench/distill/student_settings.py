"""Which logistic-regression settings the default student should have: C and class_weight.

    python bench/distill/student_settings.py RUN_DIR [RUN_DIR ...] \
        --out bench/distill/student_settings.json --markdown bench/distill/STUDENT_SETTINGS.md

For every finished run folder (seeds, refine and a test set in its config.yaml), the run's
student kind (MiniLM embeddings + logistic regression) is trained with each setting of
:data:`GRID` on

- the synthetic rows alone (the run's student),
- as many real rows with the same label mix (the gold student of the evaluate stage),
- the seeds alone and the seeds + synthetic rows (the uplift a user decides on),

and scored on the run's real test rows. Each setting's difference to the previous default
(C 1, class_weight null) comes with a 95% paired bootstrap interval over the test rows.
The run folders are read only.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "src"))

from runs_cli import load_run, main_over_runs  # noqa: E402

from synthesizrr.distill import sample_like, train_and_evaluate  # noqa: E402
from synthesizrr.distill.baselines import paired_bootstrap, row_correctness  # noqa: E402
from synthesizrr.distill.evaluate import encode_labels  # noqa: E402
from synthesizrr.distill.settings import StudentSettings  # noqa: E402
from synthesizrr.pipeline.data import real_train  # noqa: E402

# (C, class_weight); the first is the default before 2026-12-05, the reference of every difference.
GRID: tuple[tuple[float, str | None], ...] = (
    (1.0, None),
    (1.0, "balanced"),
    (10.0, None),
    (10.0, "balanced"),
)
RESAMPLES = 2000
STUDENTS = ("synthetic", "gold", "seeds", "seeds_plus_synthetic")


def _key(c: float, cw: str | None) -> str:
    return f"C={c:g}, cw={cw or 'none'}"


def _correct(
    settings: StudentSettings,
    train: tuple[Sequence[str], Sequence[str]],
    test: tuple[Sequence[str], Sequence[str]],
    labels: list[str],
    weights: Sequence[float] | None = None,
) -> np.ndarray:
    preds: list[np.ndarray] = []
    train_and_evaluate(settings, train[0], train[1], test[0], test[1], labels=labels,
                       predictions=preds, sample_weight=weights)  # fmt: skip
    return row_correctness(preds, encode_labels(test[1], labels, "test_labels"))


def summarize(correct: dict[str, dict[str, np.ndarray]], seed: int) -> dict[str, Any]:
    """Accuracies, uplift and paired differences to the first setting, per setting.

    ``correct[setting][student]``: per test row, whether that student got it right.
    """
    first = next(iter(correct))
    ref = correct[first]
    settings: dict[str, Any] = {}
    for key, rows in correct.items():
        out: dict[str, Any] = {s: float(rows[s].mean()) for s in STUDENTS}
        up, up_ci = paired_bootstrap(rows["seeds_plus_synthetic"], rows["seeds"], RESAMPLES, seed)
        out["uplift"], out["uplift_ci"] = up, list(up_ci)
        out["student_over_gold"] = out["synthetic"] / out["gold"] if out["gold"] else None
        if key != first:
            for s in ("synthetic", "gold"):
                d, ci = paired_bootstrap(rows[s], ref[s], RESAMPLES, seed)
                out[f"{s}_diff_vs_default"], out[f"{s}_diff_vs_default_ci"] = d, list(ci)
            # the uplift's own change: (both - seeds) - (both_ref - seeds_ref), row by row
            d, ci = paired_bootstrap(rows["seeds_plus_synthetic"] - rows["seeds"],
                                     ref["seeds_plus_synthetic"] - ref["seeds"], RESAMPLES,
                                     seed)  # fmt: skip
            out["uplift_diff_vs_default"], out["uplift_diff_vs_default_ci"] = d, list(ci)
        settings[key] = out
    return settings


def measure(run: Path) -> dict[str, Any]:
    """Every student of :data:`STUDENTS` at every setting of :data:`GRID` for one run."""
    cfg, seeds, synthetic, test = load_run(run)
    train = real_train(cfg)
    gold = sample_like(train[0], train[1], dict(Counter(synthetic[1])), cfg.seed)
    labels = list(cfg.task.label_names)
    if cfg.evaluation.synthetic_weight == "auto":
        raise SystemExit(f"{run}: synthetic_weight auto is not supported here; give a number")
    weight = float(cfg.evaluation.synthetic_weight)
    both = (list(seeds[0]) + list(synthetic[0]), list(seeds[1]) + list(synthetic[1]))
    both_weights = None if weight == 1.0 else [1.0] * len(seeds[0]) + [weight] * len(synthetic[0])
    t0 = time.perf_counter()
    correct: dict[str, dict[str, np.ndarray]] = {}
    for c, cw in GRID:
        st = cfg.evaluation.student.model_copy(update={"C": c, "class_weight": cw, "bootstrap": 0})
        correct[_key(c, cw)] = {
            "synthetic": _correct(st, synthetic, test, labels),
            "gold": _correct(st, gold, test, labels),
            "seeds": _correct(st, seeds, test, labels),
            "seeds_plus_synthetic": _correct(st, both, test, labels, both_weights),
        }
    settings = summarize(correct, cfg.seed)
    return {
        "run": str(run),
        "dataset": cfg.name,
        "seeds": len(seeds[0]),
        "synthetic_rows": len(synthetic[0]),
        "synthetic_per_label": dict(Counter(synthetic[1])),
        "test_rows": len(test[0]),
        "synthetic_weight": weight,
        "settings": settings,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _pts(v: float) -> str:
    return f"{v * 100:+.1f}"


def _cell(v: float, ci: Sequence[float]) -> str:
    return f"{_pts(v)} [{_pts(ci[0])}, {_pts(ci[1])}]"


def _name(run: str) -> str:
    parts = Path(run).parts
    return "/".join(parts[-2:]) if len(parts) >= 2 else run


def markdown(entries: list[dict[str, Any]], command: str) -> str:
    keys = [_key(c, cw) for c, cw in GRID]
    lines = [
        "# The default student's settings: C and class_weight",
        "",
        "    " + command,
        "",
        "Each run's rows train the same student (MiniLM embeddings + logistic regression) at",
        "each setting; accuracies on the run's real test rows. `gold`: as many real train",
        "rows with the synthetic rows' label mix (the evaluate stage's gold student).",
        "`uplift`: seeds + synthetic over the seeds alone (synthetic weight of the run), with",
        "its 95% paired bootstrap interval over the test rows. Differences are against",
        f"the previous default ({keys[0]}), paired over the test rows, 95% intervals, in points.",
        "",
        "| run | rows (per label) | setting | student | gold | student / gold | seeds | uplift | "
        "student vs default | gold vs default | uplift vs default |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in entries:
        mix = " / ".join(str(v) for v in e["synthetic_per_label"].values())
        for i, key in enumerate(keys):
            s = e["settings"][key]
            diffs = ["", "", ""]
            if i:
                diffs = [_cell(s[f"{m}_diff_vs_default"], s[f"{m}_diff_vs_default_ci"])
                         for m in ("synthetic", "gold", "uplift")]  # fmt: skip
            head = [_name(e["run"]), f"{e['synthetic_rows']} ({mix})"] if i == 0 else ["", ""]
            ratio = f"{s['student_over_gold']:.3f}" if s["student_over_gold"] else "-"
            lines.append("| " + " | ".join([
                *head, key, f"{s['synthetic']:.3f}", f"{s['gold']:.3f}", ratio,
                f"{s['seeds']:.3f}", _cell(s["uplift"], s["uplift_ci"]), *diffs,
            ]) + " |")  # fmt: skip
    n = len(entries)
    lines += ["", f"Over the {n} runs (mean; intervals of the difference above / below zero):", ""]
    for key in keys[1:]:
        parts = []
        for m in ("synthetic", "gold", "uplift"):
            ds = [e["settings"][key][f"{m}_diff_vs_default"] for e in entries]
            up = sum(e["settings"][key][f"{m}_diff_vs_default_ci"][0] > 0 for e in entries)
            down = sum(e["settings"][key][f"{m}_diff_vs_default_ci"][1] < 0 for e in entries)
            parts.append(f"{m} {_pts(sum(ds) / n)} ({up} above, {down} below)")
        lines.append(f"- {key}: " + "; ".join(parts))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    main_over_runs(argv, description=__doc__, default_out=HERE / "student_settings.json", measure=measure,
                   markdown=markdown, extra={"grid": [list(g) for g in GRID]})  # fmt: skip


if __name__ == "__main__":
    main()
