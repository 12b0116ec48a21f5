"""A small fake-but-complete run directory, written the way the pipeline writes one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

LABELS = ["World", "Sports", "Business", "Sci/Tech"]
SCRIPT_PASSAGE = '<script>alert("corpus")</script> Markets & <b>bold</b> claims'
SCRIPT_GENERATION = '<img src=x onerror=alert(1)> A headline about <script>"rates"</script>'


def _write(table_rows: list[dict[str, Any]], path: Path, schema: pa.Schema | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(table_rows, schema=schema), path)


def _json(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2), "utf-8")


def make_fake_run(
    tmp_path: Path,
    *,
    name: str = "fake_retricl",
    mode: str = "retricl",
    student: bool = True,
    self_bleu: tuple[float, ...] = (0.61, 0.42, 0.30, 0.21, 0.15),
    entity_entropy: float = 7.25,
    rows_per_label: int = 5,
    n_passages: int = 40,
    baseline: tuple[float, float, tuple[float, float]] = (0.70, 0.85, (0.08, 0.22)),
) -> Path:
    """Write ``tmp_path/<name>`` with every stage file; return the run folder.

    ``mode="fewgen"`` leaves out corpus and retrieval (rows carry no passage);
    ``student=False`` records the student and gold as skipped (no test set);
    ``baseline`` = (seeds-only accuracy, seeds + synthetic accuracy, uplift interval).
    """
    run = tmp_path / name
    docs = mode not in ("fewgen", "zerogen")
    seeds = [{"seed_id": f"seed-{i + 2}", "text": f"Seed headline {i} about {LABELS[i % 4]}",
              "label": LABELS[i % 4], "line": i + 2} for i in range(8)]  # fmt: skip
    _write(seeds, run / "01_seeds" / "seeds.parquet")
    passages = [{"passage_id": f"p{i}", "doc_id": f"d{i}", "title": f"Title {i}",
                 "text": SCRIPT_PASSAGE if i == 1 else f"Passage {i} text about things."}
                for i in range(max(40, n_passages))]  # fmt: skip
    if docs:
        _write(passages, run / "02_corpus" / "passages.parquet")
        _json({"documents": 40, "passages": 40}, run / "02_corpus" / "stats.json")
        pairs = [{"seed_id": s["seed_id"], "label": s["label"], "passage_id": f"p{i * 5 + r}",
                  "doc_id": f"d{i * 5 + r}", "rank": r + 1, "score": 0.8 - 0.05 * r,
                  "role": "shot" if r < 2 else "gen"} for i, s in enumerate(seeds) for r in range(5)]  # fmt: skip
        _write(pairs, run / "04_retrieve" / "pairs.parquet")
    gens = []
    for li, label in enumerate(LABELS):
        for j in range(rows_per_label):
            seed = seeds[li + 4 * (j % 2)]
            pid = f"p{(li + 4 * (j % 2)) * 5 + 2 + (j // 2) % 3}" if docs else None
            text = SCRIPT_GENERATION if (li, j) == (2, 0) else f"{label} generated text number {j}"
            gens.append({
                "text": text, "row_id": f"{seed['seed_id']}|{pid}|{j}", "label": label,
                "seed_id": seed["seed_id"] if docs else None, "passage_id": pid,
                "doc_id": pid.replace("p", "d") if pid else None,
                "retrieval_rank": 3 if docs else None, "retrieval_score": 0.7 if docs else None,
                "shot_ids": [f"{seeds[(li + 4 * (1 - j % 2))]['seed_id']}|p1"] if docs else [s["seed_id"] for s in seeds if s["label"] == label],
                "prompt_hash": f"h{li}{j}", "model": "smollm2-135m-instruct", "mode": mode,
                "temperature": 0.95, "top_p": 0.9, "max_tokens": 80, "prompt_tokens": 100,
                "completion_tokens": 20, "finish_reason": "stop",
            })  # fmt: skip
    _write(gens, run / "05_generate" / "generations.parquet")
    dropped = [{**gens[0], "text": None, "raw": "I cannot help with that.", "reason": "refusal"},
               {**gens[1], "text": None, "raw": "", "reason": "empty"}]  # fmt: skip
    _write(dropped, run / "05_generate" / "dropped.parquet")
    n_gen = len(gens)
    gen_summary = {"planned": n_gen + 2, "kept": n_gen, "dropped": 2, "failed": 0,
                   "drop_reasons": {"refusal": 1, "empty": 1},
                   "prompt_tokens": 100 * (n_gen + 2), "completion_tokens": 20 * (n_gen + 2),
                   "model": "smollm2-135m-instruct"}  # fmt: skip
    _json(gen_summary, run / "05_generate" / "summary.json")
    removed = [g for g in gens if g["row_id"].endswith("|4")]
    kept = [g for g in gens if g not in removed]
    _write(kept, run / "06_refine" / "dataset.parquet")
    _write([{**g, "reason": "cartography: low confidence"} for g in removed],
           run / "06_refine" / "removed.parquet")  # fmt: skip
    datamap = [{"row_id": g["row_id"], "label": g["label"], "confidence": 0.2 + 0.03 * i,
                "variability": 0.05 + 0.01 * (i % 7), "correctness": (i % 5) / 4}
               for i, g in enumerate(gens)]  # fmt: skip
    _write(datamap, run / "06_refine" / "datamap.parquet")
    refine_summary = {"input": n_gen, "kept": len(kept), "removed": len(removed)}
    _json(refine_summary, run / "06_refine" / "summary.json")
    metrics = _metrics(kept, student, self_bleu, entity_entropy, baseline)
    _json(metrics, run / "07_evaluate" / "metrics.json")
    _json(metrics, run / "metrics.json")
    _write(kept, run / "dataset" / "train.parquet")
    (run / "dataset" / "train.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in kept), "utf-8"
    )
    config = {
        "name": name, "seed": 0,
        "task": {"name": "ag_news", "description": "news topic classification",
                 "labels": {lab: f"news about {lab.lower()}" for lab in LABELS}},
        "seeds": {"path": "data/seeds.csv", "per_label": 2},
        "corpus": {"path": "data/corpus.jsonl"} if docs else None,
        "retrieval": {"retriever": "dense", "model": "minilm", "top_k": 5},
        "generation": {"prompt": {"mode": mode}, "temperature": 0.95, "top_p": 0.9,
                       "llm": {"backend": "llama_cpp", "model": "smollm2"}},
    }  # fmt: skip
    stages = {"seeds": {"seeds": 8}, "generate": gen_summary, "refine": refine_summary,
              "evaluate": {"rows": len(kept)}}  # fmt: skip
    if docs:
        stages = {"seeds": {"seeds": 8}, "corpus": {"passages": 40}, "index": {"dim": 384},
                  "retrieve": {"pairs": 40, "gen_band": "percentile 10-99", "gen_sim_min": 0.2848,
                               "gen_sim_max": 0.5853}, **stages}  # fmt: skip
    manifest = {
        "name": name, "created": "2024-05-01T10:00:00+00:00",
        "updated": "2024-05-01T10:05:00+00:00", "task": {"labels": LABELS}, "seed": 0,
        "versions": {"synthesizrr": "0.1.0", "python": "3.11.2"}, "config": config,
        "stages": {k: {"fingerprint": "f" * 8, "status": "done", "started": "2024-05-01T10:00:00+00:00",
                       "finished": "2024-05-01T10:01:00+00:00", "seconds": 10.0, "summary": v}
                   for k, v in stages.items()},
    }  # fmt: skip
    _json(manifest, run / "manifest.json")
    (run / "config.yaml").write_text(f"name: {name}\nseed: 0\n", "utf-8")
    return run


def _baseline(
    rep: dict[str, Any], seeds_only: float, plus: float, ci: tuple[float, float]
) -> dict[str, Any]:
    from synthesizrr.distill.baselines import verdict

    so = {**rep, "n_train": 8, "accuracy_mean": seeds_only, "accuracy_std": 0.0}
    sp = {**rep, "n_train": 8 + rep["n_train"], "accuracy_mean": plus, "accuracy_std": 0.0}
    return {"seeds_only": so, "seeds_plus_synthetic": sp, "seeds_only_accuracy": seeds_only,
            "seeds_plus_synthetic_accuracy": plus, "synthetic_only_accuracy": rep["accuracy_mean"],
            "uplift_vs_seeds_only": plus - seeds_only, "uplift_vs_seeds_only_ci": list(ci),
            "synthetic_only_vs_seeds_only": rep["accuracy_mean"] - seeds_only,
            "synthetic_only_vs_seeds_only_ci": [ci[0] - 0.02, ci[1] - 0.02], "resamples": 1000,
            "interval": "95% paired bootstrap over the 40 test rows (1000 resamples); "
                        "training rows fixed",
            "verdict": verdict(plus - seeds_only, ci)}  # fmt: skip


def _metrics(
    kept: list[dict[str, Any]],
    student: bool,
    sb: tuple[float, ...],
    ee: float,
    baseline: tuple[float, float, tuple[float, float]],
) -> dict[str, Any]:
    per_label: dict[str, int] = {}
    for g in kept:
        per_label[g["label"]] = per_label.get(g["label"], 0) + 1
    confusion = [[8, 1, 1, 0], [0, 10, 0, 0], [1, 0, 7, 2], [0, 0, 2, 8]]
    rep = {"kind": "tfidf_logreg", "model": "tfidf+logreg", "n_train": len(kept), "n_test": 40,
           "accuracy_mean": 0.825, "accuracy_std": 0.0125, "macro_f1_mean": 0.8213,
           "macro_f1_std": 0.011, "per_seed": [{"seed": 0, "accuracy": 0.8125, "macro_f1": 0.81},
                        {"seed": 1, "accuracy": 0.8375, "macro_f1": 0.8326}],
           "labels": LABELS, "train_label_counts": per_label,
           "confusion": confusion, "signature": "student:tfidf_logreg|seeds:2"}  # fmt: skip
    gold = {**rep, "accuracy_mean": 0.9, "accuracy_std": 0.0}
    sb_details: dict[str, Any] = {str(n + 1): v for n, v in enumerate(sb)}
    sb_details.update(n_hypotheses=len(kept), n_texts=len(kept))
    mauve_per = {lab: 0.5 + 0.05 * i for i, lab in enumerate(LABELS)}
    out: dict[str, Any] = {
        "size": len(kept), "per_label": per_label,
        "metrics": {
            "self_bleu": {"name": "self_bleu", "value": sb[-1], "details": sb_details,
                          "signature": "self_bleu|n:1-5|smooth:method1", "higher_is_better": False},
            "entity_entropy": {"name": "entity_entropy", "value": ee,
                               "details": {"overall": ee, "per_type": {"ORG": 4.5, "PERSON": 3.25},
                                           "n_entities": 30, "n_unique": 20},
                               "signature": "entity_entropy|ner:en_core_web_sm|log:2",
                               "higher_is_better": True},
            "mauve": {"name": "mauve", "value": 0.61,
                      "details": {"overall": 0.61, "n_samples": 16, "per_label": mauve_per},
                      "signature": "mauve|features:minilm", "higher_is_better": True},
            "label_preservation": {"name": "label_preservation", "value": 0.75,
                                   "details": {"overall": 0.75, "per_label": {lab: 0.75 for lab in LABELS}},
                                   "signature": "oracle:tfidf_logreg", "higher_is_better": True,
                                   "ci": [0.6875, 0.8125]},
            "distinct_n": {"name": "distinct_n", "value": None,
                           "details": {"skipped": "no texts"}, "signature": "distinct|n:4"},
        },
    }  # fmt: skip
    if student:
        out["student"], out["gold"] = rep, gold
        out["seeds_baseline"] = _baseline(rep, *baseline)
    else:
        out["student"] = {"skipped": "no evaluation.test_path"}
    return out
