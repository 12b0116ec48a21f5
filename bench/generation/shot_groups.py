"""Shot groups (``generation.prompt.shot_groups``): does sharing one shot draw across G
consecutive prompts of a label cost diversity, label fidelity or student accuracy?

Reads finished run directories made with the same settings except the shot-group size
(``bench/paper/run.py ... --shot-groups G --run-dir <dir-G>``), pairs them by method, and
scores each run's parsed generations (``05_generate``, before refine: the shot draw acts
on generation, and refine's cartography and resampling would cut the sets to a third) at
one common N per method (the smaller parsed count, the run's ``evaluation.size`` sampler,
label-proportional). Per set: Self-BLEU-5, entity entropy, label preservation (the run's
full-train oracle), each with its 95% bootstrap interval, and the run's student on its
test rows; per pair: each difference (G - G=1) with its interval (independent sets: the
bootstrap sds add in quadrature; the students: a paired bootstrap over the test rows).
The run directories are only read.

    cd <repo> && PATH=/work/main/.venv/bin:$PATH PYTHONPATH=src HF_HUB_OFFLINE=1 \\
        python bench/generation/shot_groups.py /work/runs/sg/g1/ag_news /work/runs/sg/g4/ag_news \\
        --methods retricl_3,fewgen_32
    python bench/generation/shot_groups.py md     # rewrite SHOT_GROUPS.md from the JSON
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
OUT = HERE / "shot_groups.json"
METRICS = {"self_bleu": "self_bleu_5", "entity_entropy": "entity_entropy",
           "label_preservation": "label_preservation"}  # fmt: skip


def _load(run: Path) -> dict[str, Any]:
    from synthesizrr.config import load_config
    from synthesizrr.fileio import read_parquet

    cfg = load_config(run / "config.yaml")
    gens = read_parquet(run / "05_generate" / "generations.parquet")
    summary = json.loads((run / "05_generate" / "summary.json").read_text())
    return {
        "cfg": cfg,
        "texts": [str(t) for t in gens.column("text").to_pylist()],
        "labels": [str(x) for x in gens.column("label").to_pylist()],
        "planned": summary["planned"],
        "shot_groups": cfg.generation.prompt.shot_groups,
        "prompt_tokens": summary.get("prompt_tokens"),
        "completion_tokens": summary.get("completion_tokens"),
    }


def score(run: dict[str, Any], n: int) -> dict[str, Any]:
    from synthesizrr.distill import downsample_indices, train_and_evaluate
    from synthesizrr.metrics import compute_metrics
    from synthesizrr.pipeline.data import real_test, real_train

    cfg = run["cfg"]
    labels = cfg.task.label_names
    idx, _ = downsample_indices(run["labels"], n, cfg.seed, labels)
    texts = [run["texts"][i] for i in idx]
    labs = [run["labels"][i] for i in idx]
    train, test = real_train(cfg), real_test(cfg)
    assert test is not None, "the runs need evaluation.test_path"
    scores = compute_metrics(
        cfg.evaluation.metrics.model_copy(update={"metrics": list(METRICS)}),
        texts, labs, train_texts=train[0], train_labels=train[1],
    )  # fmt: skip
    out: dict[str, Any] = {
        "shot_groups": run["shot_groups"],
        "parsed": len(run["texts"]),
        "planned": run["planned"],
        "parse_keep": round(len(run["texts"]) / run["planned"], 4),
        "rows": len(texts),
        "prompt_tokens_per_request": round(run["prompt_tokens"] / run["planned"], 1),
    }
    for name, key in METRICS.items():
        m = scores[name]
        out[key] = m.value
        out[f"{key}_ci"] = m.ci
        out[f"{key}_sd"] = (m.details or {}).get("bootstrap", {}).get("sd")
    preds: list[np.ndarray] = []
    student = train_and_evaluate(cfg.evaluation.student, texts, labs, test[0], test[1],
                                 labels=labels, predictions=preds)  # fmt: skip
    out["student_accuracy"] = student.accuracy_mean
    out["student_accuracy_ci"] = student.accuracy_ci
    y = np.array([labels.index(t) for t in test[1]])
    out["_correct"] = np.mean([p == y for p in preds], axis=0)
    return out


def compare(base: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    from synthesizrr.distill.baselines import paired_bootstrap
    from synthesizrr.metrics.intervals import difference_interval, excludes_zero

    diff: dict[str, Any] = {}
    for key in METRICS.values():
        va, vb, sa, sb = other[key], base[key], other[f"{key}_sd"], base[f"{key}_sd"]
        ci = list(difference_interval(va, sa, vb, sb)) if None not in (va, vb, sa, sb) else None
        diff[key] = {"diff": va - vb, "ci": ci, "excludes_zero": excludes_zero(ci)}
    d, ci2 = paired_bootstrap(other["_correct"], base["_correct"], 1000, 0)
    diff["student_accuracy"] = {"diff": d, "ci": list(ci2), "excludes_zero": excludes_zero(ci2)}
    return diff


def _fmt(v: Any, ci: Any, digits: int) -> str:
    if v is None:
        return "-"
    return f"{v:.{digits}f} [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]" if ci else f"{v:.{digits}f}"


def write_md(data: dict[str, Any]) -> None:
    lines = [
        "# Shot groups: one shot draw for G consecutive prompts of a label",
        "",
        f"{data['what']}.",
        "",
        f"Command: `{data['command']}` ({data['date']}).",
        "",
        "| method | G | planned | parsed | keep | N | prompt tok/req | Self-BLEU-5 | "
        "entity entropy | label preservation | student |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in data["entries"]:
        for s in e["settings"]:
            lines.append(
                f"| {e['method']} | {s['shot_groups']} | {s['planned']} | {s['parsed']} | "
                f"{s['parse_keep']:.3f} | {s['rows']} | {s['prompt_tokens_per_request']} | "
                f"{_fmt(s['self_bleu_5'], s['self_bleu_5_ci'], 4)} | "
                f"{_fmt(s['entity_entropy'], s['entity_entropy_ci'], 2)} | "
                f"{_fmt(s['label_preservation'], s['label_preservation_ci'], 3)} | "
                f"{_fmt(s['student_accuracy'], s['student_accuracy_ci'], 3)} |"
            )
    lines += ["", "Differences to G = 1 (95% interval; * where it excludes zero):", ""]
    lines += ["| method | G | Self-BLEU-5 | entity entropy | label preservation | student |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for e in data["entries"]:
        for g, d in e["differences_vs_g1"].items():
            cells = []
            for key, digits in (("self_bleu_5", 4), ("entity_entropy", 2),
                                ("label_preservation", 3), ("student_accuracy", 3)):  # fmt: skip
                x = d[key]
                cells.append(
                    _fmt(x["diff"], x["ci"], digits) + (" *" if x["excludes_zero"] else "")
                )
            lines.append(f"| {e['method']} | {g.removeprefix('G=')} | " + " | ".join(cells) + " |")
    lines += ["", *data.get("notes", [])]
    (HERE / "SHOT_GROUPS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str]) -> None:
    if argv[:1] == ["md"]:
        write_md(json.loads(OUT.read_text()))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base", type=Path, help="dataset folder of the G=1 runs")
    ap.add_argument("others", nargs="+", type=Path, help="dataset folders of other G")
    ap.add_argument("--methods", default="retricl_3,fewgen_32")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    entries = []
    for method in args.methods.split(","):
        runs = [_load(folder / method) for folder in (args.base, *args.others)]
        n = min(len(r["texts"]) for r in runs)
        scored = [score(r, n) for r in runs]
        entry = {"dataset": args.base.name, "method": method, "rows": n,
                 "settings": [{k: v for k, v in s.items() if k != "_correct"} for s in scored],
                 "differences_vs_g1": {f"G={s['shot_groups']}": compare(scored[0], s)
                                       for s in scored[1:]}}  # fmt: skip
        print(json.dumps(entry), flush=True)
        entries.append(entry)
    data = {
        "what": "shot groups G vs 1: metrics of each run's parsed generations at one common N "
        "per method (before refine), 95% bootstrap intervals; differences G - 1",
        "command": "python bench/generation/shot_groups.py " + " ".join(argv),
        "date": time.strftime("%Y-%m-%d"),
        "seconds": round(time.perf_counter() - start, 1),
        "entries": entries,
        "notes": json.loads(OUT.read_text()).get("notes", []) if OUT.exists() else [],
    }
    OUT.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    write_md(data)


if __name__ == "__main__":
    main(sys.argv[1:])
