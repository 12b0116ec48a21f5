"""Retrieval benchmark: corpus preparation, retrievers, embedding paths, recall of fast paths.

    python bench/retrieval/run.py [--speed-passages 400] [--recall-passages 2000] \
        [--recall-queries 200]

Writes bench/retrieval/results.json and bench/retrieval/RESULTS.md. Needs ../shared/data.
Embedding on this 2-core machine is slow (~5-30 passages/s depending on load), so the
embedding speed is measured on a subsample, torch and the fast paths interleaved in the
same run, and recall@50 on a subset corpus embedded every way (see RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))
DATA = REPO.parent / "shared" / "data"
OUT = Path(__file__).resolve().parent

from synthesizrr.corpus import CorpusSettings, prepare_passages, read_labeled  # noqa: E402
from synthesizrr.embeddings import get_embedder  # noqa: E402
from synthesizrr.retrieval import RetrievalSettings, build_index, load_retriever  # noqa: E402
from synthesizrr.retrieval.dense import DenseRetriever, shard_bounds  # noqa: E402

log = logging.getLogger("bench")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, *args, **kwargs):  # noqa: ANN001, ANN201
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def recall_at(truth: np.ndarray, got: np.ndarray) -> float:
    hits = [
        len(set(t[t >= 0]) & set(g[g >= 0])) / max(1, (t >= 0).sum())
        for t, g in zip(truth, got, strict=True)
    ]
    return float(np.mean(hits))


def write_markdown(res: dict) -> None:
    a = res["args"]
    cmd = (
        "SYNTHESIZRR_CACHE=/tmp/cache python bench/retrieval/run.py "
        f"--speed-passages {a['speed_passages']} --recall-passages {a['recall_passages']} "
        f"--recall-queries {a['recall_queries']} --queries {a['queries']} --fast {a['fast']}"
    )
    emb = res["embedding_passages_per_second"]
    lines = [
        "# Retrieval benchmark",
        "",
        f"Command: `{cmd}` (2-core CPU, AVX2 without VNNI; other jobs shared the machine, "
        "so absolute speeds are low and noisy: compare ratios, which were measured side by "
        "side, interleaved, in one run).",
        "",
        "## Headline",
        f"- fast_embed_speedup ({res['fast_backend']} over sentence-transformers torch): "
        f"**{res['fast_embed_speedup']}x** (target >= 3)",
        f"- fast_embed_recall_at_50: **{res['fast_embed_recall_at_50']}** (target >= 0.9)",
        f"- faiss_query_overhead_ratio: **{res['faiss_query_overhead_ratio']}** (target <= 1.1)",
        f"- bm25_build_seconds: **{res['bm25_build_seconds']}** (target < 60)",
        "",
        "## Corpus preparation (full news corpus, streaming)",
        f"- {res['corpus']['documents']} documents -> {res['corpus']['passages']} passages "
        f"({res['corpus']['too_short']} under 20 tokens, {res['corpus']['duplicates']} exact "
        f"duplicates) in {res['corpus']['seconds']} s; peak RSS {res['corpus']['peak_rss_mb']} MB.",
        "",
        "## Embedding paths (bundled MiniLM)",
        f"Passages/s on {a['speed_passages']} random passages, two halves interleaved: "
        + ", ".join(f"{k}: {v}" for k, v in emb.items())
        + f". ONNX float32 speedup {res['onnx_fp32_speedup']}x.",
        "",
        "## Recall of the fast path",
        f"Subset corpus of {res['recall_setup']['corpus_passages']} random passages embedded "
        f"with torch and with {res['fast_backend']}; {res['recall_setup']['queries']} AG News "
        "train texts as queries; exact inner-product top-50 with each; recall@50 = overlap "
        "of the fast top-50 with the torch top-50. Details: " + json.dumps(res["recall_setup"]),
        "",
        "## Retrievers on the full corpus",
        f"- BM25 (bm25s): build {res['bm25']['build_seconds']} s "
        f"({res['bm25']['passages_per_second']} passages/s), {res['bm25']['queries_per_second']} "
        f"queries/s (top-50, {a['queries']} queries).",
        "- FAISS indexes over "
        f"{res['corpus']['passages']} vectors of dimension 384: the recall subset's real torch "
        "vectors tiled to full size plus Gaussian noise (sd 0.05), renormalized; queries are "
        "real query vectors tiled to 1,000 plus noise (embedding all 55k passages with torch "
        "takes about 30-60 min on this machine). Query time is best of 3 for 1,000 queries x "
        "top-50; recall is against the flat index.",
        "",
        "| index | build s | 1000x50 query s | queries/s | recall@50 vs flat |",
        "|---|---|---|---|---|",
    ]
    for key, v in res["faiss"].items():
        lines.append(
            f"| {key} | {v['build_seconds']} | {v['query_seconds_1000x50']} | "
            f"{v['queries_per_second']} | {v['recall_at_50_vs_flat']} |"
        )
    lines += ["", f"Peak RSS of the whole run: {res['peak_rss_mb']} MB.", ""]
    (OUT / "RESULTS.md").write_text("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--markdown-only", action="store_true", help="re-render RESULTS.md")
    ap.add_argument("--speed-passages", type=int, default=400)
    ap.add_argument("--recall-passages", type=int, default=2000)
    ap.add_argument("--recall-queries", type=int, default=200)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--fast", default="onnx-int8")
    args = ap.parse_args()
    if args.markdown_only:
        write_markdown(json.loads((OUT / "results.json").read_text()))
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    res: dict = {"args": vars(args)}
    work = Path(tempfile.mkdtemp(prefix="bench-retrieval-"))
    import pyarrow.parquet as pq

    # 1. corpus preparation (full news corpus, streaming)
    passages = work / "passages.parquet"
    stats, secs = timed(
        prepare_passages,
        CorpusSettings(
            path=str(DATA / "corpus_news_passages/passages.jsonl.gz"), title_field="title"
        ),
        passages,
        base_dir=DATA,
    )
    res["corpus"] = stats.to_dict() | {"seconds": round(secs, 2), "peak_rss_mb": round(peak_mb())}
    res["corpus"].pop("sources")
    texts = pq.read_table(passages, columns=["text"]).column(0).to_pylist()
    n = len(texts)
    train = read_labeled("ag_news/train.csv", base_dir=DATA)
    extra = read_labeled("ag_news/train_extra_world_scitech.csv", base_dir=DATA)
    queries = (train.column("text").to_pylist() + extra.column("text").to_pylist())[: args.queries]
    log.info("corpus %d passages, %d queries", n, len(queries))

    # 2. BM25 on the full corpus
    bm = RetrievalSettings(retriever="bm25", top_k=50)
    info, secs = timed(build_index, bm, passages, work / "bm25")
    res["bm25_build_seconds"] = round(secs, 2)
    retr, _ = load_retriever(bm, passages, work / "bm25")
    _, qsecs = timed(retr.search, queries, 50)
    res["bm25"] = {
        "build_seconds": round(secs, 2),
        "passages_per_second": round(n / secs, 1),
        "queries_per_second": round(len(queries) / qsecs, 1),
        "peak_rss_mb": round(peak_mb()),
    }

    # 3. embedding speed: torch vs fast paths, same passages, interleaved
    rng = np.random.default_rng(0)
    sample = [texts[i] for i in rng.choice(n, size=args.speed_passages, replace=False)]
    embedders = {b: get_embedder("minilm", b) for b in ("torch", "onnx", args.fast)}
    for e in embedders.values():
        e.encode(sample[:16])
    speed: dict[str, list[float]] = {b: [] for b in embedders}
    half = len(sample) // 2
    for part in (sample[:half], sample[half:]):
        for b, e in embedders.items():
            _, s = timed(e.encode, part)
            speed[b].append(s)
    pps = {b: round(len(sample) / sum(s), 2) for b, s in speed.items()}
    res["embedding_passages_per_second"] = pps
    res["fast_backend"] = args.fast
    res["fast_embed_speedup"] = round(pps[args.fast] / pps["torch"], 3)
    res["onnx_fp32_speedup"] = round(pps["onnx"] / pps["torch"], 3)

    # 4. recall@50 of the fast path against exact torch dense search, on a subset corpus
    sub = [texts[i] for i in sorted(rng.choice(n, size=args.recall_passages, replace=False))]
    rq = queries[: args.recall_queries]
    ref_p, t_secs = timed(embedders["torch"].encode, sub)
    ref_q = embedders["torch"].encode(rq)
    fast_p, f_secs = timed(embedders[args.fast].encode, sub)
    fast_q = embedders[args.fast].encode(rq)
    import faiss

    def flat_search(p: np.ndarray, q: np.ndarray, k: int = 50) -> np.ndarray:
        idx = faiss.IndexFlatIP(p.shape[1])
        idx.add(p)
        return idx.search(q, k)[1]

    truth = flat_search(ref_p, ref_q)
    res["fast_embed_recall_at_50"] = round(recall_at(truth, flat_search(fast_p, fast_q)), 4)
    res["recall_setup"] = {
        "corpus_passages": len(sub),
        "queries": len(rq),
        "torch_passages_per_second": round(len(sub) / t_secs, 2),
        "fast_passages_per_second": round(len(sub) / f_secs, 2),
        "fast_speedup_on_recall_corpus": round(t_secs / f_secs, 3),
        "mean_cosine_fast_vs_torch": round(float((ref_p * fast_p).sum(1).mean()), 4),
    }

    # 5. FAISS: our query path vs raw FAISS, flat / sharded / ivf / hnsw, full-size vectors.
    #    Vectors: the recall subset's torch vectors tiled with small noise to n rows (same
    #    dimension and norm as real ones; real embeddings of all 55k passages take ~1 h here).
    reps = int(np.ceil(n / len(ref_p)))
    vecs = np.tile(ref_p, (reps, 1))[:n] + rng.normal(0, 0.05, size=(n, ref_p.shape[1])).astype(
        np.float32
    )
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    qv = embedders["torch"].encode(queries[:100])
    qv = np.tile(qv, (int(np.ceil(len(queries) / len(qv))), 1))[: len(queries)]
    qv = np.ascontiguousarray(qv + rng.normal(0, 0.05, size=qv.shape).astype(np.float32))
    qv /= np.linalg.norm(qv, axis=1, keepdims=True)
    faiss_res: dict = {}
    exact_rows = None
    for kind, shards in (("flat", 1), ("flat", 4), ("ivf", 1), ("hnsw", 1)):
        s = RetrievalSettings(index=kind, shards=shards)
        r = DenseRetriever(s)
        d = work / f"faiss-{kind}-{shards}"
        d.mkdir()
        start = time.perf_counter()
        for i, (a, b) in enumerate(shard_bounds(n, shards)):
            r._write_shard(faiss, vecs[a:b], d, i, vecs.shape[1])
        build = time.perf_counter() - start
        r.load(d, n)
        ours = raw = float("inf")
        for _ in range(3):  # best of 3, alternating
            _, t_ours = timed(r.search_vectors, qv, 50)
            _, t_raw = timed(r._indexes[0].search, qv, 50)
            ours, raw = min(ours, t_ours), min(raw, t_raw)
        rows = r.search_vectors(qv, 50)[1]
        if exact_rows is None:
            exact_rows = rows
        key = f"{kind}-{shards}shard"
        faiss_res[key] = {
            "build_seconds": round(build, 3),
            "query_seconds_1000x50": round(ours, 4),
            "queries_per_second": round(len(qv) / ours, 1),
            "recall_at_50_vs_flat": round(recall_at(exact_rows, rows), 4),
        }
        if shards == 1 and kind == "flat":
            res["faiss_query_overhead_ratio"] = round(ours / raw, 4)
            faiss_res[key]["raw_faiss_seconds"] = round(raw, 4)
    res["faiss"] = faiss_res
    res["peak_rss_mb"] = round(peak_mb())
    (OUT / "results.json").write_text(json.dumps(res, indent=2) + "\n")
    write_markdown(res)
    log.info("%s", json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
