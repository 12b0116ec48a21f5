"""Benchmark of the dataset metrics on real AG News texts.

Parts (default: selfbleu suite):
  selfbleu   fast Self-BLEU vs NLTK ``sentence_bleu``: side by side on 200 texts (both
             complete), and on 2,000 texts with NLTK on 200 sampled hypotheses (each
             against all 1,999 other texts; full NLTK time = per-hypothesis time x 2,000)
  nltk-full  NLTK on all 2,000 texts, complete (about 10-20 minutes on 2 cores)
  suite      ``compute_metrics`` with every metric on 2,000 texts, seconds per metric
  protocols  Self-BLEU and MAUVE before/after the issue #15 protocol changes, same texts
  features   MAUVE features: the teacher's last-token hidden states (default) vs MiniLM
             (the retriever's space): seconds per text, real vs real and FewGen vs real
  md         only rewrite RESULTS.md from results.json

Each part updates bench/metrics/results.json and rewrites RESULTS.md.

    cd /work/main && . .venv/bin/activate && python bench/metrics/run.py selfbleu suite
"""

from __future__ import annotations

import csv
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1].parent / "shared" / "data" / "ag_news"
RESULTS = HERE / "results.json"
N_TEXTS = 2000
N_SMALL = 200
N_HYP = 200
SEED = 0


def load(name: str) -> tuple[list[str], list[str]]:
    with (DATA / name).open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def best_of(fn, repeats: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def part_selfbleu(out: dict) -> None:
    from synthesizrr.metrics import self_bleu_nltk, self_bleu_scores
    from synthesizrr.metrics.ngrams import tokenize

    texts = load("test.csv")[0][:N_TEXTS]
    tokens = tokenize(texts, "ws-lower")
    # 200 texts: both implementations complete, same tokens, side by side
    small = tokens[:N_SMALL]
    fast_small = best_of(lambda: self_bleu_scores(small, 5), 5)
    start = time.perf_counter()
    ref_small = self_bleu_nltk(small, 5)
    nltk_small = time.perf_counter() - start
    diff_small = float(np.max(np.abs(self_bleu_scores(small, 5) - ref_small)))
    # 2,000 texts: fast complete; NLTK on sampled hypotheses against all other texts
    fast_full = best_of(lambda: self_bleu_scores(tokens, 5), 3)
    hyps = np.sort(np.random.default_rng(SEED).choice(N_TEXTS, size=N_HYP, replace=False))
    start = time.perf_counter()
    ref_hyp = self_bleu_nltk(tokens, 5, hyps.tolist())
    nltk_hyp = time.perf_counter() - start
    fast_scores = self_bleu_scores(tokens, 5)
    diff_full = float(np.max(np.abs(fast_scores[hyps] - ref_hyp)))
    nltk_full_est = nltk_hyp / N_HYP * N_TEXTS
    out["self_bleu"] = {
        "texts": f"AG News test.csv rows 1-{N_TEXTS}, tokens: lower-case whitespace split",
        "n": "1-5",
        "n_texts_small": N_SMALL,
        "fast_seconds_small": fast_small,
        "nltk_seconds_small": nltk_small,
        "speedup_small": nltk_small / fast_small,
        "max_abs_diff_small": diff_small,
        "n_texts": N_TEXTS,
        "fast_seconds": fast_full,
        "nltk_sampled_hypotheses": N_HYP,
        "nltk_seconds_sampled_hypotheses": nltk_hyp,
        "nltk_seconds_estimated_full": nltk_full_est,
        "speedup_estimated_full": nltk_full_est / fast_full,
        "max_abs_diff_sampled_hypotheses": diff_full,
        "self_bleu_means": {str(n): float(fast_scores[:, n - 1].mean()) for n in range(1, 6)},
    }
    out["self_bleu_speedup_vs_nltk"] = nltk_small / fast_small
    out["self_bleu_max_abs_diff"] = max(diff_small, diff_full)


def part_nltk_full(out: dict) -> None:
    from synthesizrr.metrics import self_bleu_nltk, self_bleu_scores
    from synthesizrr.metrics.ngrams import tokenize

    tokens = tokenize(load("test.csv")[0][:N_TEXTS], "ws-lower")
    fast = best_of(lambda: self_bleu_scores(tokens, 5), 3)
    start = time.perf_counter()
    ref = self_bleu_nltk(tokens, 5)
    nltk = time.perf_counter() - start
    diff = float(np.max(np.abs(self_bleu_scores(tokens, 5) - ref)))
    out["self_bleu_full_nltk"] = {
        "n_texts": N_TEXTS,
        "fast_seconds": fast,
        "nltk_seconds": nltk,
        "speedup": nltk / fast,
        "max_abs_diff": diff,
    }
    out["self_bleu_speedup_vs_nltk_2000"] = nltk / fast
    out["self_bleu_max_abs_diff"] = max(out.get("self_bleu_max_abs_diff", 0.0), diff)


def part_suite(out: dict) -> None:
    from synthesizrr.embeddings import CachedEmbedder
    from synthesizrr.metrics import MetricsSettings, compute_metrics

    test_texts, test_labels = load("test.csv")
    train_texts, train_labels = load("train.csv")
    texts, labels = test_texts[:N_TEXTS], test_labels[:N_TEXTS]
    real_texts, real_labels = test_texts[N_TEXTS:], test_labels[N_TEXTS:]
    doc_ids = [f"doc{i % 1500}" for i in range(N_TEXTS)]
    settings = MetricsSettings()
    cache = CachedEmbedder(settings.embedder, settings.embed_backend)
    seconds: dict[str, float] = {}
    values: dict[str, float | None] = {}
    start_all = time.perf_counter()
    for name in settings.metrics:
        one = settings.model_copy(update={"metrics": [name]})
        start = time.perf_counter()
        res = compute_metrics(
            one, texts, labels,
            real_texts=real_texts, real_labels=real_labels,
            train_texts=train_texts, train_labels=train_labels,
            doc_ids=doc_ids, cache=cache,
        )  # fmt: skip
        seconds[name] = time.perf_counter() - start
        values[name] = res[name].value
    out["suite"] = {
        "n_texts": N_TEXTS,
        "data": "synthetic stand-in: AG News test rows 1-2000; real: rows 2001-7600 "
        "(MAUVE samples 1000 per side); oracle train: train.csv (581 rows); doc ids: i % 1500",
        "seconds_per_metric": seconds,
        "seconds_total": time.perf_counter() - start_all,
        "embedded_texts": cache.n_encoded,
        "values": values,
        "note": "embeddings are shared: cosine/label_preservation reuse those computed for "
        "mauve, so the first embedding metric pays for them",
    }


N_PROTO = 120  # texts per side for the protocol comparison (CPU-sized; MAUVE min is 50)


def part_protocols(out: dict) -> None:
    """Before/after of the issue #15 protocol changes on the same texts, with seconds.

    Self-BLEU: 'ws-lower' (before) vs 'spacy' (the original's tokenizer, case kept).
    MAUVE: MiniLM features (the retriever's own space), scaling 5, one k-means seed, an
    unmatched real sample (before) vs the embedded teacher's last-token hidden states,
    scaling 1, label-matched references, 5 k-means seeds (after).
    """
    from synthesizrr.metrics import MetricsSettings, get_metric

    test_texts, test_labels = load("test.csv")
    texts, labels = test_texts[:N_PROTO], test_labels[:N_PROTO]
    real, real_labels = (
        test_texts[4000 : 4000 + 3 * N_PROTO],
        test_labels[4000 : 4000 + 3 * N_PROTO],
    )
    rows: dict[str, dict] = {}
    for name, settings in (
        ("self_bleu ws-lower (before)", MetricsSettings(tokenizer="ws-lower")),
        ("self_bleu spacy (after)", MetricsSettings(tokenizer="spacy")),
    ):
        start = time.perf_counter()
        res = get_metric("self_bleu", settings).compute(texts)
        rows[name] = {"value": res.value, "seconds": time.perf_counter() - start,
                      "signature": res.signature}  # fmt: skip
    before = MetricsSettings(mauve_features="minilm", mauve_scaling=5.0, mauve_kmeans_seeds=1,
                             mauve_max_samples=N_PROTO)  # fmt: skip
    after = MetricsSettings(mauve_max_samples=N_PROTO)
    for name, settings, with_labels in (
        ("mauve minilm/scale 5/1 seed/unmatched (before)", before, False),
        ("mauve smollm2/scale 1/5 seeds/label-matched (after)", after, True),
    ):
        start = time.perf_counter()
        res = get_metric("mauve", settings).compute(
            texts, labels if with_labels else None, real_texts=real,
            real_labels=real_labels if with_labels else None,
        )  # fmt: skip
        rows[name] = {"value": res.value, "std": res.details.get("std"),
                      "seconds": time.perf_counter() - start, "signature": res.signature,
                      "n_samples": res.details.get("n_samples")}  # fmt: skip
    out["protocols"] = {
        "texts": f"AG News test rows 1-{N_PROTO} as the scored set; real references for "
        f"MAUVE: rows 4001-{4000 + 3 * N_PROTO}",
        "rows": rows,
    }


N_FEAT = 120  # texts timed per featurizer (the target: well under a minute)
FEWGEN = Path("/work/runs/paper/ag_news/fewgen_0/dataset/train.parquet")  # a FewGen run


def part_features(out: dict) -> None:
    """Seconds per text of each MAUVE featurizer, and MAUVE (defaults: scaling 1,
    label-matched references, 5 k-means seeds) of real rows and of a FewGen set vs real."""
    from synthesizrr.metrics import MetricsSettings, get_metric
    from synthesizrr.metrics.lm_features import load_lm

    train_texts = load("train.csv")[0][:N_FEAT]
    test_texts, test_labels = load("test.csv")
    real, real_labels = test_texts[4000:4400], test_labels[4000:4400]
    scored = {"AG News test rows 1-200 (real)": (test_texts[:200], test_labels[:200])}
    if FEWGEN.exists():
        import pyarrow.parquet as pq

        t = pq.read_table(FEWGEN, columns=["text", "label"])
        scored[f"FewGen, {t.num_rows} rows ({FEWGEN.parent.parent.name})"] = (
            t.column("text").to_pylist(), t.column("label").to_pylist())  # fmt: skip
    rows: dict[str, dict] = {}
    for feat in ("smollm2", "minilm"):
        metric = get_metric("mauve", MetricsSettings(mauve_features=feat))
        start = time.perf_counter()
        if feat != "minilm":
            load_lm(feat)
        load_s = time.perf_counter() - start
        wall, cpu = time.perf_counter(), time.process_time()
        metric.features(train_texts, progress=False)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        row: dict = {"load_seconds": load_s, "seconds_per_text": wall / N_FEAT,
                     "cpu_seconds_per_text": cpu / N_FEAT, "texts_timed": N_FEAT,
                     "load_average": os.getloadavg()[0], "scores": {}}  # fmt: skip
        for name, (texts, labels) in scored.items():
            start = time.perf_counter()
            res = metric.compute(texts, labels, real_texts=real, real_labels=real_labels)
            row["scores"][name] = {"value": res.value, "std": res.details.get("std"),
                                   "n_samples": res.details.get("n_samples"),
                                   "per_label": res.details.get("per_label"),
                                   "seconds": time.perf_counter() - start,
                                   "signature": res.signature}  # fmt: skip
        rows[feat] = row
        print(feat, json.dumps(row)[:400], file=sys.stderr)  # noqa: T201 - a script
    out["features"] = {
        "texts_timed": f"AG News train rows 1-{N_FEAT}",
        "real_references": "AG News test rows 4001-4400 (label-matched per comparison)",
        "rows": rows,
    }


def write_md(out: dict) -> None:
    sb = out.get("self_bleu", {})
    full = out.get("self_bleu_full_nltk")
    suite = out.get("suite")
    loads = ", ".join(f"{k} {v:.1f}" for k, v in out.get("load_average", {}).items()) or "?"
    lines = [
        "# Metrics benchmark",
        "",
        "Command: `cd /work/main && . .venv/bin/activate && python bench/metrics/run.py "
        "selfbleu suite` (and `nltk-full` for the complete NLTK run on 2,000 texts).",
        "",
        f"Machine: {out.get('machine', '?')}. The machine was shared with other jobs "
        f"during the runs (1-minute load average at the end of each part: {loads}), so "
        "absolute seconds are noisy and slower than on an idle machine; every ratio below "
        "is measured side by side in one process on the same tokens.",
        "",
        "## Self-BLEU (n = 1..5) vs NLTK `sentence_bleu` (all other texts as references, "
        "smoothing method 1)",
        "",
        "| texts | fast (s) | NLTK (s) | speed-up | max abs diff |",
        "|---|---|---|---|---|",
    ]
    if sb:
        lines.append(
            f"| {sb['n_texts_small']} (both complete) | {sb['fast_seconds_small']:.4f} | "
            f"{sb['nltk_seconds_small']:.1f} | {sb['speedup_small']:.0f}x | "
            f"{sb['max_abs_diff_small']:.1e} |"
        )
        lines.append(
            f"| {sb['n_texts']} (NLTK on {sb['nltk_sampled_hypotheses']} sampled hypotheses "
            f"x all other texts, full time = per-hypothesis x {sb['n_texts']}) | "
            f"{sb['fast_seconds']:.3f} | {sb['nltk_seconds_estimated_full']:.0f} (est.; "
            f"{sb['nltk_seconds_sampled_hypotheses']:.0f} measured) | "
            f"{sb['speedup_estimated_full']:.0f}x | {sb['max_abs_diff_sampled_hypotheses']:.1e} |"
        )
    if full:
        lines.append(
            f"| {full['n_texts']} (both complete) | {full['fast_seconds']:.3f} | "
            f"{full['nltk_seconds']:.0f} | {full['speedup']:.0f}x | {full['max_abs_diff']:.1e} |"
        )
    else:
        lines.append(
            "| 2000 (both complete) | - | not run (over ~10 min here; `run.py nltk-full`) | - | - |"
        )
    lines += [
        "",
        f"Headline (`results.json`): `self_bleu_speedup_vs_nltk` = "
        f"{out.get('self_bleu_speedup_vs_nltk', float('nan')):.0f} (200 texts, both "
        "complete, side by side); `self_bleu_max_abs_diff` = "
        f"{out.get('self_bleu_max_abs_diff', float('nan')):.1e} (largest over every compared "
        "score). Times are for scoring pre-tokenized texts (tokenizing is the same for both).",
        "",
    ]
    if suite:
        sec_of = suite["seconds_per_metric"]
        rate = suite["embedded_texts"] / (sec_of["mauve"] + sec_of["label_preservation"])
        lines += [
            f"## All metrics on {suite['n_texts']} texts (`compute_metrics`, one shared "
            "embedding cache)",
            "",
            suite["data"] + ".",
            "",
            "| metric | seconds | value |",
            "|---|---|---|",
        ]
        for name, sec in suite["seconds_per_metric"].items():
            val = suite["values"][name]
            shown = "skipped" if val is None else f"{val:.4f}"
            lines.append(f"| {name} | {sec:.1f} | {shown} |")
        lines += [
            f"| **total** | {suite['seconds_total']:.1f} | |",
            "",
            f"{suite['embedded_texts']} distinct texts were embedded with MiniLM once and "
            "shared by mauve, label_preservation and cosine (the first of them pays).",
            "",
            f"Speeds in this run: MiniLM about {rate:.1f} texts/s (embedding dominates mauve "
            f"and label_preservation; about 33 texts/s on an idle machine, so about "
            f"{suite['embedded_texts'] / 33:.0f} s there), spaCy NER "
            f"{suite['n_texts'] / sec_of['entity_entropy']:.0f} texts/s (including the "
            "pipeline load); the n-gram metrics and cosine take well under a second.",
            "",
        ]
    proto = out.get("protocols")
    if proto:
        lines += [
            "## Protocol changes (issue #15): the same texts before and after",
            "",
            proto["texts"] + ". Seconds include loading the tokenizer or feature model.",
            "",
            "| protocol | value | std over k-means seeds | seconds | signature |",
            "|---|---|---|---|---|",
        ]
        for name, r in proto["rows"].items():
            std = "" if r.get("std") is None else f"{r['std']:.4f}"
            value = "skipped" if r["value"] is None else f"{r['value']:.4f}"
            lines.append(f"| {name} | {value} | {std} | {r['seconds']:.1f} | `{r['signature']}` |")
        lines += [
            "",
            "The machine was heavily shared during this part (1-minute load average 16-26 on "
            "2 cores), so the seconds are far above an idle machine's; the ratio still shows "
            "that SmolLM2 features through llama.cpp cost much more per text than MiniLM "
            "(one llama.cpp call per text, 576-dim last-token states), and the spaCy "
            "tokenizer's seconds are mostly its first load.",
            "",
        ]
    lines += _features_md(out.get("features"))
    (HERE / "RESULTS.md").write_text("\n".join(lines), encoding="utf-8")


def _features_md(feat: dict | None) -> list[str]:
    if not feat:
        return []
    lines = [
        "## MAUVE features: the teacher's hidden states (default) vs MiniLM",
        "",
        "Command: `python bench/metrics/run.py features`. Featurizing: "
        f"{feat['texts_timed']}, after the model is loaded (seconds are wall time with the "
        "machine's 2 cores; CPU seconds add up both threads). MAUVE with the defaults: "
        f"scaling 1, label-matched references ({feat['real_references']}), 5 k-means "
        "seeds, mean and std over them.",
        "",
        "| features | load s | s / text | CPU s / text | 1-min load | scored set | MAUVE "
        "| std | n per side | signature |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in feat["rows"].items():
        for set_name, sc in r["scores"].items():
            value = "skipped" if sc["value"] is None else f"{sc['value']:.4f}"
            std = "" if sc.get("std") is None else f"{sc['std']:.4f}"
            lines.append(
                f"| {name} | {r['load_seconds']:.1f} | {r['seconds_per_text']:.3f} | "
                f"{r['cpu_seconds_per_text']:.3f} | {r['load_average']:.1f} | {set_name} | "
                f"{value} | {std} | {sc['n_samples']} | `{sc['signature']}` |"
            )
    return [
        *lines,
        "",
        "Reading it (hand-written): the teacher's features cost about 11x MiniLM's per text "
        "(135M parameters and 576-dim states vs 22M), so 120 texts take about 0.45 CPU s "
        "each, about 27 s on 2 idle cores (105 s in this run at load 5.8). The first use "
        "dequantizes the GGUF into a transformers folder under the cache root (about 40 s, "
        "once); later loads read that folder. Side runs on the same texts (64 AG News train "
        "rows, load ~7, not in the table): llama.cpp's embedding mode with several sequences "
        "per batch 0.72 CPU s / text, bfloat16 torch 0.30 (cosine 0.9998 to float32), "
        "float32 torch 0.48; llama.cpp's batched and one-text vectors agree to cosine "
        ">= 0.999 and both to these features to >= 0.9994, so the 'different vectors' of "
        "the batched llama.cpp call were 4-bit rounding, not a pooling bug. With the "
        "teacher's features real rows still score near 1 and the FewGen set far below, as "
        "with MiniLM: the ranking of the two sets is the same, the FewGen gap wider.",
        "",
    ]


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.WARNING)
    parts = argv or ["selfbleu", "suite"]
    out = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    out["machine"] = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    for part in parts:
        if part != "md":
            {"selfbleu": part_selfbleu, "nltk-full": part_nltk_full, "suite": part_suite,
             "protocols": part_protocols, "features": part_features}[part](out)  # fmt: skip
            out.setdefault("load_average", {})[part] = os.getloadavg()[0]
        RESULTS.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
        write_md(out)
        print(f"{part} done", file=sys.stderr)  # noqa: T201 - a script, not the library


if __name__ == "__main__":
    main(sys.argv[1:])
