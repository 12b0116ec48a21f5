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
    python bench/label_check/run.py --teacher qwen2.5-coder-0.5b --draws 1   # scorer: teacher
    python bench/label_check/run.py md                       # only rewrite RESULTS.md
    python bench/label_check/run.py collect LOG              # results from printed lines
"""

from __future__ import annotations

import argparse
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


class Memo:
    """The teacher's scores of each (texts, names) once: a sweep over seed_flag_rate
    re-runs only the calibration, not the teacher."""

    def __init__(self, scorer):
        self.scorer, self.seen = scorer, {}

    def __call__(self, texts, names):
        key = (tuple(texts), tuple(names))
        if key not in self.seen:
            self.seen[key] = self.scorer(texts, names)
        return self.seen[key]


def one(
    dataset: str, per_label: int, draw: int, teacher: str | None = None,
    rates: tuple[float, ...] = (0.1,), kinds: tuple[str, ...] = ("teacher",),
) -> list[dict]:  # fmt: skip
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
    scorer = None
    if teacher:
        from synthesizrr.llm.settings import LLMSettings
        from synthesizrr.prompts.task import TaskSettings
        from synthesizrr.refine.teacher_scores import TeacherScorer

        task = TaskSettings(preset=dataset)  # the preset of the same name: labels, description
        scorer = Memo(TeacherScorer(task, LLMSettings(model=teacher, n_ctx=1024), teacher))

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
    out = []
    for kind, rate in [(k, r) for k in (kinds if teacher else ("centroid",)) for r in rates]:
        settings = RefineSettings(
            dedup=False, near_dup=False, min_words=0, resample="none",
            cartography=CartographySettings(enabled=False),
            label_check=LabelCheckSettings(
                enabled=True, scorer=kind, teacher=teacher,
                seed_flag_rate=rate,
            ),
        )  # fmt: skip
        start = time.perf_counter()
        res = refine(table, settings, labels=labels, seed_texts=[s["text"] for s in seeds],
                     seed_labels=[s["label"] for s in seeds], teacher=scorer)  # fmt: skip
        seconds = time.perf_counter() - start  # the first rate pays for the scoring
        dropped = {int(r[1:]) for r in res.removed.column("row_id").to_pylist()}
        tp = len(dropped & flip)
        kept_texts = res.kept.column("text").to_pylist()
        lp_after, acc_after = quality(kept_texts, res.kept.column("label").to_pylist())
        info = res.stats["label_check"]
        out.append({
            "dataset": dataset,
            "scorer": f"{kind}:{teacher}" if kind != "centroid" else "centroid",
            "seeds_per_label": per_label,
            "seed_flag_rate": rate,
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
        })  # fmt: skip
    return out


def _avg(entries: list[dict], key: str) -> float | None:
    vals = [e[key] for e in entries if e[key] is not None]
    return round(mean(vals), 3) if vals else None


def summarize(entries: list[dict]) -> list[dict]:
    groups: dict[tuple[str, str, int, float], list[dict]] = {}
    for e in entries:
        key = (e["dataset"], e.get("scorer", "centroid"), e["seeds_per_label"],
               e.get("seed_flag_rate", 0.1))  # fmt: skip
        groups.setdefault(key, []).append(e)
    keys = ("precision", "recall", "kept_fraction", "tolerance", "seed_loo_accuracy",
            "label_preservation_without", "label_preservation_with",
            "student_accuracy_without", "student_accuracy_with")  # fmt: skip
    return [
        {
            "dataset": d,
            "scorer": sc,
            "seeds_per_label": k,
            "seed_flag_rate": rate,
            "draws": len(g),
            **{key: _avg(g, key) for key in keys},
        }
        for (d, sc, k, rate), g in sorted(groups.items())
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
        "| dataset | scorer | seeds/label | seed_flag_rate | draws | precision | recall | kept | tolerance "
        "| seed LOO acc. | LP w/o | LP with | student w/o | student with |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in data["summary"]:
        lines.append(
            f"| {s['dataset']} | {s.get('scorer', 'centroid')} | {s['seeds_per_label']} | "
            f"{s.get('seed_flag_rate', 0.1)} | "
            f"{s['draws']} | {s['precision']} | {s['recall']} | "
            f"{s['kept_fraction']} | {s['tolerance']} | {s['seed_loo_accuracy']} | "
            f"{s['label_preservation_without']} | {s['label_preservation_with']} | "
            f"{s['student_accuracy_without']} | {s['student_accuracy_with']} |"
        )
    lines += ["", *data.get("notes", [])]
    (HERE / "RESULTS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _key(e: dict) -> tuple:
    return (e["dataset"], e.get("scorer", "centroid"), e["seeds_per_label"],
            e.get("seed_flag_rate", 0.1), e["draw"])  # fmt: skip


def main(argv: list[str]) -> None:
    if argv[:1] == ["md"]:
        write_md(json.loads(RESULTS.read_text()))
        return
    old = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if argv[:1] == ["collect"]:  # the entries a (stopped) run printed, one JSON per line
        lines = Path(argv[1]).read_text(encoding="utf-8").splitlines()
        new = [json.loads(line) for line in lines if line.startswith("{")]
    else:
        ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        ap.add_argument("--teacher", help="score with this GGUF teacher (scorer: teacher)")
        ap.add_argument(
            "--scorers",
            default="teacher",
            help="with --teacher: comma list of teacher, both, centroid (one teacher scoring)",
        )
        ap.add_argument("--datasets", default=",".join(DATASETS))
        ap.add_argument("--per-label", default=",".join(map(str, PER_LABEL)))
        ap.add_argument("--draws", type=int, default=DRAWS)
        ap.add_argument(
            "--rates",
            default="0.1",
            help="refine.label_check.seed_flag_rate values, comma list (one scoring)",
        )
        args = ap.parse_args(argv)
        new = []
        for dataset in args.datasets.split(","):
            for per_label in map(int, args.per_label.split(",")):
                for draw in range(args.draws):
                    rates = tuple(map(float, args.rates.split(",")))
                    kinds = tuple(args.scorers.split(","))
                    for e in one(dataset, per_label, draw, args.teacher, rates, kinds):
                        print(json.dumps(e), flush=True)
                        new.append(e)
    # A rerun replaces its own entries and keeps the other scorers' and datasets'.
    fresh = {_key(e) for e in new}
    entries = [e for e in old.get("entries", []) if _key(e) not in fresh] + new
    summary = summarize(entries)
    from synthesizrr.refine.settings import LabelCheckSettings

    default_rate = LabelCheckSettings.model_fields["seed_flag_rate"].default
    ag = [s for s in summary if s["dataset"] == "ag_news" and s["scorer"] == "centroid"
          and s["seed_flag_rate"] == default_rate]  # fmt: skip
    data = {
        "what": f"refine.label_check on {N_NOISY} real test rows per run with {FLIP:.0%} of "
        "labels flipped, tolerance calibrated at each entry's seed_flag_rate (default 0.1; "
        "--rates sweeps others from one scoring); scorer 'centroid' (seed "
        "centroids over MiniLM) or 'teacher:<model>' (the teacher's seed-calibrated "
        "log-likelihood of each label name); seeds per label from train.csv, several draws",
        "command": "PATH=/work/main/.venv/bin:$PATH PYTHONPATH=src HF_HUB_OFFLINE=1 nice -n 5 "
        "python bench/label_check/run.py [--teacher qwen2.5-coder-0.5b --datasets D --per-label K --draws 1]",
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, 2 cores shared with other jobs",
        # The headline keys: AG News at the larger seed count, the default scorer.
        "precision": ag[-1]["precision"] if ag else old.get("precision"),
        "recall": ag[-1]["recall"] if ag else old.get("recall"),
        "summary": summary,
        "entries": entries,
        "notes": old.get("notes", []),
    }
    RESULTS.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    write_md(data)


if __name__ == "__main__":
    main(sys.argv[1:])
