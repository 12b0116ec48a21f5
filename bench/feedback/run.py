"""Student feedback (``generation.feedback_rounds``) at the same total number of generations.

Per run seed, ``examples/ag_news_small.yaml`` (4 labels x 5 seeds, RETRICL 2 shots, the
embedded SmolLM2 teacher on one thread) runs twice in one run directory (the seeds, corpus
sample, index and retrieval are shared; generate and refine rerun; the corpus and index
are shared by every seed too):

* ``plain``: ``per_label = TOTAL / 4``, no feedback;
* ``feedback``: ``per_label = (TOTAL - BUDGET) / 4`` plus one round of ``BUDGET`` extra
  generations for the labels the student gets wrong on the held-out seeds.

Each refined dataset trains the same student (``embed_lr``: MiniLM + logistic regression)
scored on the same 2,000 real AG News test rows; the difference of the two arms is given
with a 95% paired bootstrap interval over the test rows (``distill.baselines``). Seeds only
steer the round: the test rows and the train set beyond the seeds never reach it.

    cd <repo> && PATH=/work/main/.venv/bin:$PATH PYTHONPATH=src HF_HUB_OFFLINE=1 nice -n 5 \\
        python bench/feedback/run.py --seeds 0,1 --total 60 --budget 12 --smoothing 0,1,1000
    python bench/feedback/run.py --md-only
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "src"))
RESULTS = HERE / "results.json"
CONFIG = REPO / "examples" / "ag_news_small.yaml"
RESAMPLES = 2000


def _student_correct(cfg: Any, dataset: Path) -> np.ndarray:
    """Per real test row: 1.0 where the student trained on ``dataset`` is right."""
    import pyarrow.parquet as pq

    from synthesizrr.distill.settings import StudentSettings
    from synthesizrr.distill.students import make_student
    from synthesizrr.pipeline.data import real_test

    names = cfg.task.label_names
    index = {lab: i for i, lab in enumerate(names)}
    rows = pq.read_table(dataset, columns=["text", "label"]).to_pylist()
    test = real_test(cfg)
    assert test is not None, "the config names no test set"
    student = make_student(StudentSettings(kind="embed_lr", model="minilm"), len(names))
    student.fit([r["text"] for r in rows], np.array([index[r["label"]] for r in rows]), 0)
    predicted = student.predict_proba(test[0]).argmax(axis=1)
    return (predicted == np.array([index[x] for x in test[1]])).astype(np.float64)


def run_seed(
    args: argparse.Namespace, seed: int
) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    from synthesizrr.api import run
    from synthesizrr.config import config_from_dict, load_config

    data = load_config(CONFIG).model_dump(mode="json")
    # one run directory for every seed: the corpus sample and the index do not depend on it
    data.update(name="feedback_ag_news", run_dir=str(args.run_dir), seed=seed)
    data["generation"]["llm"]["n_threads"] = args.llm_threads
    labels = len(data["task"]["labels"]) if data["task"].get("labels") else 4
    arms: dict[str, dict[str, Any]] = {"plain": {"per_label": args.total // labels}}
    for k in args.smoothing:
        name = "feedback" if k == 0 else f"feedback_add{k:g}"
        arms[name] = {"per_label": (args.total - args.budget) // labels, "feedback_rounds": 1,
                      "feedback_budget": args.budget, "feedback_smoothing": k}  # fmt: skip
    entries, correct = [], {}
    for arm, gen in arms.items():
        off = {"feedback_rounds": 0, "feedback_budget": 0, "feedback_smoothing": 0.0}
        data["generation"].update({**off, **gen})
        cfg = config_from_dict(data, source=f"bench/feedback:{arm}", base_dir=CONFIG.parent)
        start = time.perf_counter()
        handle = run(cfg, until="refine")
        seconds = round(time.perf_counter() - start, 1)
        summary = json.loads((handle.path / "05_generate" / "summary.json").read_text())
        refine = json.loads((handle.path / "06_refine" / "summary.json").read_text())
        correct[arm] = _student_correct(cfg, handle.path / "06_refine" / "dataset.parquet")
        entry = {
            "seed": seed, "arm": arm, "planned": summary["planned"], "parsed": summary["kept"],
            "rows": refine["kept"], "kept_per_label": refine["kept_per_label"],
            "student_accuracy": round(float(correct[arm].mean()), 4),
            "test_rows": len(correct[arm]), "feedback": summary.get("feedback"),
            "seconds": seconds,
        }  # fmt: skip
        print(json.dumps(entry), flush=True)
        entries.append(entry)
    return entries, {arm: c - correct["plain"] for arm, c in correct.items() if arm != "plain"}


def _diff(diff: np.ndarray, seed: int) -> dict[str, Any]:
    from synthesizrr.distill.baselines import paired_bootstrap

    mean, (low, high) = paired_bootstrap(diff, np.zeros_like(diff), RESAMPLES, seed)
    return {"minus_plain": round(mean, 4), "ci95": [round(low, 4), round(high, 4)]}


def write_md(results: dict[str, Any]) -> None:
    lines = [
        "| seed | arm | planned | parsed | final rows | held-out seed acc. before -> after "
        "| student acc. (2,000 test rows) | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in results["entries"]:
        fb = e.get("feedback") or {}
        held = f"{fb['accuracy_before']:.3f} -> {fb['accuracy_after']:.3f}" if fb else "-"
        lines.append(f"| {e['seed']} | {e['arm']} | {e['planned']} | {e['parsed']} | {e['rows']} "
                     f"| {held} | {e['student_accuracy']:.4f} | {e['seconds']} |")  # fmt: skip
    lines += ["", "| seeds | arm | arm - plain (accuracy) | 95% paired bootstrap CI |",
              "|---|---|---|---|"]  # fmt: skip
    for key, per_arm in results["differences"].items():
        for arm, d in per_arm.items():
            lines.append(f"| {key} | {arm} | {d['minus_plain'] * 100:+.2f} points | "
                         f"{d['ci95'][0] * 100:+.2f} to {d['ci95'][1] * 100:+.2f} |")  # fmt: skip
    md = HERE / "RESULTS.md"
    text = md.read_text(encoding="utf-8") if md.exists() else "# Student feedback\n"
    start, end = "<!-- feedback-table:start -->", "<!-- feedback-table:end -->"
    table = start + "\n" + "\n".join(lines) + "\n" + end
    if start in text:
        text = text[: text.index(start)] + table + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + table + "\n"
    md.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--total", type=int, default=60, help="generations per arm")
    ap.add_argument("--budget", type=int, default=12, help="the feedback round's share")
    ap.add_argument("--smoothing", default="0,1,1000", help="one feedback arm per value")
    ap.add_argument("--llm-threads", type=int, default=1)
    ap.add_argument("--run-dir", type=Path, default=Path("/tmp/synthesizrr-feedback"))
    ap.add_argument("--md-only", action="store_true")
    args = ap.parse_args(argv)
    args.smoothing = [float(x) for x in args.smoothing.split(",")]
    if args.md_only:
        write_md(json.loads(RESULTS.read_text()))
        return 0
    results: dict[str, Any] = {"total": args.total, "budget": args.budget, "entries": [],
                               "differences": {}}  # fmt: skip
    diffs: dict[str, list[np.ndarray]] = {}
    for seed in (int(s) for s in args.seeds.split(",")):
        entries, diff = run_seed(args, seed)
        results["entries"] += entries
        results["differences"][str(seed)] = {arm: _diff(d, seed) for arm, d in diff.items()}
        for arm, d in diff.items():
            diffs.setdefault(arm, []).append(d)
        if len(next(iter(diffs.values()))) > 1:
            results["differences"]["pooled"] = {
                arm: _diff(np.concatenate(ds), 0) for arm, ds in diffs.items()
            }
        RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        write_md(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
