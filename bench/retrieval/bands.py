"""Which similarity band gives the bundled MiniLM's seeds their shot documents?

The paper's cosine bands ([0.4, 0.9] for generation, [0.5, 0.9] for shots) were set for
Contriever. This measures, on 200 AG News seeds (50 per label, drawn as the seeds stage
draws them) against a seeded sample of the news passages, how many seeds keep at least
one shot document (rank 1 or 2, inside the shot band, after the reuse cap of 1) under the
paper's cosines and under percentile bands of the run's own scores, and records the
resolved cosines. The default ``MEASURED_BANDS['minilm']`` comes from this table.

    python bench/retrieval/bands.py --passages 2000 8000   # embedding dominates (CPU)

Writes ``bands.json`` and ``BANDS.md`` beside this file.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import random
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1].parent / "shared" / "data"
CANDIDATES: list[tuple[str, dict[str, object]]] = [
    ("paper cosines gen [0.4, 0.9], shot [0.5, 0.9]", {"model": "contriever-paper-bands"}),
    ("cosine shot [0.3, 0.9] (the study's hand-tuned value)",
     {"model": "contriever-paper-bands", "shot_sim_min": 0.3}),  # fmt: skip
    ("percentile gen [10, 99], shot [10, 99]",
     {"sim_band": {"percentile": [10, 99]}, "shot_sim_band": {"percentile": [10, 99]}}),
    ("percentile gen [5, 99.5], shot [5, 99.5]",
     {"sim_band": {"percentile": [5, 99.5]}, "shot_sim_band": {"percentile": [5, 99.5]}}),
    ("percentile gen [20, 99], shot [20, 99]",
     {"sim_band": {"percentile": [20, 99]}, "shot_sim_band": {"percentile": [20, 99]}}),
    ("default (MEASURED_BANDS['minilm'])", {}),
    # Without the reuse cap: what the band alone leaves. On a small passage sample the cap,
    # not the band, limits shots (200 seeds share few distinct rank-1/2 passages).
    ("paper cosines, no reuse cap", {"model": "contriever-paper-bands", "max_seeds_per_doc": None}),
    ("cosine shot [0.3, 0.9], no reuse cap",
     {"model": "contriever-paper-bands", "shot_sim_min": 0.3, "max_seeds_per_doc": None}),
    ("default (MEASURED_BANDS['minilm']), no reuse cap", {"max_seeds_per_doc": None}),
]  # fmt: skip


def _sample_order(n_corpus: int) -> list[int]:
    """A seeded permutation of the corpus rows; a sample of n is its first n (sorted), so
    the smaller samples are nested in the larger ones."""
    order = list(range(n_corpus))
    random.Random(0).shuffle(order)
    return order


def embeddings(n_max: int) -> dict[str, np.ndarray]:
    """MiniLM vectors of the 200 seeds and of the first ``n_max`` sampled passages (with
    their doc ids), cached under /tmp by sample size."""
    cache = Path(os.environ.get("TMPDIR", "/tmp")) / f"synthesizrr_bands_emb_{n_max}.npz"
    if cache.exists():
        return dict(np.load(cache))
    from synthesizrr.embeddings import get_embedder

    rows = list(csv.DictReader((DATA / "ag_news" / "train.csv").open(encoding="utf-8")))
    rng = random.Random(0)
    seeds: list[int] = []
    for lab in sorted({r["label"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["label"] == lab]
        seeds += sorted(rng.sample(idx, 50))
    path = DATA / "corpus_news_passages" / "passages.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        passages = [json.loads(line) for line in fh]
    pick = _sample_order(len(passages))[:n_max]
    emb = get_embedder("minilm")
    start = time.perf_counter()
    q = emb.encode([rows[i]["text"] for i in seeds])
    p = emb.encode([passages[i]["text"] for i in pick], batch_size=64)
    out = {"q": q.astype(np.float32), "p": p.astype(np.float32),
           "doc_id": np.array([str(passages[i]["id"]) for i in pick]),
           "seconds": np.array(time.perf_counter() - start),
           "n_corpus": np.array(len(passages))}  # fmt: skip
    np.savez(cache, **out)
    return out


def top_k(data: dict[str, np.ndarray], n: int, k: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Scores and rows (into the first ``n`` sampled passages) of each seed's top-k."""
    s = data["q"] @ data["p"][:n].T
    order = np.argsort(-s, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(s, order, 1).astype(np.float32), order


def _former_cap(settings: object, scores: np.ndarray, rows: np.ndarray) -> int:
    """Seeds with a shot under the reuse cap's former order (score alone, no shot-first):
    the cap applied as if every pair were a generation pair, the roles kept."""
    from dataclasses import replace

    from synthesizrr.retrieval import RetrievalSettings, select_pair_arrays
    from synthesizrr.retrieval.assign import _cap

    assert isinstance(settings, RetrievalSettings)
    free = select_pair_arrays(settings.model_copy(update={"max_seeds_per_doc": None}),
                              scores, rows)  # fmt: skip
    as_gen = replace(free, shot=np.zeros_like(free.shot))
    keep = _cap(as_gen, settings.max_seeds_per_doc or 1, scored=True)
    return len(set(free.seed[keep & free.shot].tolist()))


def evaluate(scores: np.ndarray, rows: np.ndarray) -> dict[str, object]:
    from synthesizrr.retrieval import RetrievalSettings, select_pair_arrays

    n_seeds = scores.shape[0]
    results = []
    for name, kw in CANDIDATES:
        settings = RetrievalSettings(**kw)  # type: ignore[arg-type]
        kept = select_pair_arrays(settings, scores, rows)
        shot_seeds = len(set(kept.seed[kept.shot].tolist()))
        former = None if settings.max_seeds_per_doc is None else _former_cap(settings, scores,
                                                                              rows)  # fmt: skip
        results.append({"band": name, "settings": kw, "seeds": n_seeds,
                        "seeds_with_shot_doc": shot_seeds,
                        "share_with_shot_doc": shot_seeds / n_seeds,
                        "seeds_with_shot_doc_former_cap_order": former,
                        "gen_pairs": int((~kept.shot).sum()), "bands": kept.bands})  # fmt: skip
    rank1 = scores[:, 0]
    return {
        "rank1_cosine_quantiles": {str(q): float(np.quantile(rank1, q)) for q in
                                   (0.1, 0.25, 0.5, 0.75, 0.9)},
        "distinct_shot_rank_passages": {"rank1": len(set(rows[:, 0].tolist())),
                                        "rank1_2": len(set(rows[:, :2].ravel().tolist()))},
        "results": results,
    }  # fmt: skip


def _show(x: dict) -> str:
    lo, hi = x.get("min"), x.get("max")
    return f"[{lo:.3f}, {hi:.3f}]" if lo is not None and hi is not None else str(x)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--passages",
        type=int,
        nargs="+",
        default=[2000, 8000],
        help="sample sizes (nested: each smaller sample is in the larger ones)",
    )
    args = ap.parse_args()
    sizes = sorted(args.passages)
    data = embeddings(sizes[-1])
    by_size = {n: evaluate(*top_k(data, n)) for n in sizes}
    summary = {
        "passages_sampled": sizes, "corpus_passages": int(data["n_corpus"]),
        "embed_seconds": float(data["seconds"]), "embedded_passages": sizes[-1],
        "by_sample_size": {str(n): v for n, v in by_size.items()},
    }  # fmt: skip
    (HERE / "bands.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    big = by_size[sizes[-1]]
    dist = {n: v["distinct_shot_rank_passages"] for n, v in by_size.items()}
    q = big["rank1_cosine_quantiles"]
    lines = [
        "# Similarity bands for the bundled MiniLM (AG News seeds, news passages)",
        "",
        "200 AG News seeds (50 per label) against seeded, nested samples of "
        + ", ".join(f"{n:,}" for n in sizes)
        + f" of the {summary['corpus_passages']:,} news passages (a seeded permutation's first "
        f"n rows); top-50 by cosine, reuse cap 1 unless noted. Command: `python "
        f"bench/retrieval/bands.py --passages {' '.join(map(str, sizes))}`. A seed counts when "
        "at least one of its rank-1/2 documents is a shot pair after the band and the cap. "
        "*Former cap order*: the same pairs capped by score alone (before shot pairs claimed "
        "their documents first). Embedding the seeds and "
        f"{sizes[-1]:,} passages took {summary['embed_seconds']:.0f} s on the shared 2-core "
        "machine.",
        "",
        f"Rank-1 cosine quantiles (10/25/50/75/90%, {sizes[-1]:,} passages): "
        + ", ".join(f"{v:.3f}" for v in q.values())
        + ". Distinct passages among the 200 seeds' rank-1/rank-2 documents: "
        + ", ".join(f"{d['rank1_2']} of {n:,}" for n, d in dist.items())
        + ".",
        "",
        "| band | " + " | ".join(f"seeds with a shot, {n:,} passages (former cap order)"
                                for n in sizes)
        + f" | gen pairs ({sizes[-1]:,}) | resolved shot band | resolved gen band |",
        "|---|" + "---|" * (len(sizes) + 3),
    ]  # fmt: skip
    for i, r in enumerate(big["results"]):
        cells = []
        for n in sizes:
            rr = by_size[n]["results"][i]
            former = rr["seeds_with_shot_doc_former_cap_order"]
            cells.append(f"{rr['seeds_with_shot_doc']} / {rr['seeds']} "
                         f"({rr['share_with_shot_doc']:.0%})"
                         + ("" if former is None else f" ({former})"))  # fmt: skip
        b = r["bands"]
        lines.append(f"| {r['band']} | " + " | ".join(cells)
                     + f" | {r['gen_pairs']} | {_show(b['shot'])} | {_show(b['gen'])} |")  # fmt: skip
    (HERE / "BANDS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
