"""Benchmark of ``refine.label_check`` on real rows whose labels were flipped on purpose.

For each dataset, per-label seed count and draw: seeds come from the real train file, 400
rows from the first half of the test file get 30% of their labels flipped (uniformly to
another label), and the check decides from the seeds alone which rows to drop. Reported:
precision and recall of the dropped rows against the flipped ones, the kept fraction, and
for the noisy set with and without the check: label preservation (oracle = embed_lr on the
whole train file, evaluation only) and the accuracy of an embed_lr student trained on it,
scored on up to 2,000 rows of the second half of the test file.

    cd <repo> && PATH=/work/main/.venv/bin:$PATH PYTHONPATH=src HF_HUB_OFFLINE=1 \\
        nice -n 5 python bench/label_check/run.py            # measure + RESULTS.md
    python bench/label_check/run.py md                       # only rewrite RESULTS.md
    python bench/label_check/run.py collect LOG              # results from printed lines
"""

from __future__ import annotations

import csv
import json
import platform
import random
import sys
import time
from pathlib import Path
from statistics import mean

import pyarrow as pa

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1].parent / "shared" / "data"
RESULTS = HERE / "results.json"
DATASETS = {"ag_news": "ag_news", "sst2": "sst2", "amazon_humor": "amazon_humor"}
PER_LABEL = (10, 30)
DRAWS = 3
N_NOISY = 400
FLIP = 0.3
N_EVAL = 2000


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["text"].strip()]


def one(dataset: str, per_label: int, draw: int) -> dict:
    from synthesizrr.distill.evaluate import train_and_evaluate
    from synthesizrr.distill.settings import StudentSettings
    from synthesizrr.metrics import MetricsSettings, compute_metrics
    from synthesizrr.refine import CartographySettings, LabelCheckSettings, RefineSettings, refine

    train = _rows(DATA / dataset / "train.csv")
    test = _rows(DATA / dataset / "test.csv")
    labels = sorted({r["label"] for r in train})
    rng = random.Random(1000 * per_label + draw)
    seeds = [
        r for lab in labels for r in rng.sample([t for t in train if t["label"] == lab], per_label)
    ]
    half = len(test) // 2
    noisy = rng.sample(test[:half], N_NOISY)
    held = test[half:]
    held = rng.sample(held, min(N_EVAL, len(held)))
    flip = set(rng.sample(range(N_NOISY), round(FLIP * N_NOISY)))
    given = [
        rng.choice([x for x in labels if x != r["label"]]) if i in flip else r["label"]
        for i, r in enumerate(noisy)
    ]
    table = pa.table({"row_id": [f"n{i}" for i in range(N_NOISY)],
                      "text": [r["text"] for r in noisy], "label": given})  # fmt: skip
    settings = RefineSettings(
        dedup=False, near_dup=False, min_words=0, resample="none",
        cartography=CartographySettings(enabled=False),
        label_check=LabelCheckSettings(enabled=True),
    )  # fmt: skip
    start = time.perf_counter()
    res = refine(table, settings, labels=labels, seed_texts=[s["text"] for s in seeds],
                 seed_labels=[s["label"] for s in seeds])  # fmt: skip
    seconds = time.perf_counter() - start
    dropped = {int(r[1:]) for r in res.removed.column("row_id").to_pylist()}
    tp = len(dropped & flip)
    kept_texts = res.kept.column("text").to_pylist()
    kept_labels = res.kept.column("label").to_pylist()

    def quality(texts: list[str], labs: list[str]) -> tuple[float, float]:
        lp = compute_metrics(
            MetricsSettings(metrics=["label_preservation"]), texts, labs,
            train_texts=[r["text"] for r in train], train_labels=[r["label"] for r in train],
        )["label_preservation"].value  # fmt: skip
        student = train_and_evaluate(
            StudentSettings(kind="embed_lr", seeds=[0]), texts, labs,
            [r["text"] for r in held], [r["label"] for r in held], labels=labels,
        )  # fmt: skip
        assert lp is not None
        return lp, student.accuracy_mean

    lp_before, acc_before = quality([r["text"] for r in noisy], given)
    lp_after, acc_after = quality(kept_texts, kept_labels)
    info = res.stats["label_check"]
    return {
        "dataset": dataset,
        "seeds_per_label": per_label,
        "draw": draw,
        "rows": N_NOISY,
        "flipped": len(flip),
        "dropped": len(dropped),
        "precision": tp / len(dropped) if dropped else None,
        "recall": tp / len(flip),
        "kept_fraction": info["kept_fraction"],
        "tolerance": info["tolerance"],
        "seed_loo_accuracy": info["seed_loo_accuracy"],
        "label_preservation_without": lp_before,
        "label_preservation_with": lp_after,
        "student_accuracy_without": acc_before,
        "student_accuracy_with": acc_after,
        "student_rows_with": len(kept_texts),
        "check_seconds": round(seconds, 2),
    }


def _avg(entries: list[dict], key: str) -> float | None:
    vals = [e[key] for e in entries if e[key] is not None]
    return round(mean(vals), 3) if vals else None


def summarize(entries: list[dict]) -> list[dict]:
    groups: dict[tuple[str, int], list[dict]] = {}
    for e in entries:
        groups.setdefault((e["dataset"], e["seeds_per_label"]), []).append(e)
    keys = ("precision", "recall", "kept_fraction", "tolerance", "seed_loo_accuracy",
            "label_preservation_without", "label_preservation_with",
            "student_accuracy_without", "student_accuracy_with")  # fmt: skip
    return [
        {"dataset": d, "seeds_per_label": k, "draws": len(g), **{key: _avg(g, key) for key in keys}}
        for (d, k), g in groups.items()
    ]


def write_md(data: dict) -> None:
    lines = [
        "# Seed-only label check on deliberately flipped labels",
        "",
        f"{data['what']}",
        "",
        f"Command: `{data['command']}` ({data['date']}, {data['machine']}).",
        "",
        "Mean over draws; precision/recall of the dropped rows against the flipped ones. "
        "LP = label preservation (full-train oracle, evaluation only); student = embed_lr "
        "accuracy on held-out real rows. 'w/o' is the noisy 400-row set, 'with' the rows the "
        "check kept.",
        "",
        "| dataset | seeds/label | precision | recall | kept | tolerance | seed LOO acc. "
        "| LP w/o | LP with | student w/o | student with |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in data["summary"]:
        lines.append(
            f"| {s['dataset']} | {s['seeds_per_label']} | {s['precision']} | {s['recall']} | "
            f"{s['kept_fraction']} | {s['tolerance']} | {s['seed_loo_accuracy']} | "
            f"{s['label_preservation_without']} | {s['label_preservation_with']} | "
            f"{s['student_accuracy_without']} | {s['student_accuracy_with']} |"
        )
    lines += ["", *data.get("notes", [])]
    (HERE / "RESULTS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str]) -> None:
    if argv[:1] == ["md"]:
        write_md(json.loads(RESULTS.read_text()))
        return
    if argv[:1] == ["collect"]:  # the entries a (stopped) run printed, one JSON per line
        lines = Path(argv[1]).read_text(encoding="utf-8").splitlines()
        entries = [json.loads(line) for line in lines if line.startswith("{")]
    else:
        entries = []
        for dataset in DATASETS:
            for per_label in PER_LABEL:
                for draw in range(DRAWS):
                    e = one(dataset, per_label, draw)
                    print(json.dumps(e), flush=True)
                    entries.append(e)
    summary = summarize(entries)
    ag = [s for s in summary if s["dataset"] == "ag_news"]
    data = {
        "what": f"refine.label_check (seed centroids over MiniLM, tolerance calibrated at "
        f"seed_flag_rate 0.1) on {N_NOISY} real test rows per run with {FLIP:.0%} of labels "
        f"flipped; seeds {PER_LABEL} per label from train.csv, {DRAWS} draws each",
        "command": "PATH=/work/main/.venv/bin:$PATH PYTHONPATH=src HF_HUB_OFFLINE=1 nice -n 5 "
        "python bench/label_check/run.py",
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, 2 cores shared with other jobs",
        # The headline keys: AG News at the larger seed count.
        "precision": ag[-1]["precision"],
        "recall": ag[-1]["recall"],
        "summary": summary,
        "entries": entries,
        "notes": json.loads(RESULTS.read_text()).get("notes", []) if RESULTS.exists() else [],
    }
    RESULTS.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    write_md(data)


if __name__ == "__main__":
    main(sys.argv[1:])
