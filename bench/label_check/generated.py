"""The label check on real teacher generations: label preservation and student, with and
without it, at one common N.

For each finished run directory (e.g. the paper study's ``<run-dir>/ag_news/retricl_3``),
the run's own parsed generations (``05_generate``) and seeds (``01_seeds``) are refined
again in process with its refine settings, three ways: no label check, ``scorer:
centroid`` (the default, seed centroids over MiniLM), ``scorer: teacher`` (the named
GGUF teacher's seed-calibrated label log-likelihoods) and ``scorer: both`` (a row fails
only when both flag it; the teacher's scores are computed once for the two). Each kept set is cut to one common
N (the smallest kept count, the run's ``evaluation.size`` sampler), then scored: label
preservation (the run's full-train oracle, evaluation only, with its bootstrap interval)
and the run's student on its test rows, alone and with the seeds (the uplift over the
seeds alone, with its paired interval). The run directory is only read.

    cd <repo> && PATH=/work/main/.venv/bin:$PATH PYTHONPATH=src HF_HUB_OFFLINE=1 \\
        python bench/label_check/generated.py /work/runs/paper/ag_news/retricl_3 \\
        --teacher qwen2.5-coder-0.5b [--scorers none,centroid]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "generated.json"


def one(run_dir: Path, teacher: str, scorers: list[str]) -> dict[str, Any]:
    from synthesizrr.config import load_config
    from synthesizrr.distill import downsample_indices, train_and_evaluate
    from synthesizrr.distill.baselines import seeds_baseline
    from synthesizrr.fileio import read_parquet
    from synthesizrr.llm.settings import LLMSettings
    from synthesizrr.metrics import compute_metrics
    from synthesizrr.pipeline.data import real_test, real_train
    from synthesizrr.refine import refine
    from synthesizrr.refine.teacher_scores import TeacherScorer

    cfg = load_config(run_dir / "config.yaml")
    gens = read_parquet(run_dir / "05_generate" / "generations.parquet")
    seeds = read_parquet(run_dir / "01_seeds" / "seeds.parquet")
    seed_texts = [str(t) for t in seeds.column("text").to_pylist()]
    seed_labels = [str(x) for x in seeds.column("label").to_pylist()]
    train = real_train(cfg)
    test = real_test(cfg)
    assert test is not None, f"{run_dir}: no evaluation.test_path"
    labels = cfg.task.label_names
    target = dict(Counter(train[1]))  # resample 'real' takes counts, as the stage passes
    llm = LLMSettings(model=teacher, n_ctx=cfg.generation.llm.n_ctx)
    variants: dict[str, Any] = {}
    from run import Memo  # bench/label_check/run.py: one scoring of each text list

    scored = Memo(TeacherScorer(cfg.task, llm, teacher))  # shared by 'teacher' and 'both'

    for kind in scorers:
        uses_teacher = kind in ("teacher", "both")
        name = f"{kind}:{teacher}" if uses_teacher else kind
        check = cfg.refine.label_check.model_copy(
            update={"enabled": kind != "none", "scorer": kind if uses_teacher else "centroid",
                    "teacher": teacher if uses_teacher else None}
        )  # fmt: skip
        settings = cfg.refine.model_copy(update={"label_check": check})
        scorer = scored if uses_teacher else None
        start = time.perf_counter()
        res = refine(gens, settings, labels=labels, target_distribution=target,
                     seed_texts=seed_texts, seed_labels=seed_labels, teacher=scorer)  # fmt: skip
        variants[name] = {
            "texts": [str(t) for t in res.kept.column("text").to_pylist()],
            "labels": [str(x) for x in res.kept.column("label").to_pylist()],
            "refine_seconds": round(time.perf_counter() - start, 1),
            "label_check": res.stats.get("label_check"),
        }
    n = min(len(v["texts"]) for v in variants.values())
    out: dict[str, Any] = {"run": str(run_dir), "method": cfg.name, "teacher": teacher,
                           "generations": gens.num_rows, "rows": n, "variants": {}}  # fmt: skip
    for name, v in variants.items():
        idx, _ = downsample_indices(v["labels"], n, cfg.seed, labels)
        texts, labs = [v["texts"][i] for i in idx], [v["labels"][i] for i in idx]
        scores = compute_metrics(
            cfg.evaluation.metrics.model_copy(
                update={"metrics": ["label_preservation", "self_bleu", "entity_entropy"]}
            ),
            texts, labs, train_texts=train[0], train_labels=train[1],
        )  # fmt: skip
        lp = scores["label_preservation"]
        preds: list[Any] = []
        student = train_and_evaluate(cfg.evaluation.student, texts, labs, test[0], test[1],
                                     labels=labels, predictions=preds)  # fmt: skip
        base = seeds_baseline(cfg.evaluation.student, (seed_texts, seed_labels), (texts, labs),
                              test, labels=labels, synthetic_predictions=preds)  # fmt: skip
        info = v["label_check"] or {}
        out["variants"][name] = {
            "kept": len(v["texts"]),
            "kept_by_check": info.get("kept"),
            "checked": info.get("checked"),
            "refine_seconds": v["refine_seconds"],
            "label_preservation": lp.value,
            "label_preservation_ci": lp.ci,
            "self_bleu_5": scores["self_bleu"].value,
            "self_bleu_5_ci": scores["self_bleu"].ci,
            "entity_entropy": scores["entity_entropy"].value,
            "entity_entropy_ci": scores["entity_entropy"].ci,
            "student_accuracy": student.accuracy_mean,
            "seeds_only_accuracy": base.seeds_only_accuracy,
            "seeds_plus_synthetic_accuracy": base.seeds_plus_synthetic_accuracy,
            "uplift_vs_seeds_only": base.uplift_vs_seeds_only,
            "uplift_vs_seeds_only_ci": list(base.uplift_vs_seeds_only_ci),
        }
    return out


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--teacher", default="qwen2.5-coder-0.5b")
    ap.add_argument("--scorers", default="none,centroid,teacher,both", help="which variants to run")
    args = ap.parse_args(argv)
    old = json.loads(OUT.read_text()) if OUT.exists() else {"entries": []}
    for run in args.runs:
        entry = one(run.resolve(), args.teacher, args.scorers.split(","))
        print(json.dumps(entry), flush=True)
        same = (entry["run"], args.teacher, entry["rows"])
        for e in old["entries"]:  # a rerun at the same N adds or replaces variants
            if (e["run"], e["teacher"], e["rows"]) == same:
                entry["variants"] = {**e["variants"], **entry["variants"]}
        old["entries"] = [
            e for e in old["entries"] if (e["run"], e["teacher"], e["rows"]) != same
        ] + [entry]
        old["command"] = "python bench/label_check/generated.py RUN_DIR... --teacher NAME"
        old["date"] = time.strftime("%Y-%m-%d")
        OUT.write_text(json.dumps(old, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
