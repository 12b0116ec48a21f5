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
import os
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

#: Embedding variants measured: name -> (description, quantize_dynamic options or None).
VARIANTS: dict[str, tuple[str, dict | None]] = {
    "torch": ("sentence-transformers on PyTorch, float32 (the reference)", None),
    "onnx": ("backend onnx: ONNX Runtime float32, fused attention/GELU/LayerNorm", None),
    "onnx-int8": (
        "backend onnx-int8: dynamic int8 of MatMul+Attention, per-channel 7-bit weights",
        None,
    ),
    "int8-all-s8": (
        "previous onnx-int8: every quantizable op (also embeddings), full-range s8 weights",
        {"per_channel": True},
    ),
    "int8-all-rr": (
        "every quantizable op, per-channel 7-bit s8 weights (reduce_range)",
        {"per_channel": True, "reduce_range": True},
    ),
    "int8-all-u8": ("every quantizable op, u8 weights (u8 x u8 kernel)", {"per_channel": True}),
    "onnx-int8-len128": ("backend onnx-int8 with texts cut at 128 tokens (model: 256)", None),
    "model2vec": (
        "static embeddings distilled from the bundled MiniLM with model2vec.distill "
        "(pca_dims=256; --model2vec-path)",
        None,
    ),
}


class StaticEmbedder:
    """A model2vec static model behind the embedder contract (benchmark only)."""

    def __init__(self, path: str) -> None:
        from model2vec import StaticModel

        self._model = StaticModel.from_pretrained(path)

    def encode(self, texts: list[str]) -> np.ndarray:
        v = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def build_variants(work: Path, names: list[str], m2v_path: str | None) -> dict:
    """Embedders for ``names`` (see VARIANTS); derived graphs go to ``work``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from synthesizrr.embeddings.onnx_backend import OnnxEmbedder, onnx_dir
    from synthesizrr.models import resolve_embedder_path

    folder = Path(resolve_embedder_path("minilm"))
    out = {"torch": get_embedder("minilm", "torch")}
    for name in names:
        if name in ("onnx", "onnx-int8"):
            out[name] = get_embedder("minilm", name)
        elif name == "model2vec":
            if m2v_path:
                out[name] = StaticEmbedder(m2v_path)
        elif name == "onnx-int8-len128":
            out[name] = OnnxEmbedder(
                "minilm", path=onnx_dir(folder) / "model.int8.onnx", max_len=128
            )
        else:
            get_embedder("minilm", "onnx")  # derives the float32 graph
            target = work / f"{name}.onnx"
            weight = QuantType.QUInt8 if name.endswith("u8") else QuantType.QInt8
            quantize_dynamic(
                str(onnx_dir(folder) / "model.onnx"),
                str(target),
                weight_type=weight,
                extra_options={"DefaultTensorType": 1},
                **(VARIANTS[name][1] or {}),
            )
            out[name] = OnnxEmbedder("minilm", path=target)
    return out


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


def query_overhead(r: DenseRetriever, s: RetrievalSettings, qv: np.ndarray, reps: int = 7) -> dict:
    """Our query path (search + pair assignment) over raw ``index.search``, interleaved."""
    from synthesizrr.retrieval import select_pair_arrays

    def ours() -> None:
        scores, rows = r.search_vectors(qv, 50)
        select_pair_arrays(s, scores, rows)

    def raw() -> None:
        r._indexes[0].search(qv, 50)

    t_ours, t_raw, ratios = [], [], []
    for i in range(reps):  # A-B, B-A, ...
        pair = (ours, raw) if i % 2 == 0 else (raw, ours)
        took = {f: timed(f)[1] for f in pair}
        t_ours.append(took[ours])
        t_raw.append(took[raw])
        ratios.append(took[ours] / took[raw])
    _, t_assign = timed(select_pair_arrays, s, *r.search_vectors(qv, 50))
    return {
        "ratio_median": round(float(np.median(ratios)), 4),
        "ratios": [round(x, 4) for x in ratios],
        "ours_seconds_median": round(float(np.median(t_ours)), 4),
        "raw_seconds_median": round(float(np.median(t_raw)), 4),
        "assignment_seconds": round(t_assign, 4),
        "queries": len(qv),
        "k": 50,
    }


def write_markdown(res: dict) -> None:
    a = res["args"]
    cmd = (
        "SYNTHESIZRR_CACHE=/tmp/cache python bench/retrieval/run.py "
        f"--recall-passages {a['recall_passages']} --recall-queries {a['recall_queries']} "
        f"--rounds {a['rounds']} --queries {a['queries']} --variants {a['variants']} "
        f"--fast {a['fast']}"
        + (f" --model2vec-path {a['model2vec_path']}" if a.get("model2vec_path") else "")
    )
    ov = res["faiss_query_overhead"]
    rs = res["recall_setup"]
    lines = [
        "# Retrieval benchmark",
        "",
        f"Command: `{cmd}` (2-core CPU, AVX2 without VNNI, shared with other jobs: load "
        f"average {res.get('load_average', '?')} at the start; absolute speeds are low and "
        "noisy, ratios are measured side by side, interleaved, and reported as medians).",
        "",
        "## Headline",
        f"- fast_embed_speedup ({res['fast_backend']} over sentence-transformers torch, median "
        f"of {rs['rounds']} interleaved rounds): **{res['fast_embed_speedup']}x** (target >= 3)",
        f"- fast_embed_recall_at_50: **{res['fast_embed_recall_at_50']}** (target >= 0.9): "
        f"passages embedded by {res['fast_backend']}, queries by the float32 graph, as "
        "`DenseRetriever` does; with int8 queries too: "
        f"{res['fast_embed_recall_at_50_int8_queries']}",
        f"- faiss_query_overhead_ratio: **{res['faiss_query_overhead_ratio']}** (target <= 1.1)",
        f"- bm25_build_seconds: **{res['bm25_build_seconds']}** (target < 60)",
        "",
        "## Embedding variants (bundled MiniLM)",
        f"{rs['corpus_passages']} random passages of the news corpus, cut into {rs['rounds']} "
        "chunks; each chunk is embedded by every variant in turn (torch first in even rounds, "
        "last in odd ones) and each variant's speedup is the median over chunks of torch "
        "seconds / variant seconds on that chunk. recall@50: the chunks' vectors form the "
        f"corpus, {rs['queries']} AG News train texts the queries; exact inner-product top-50 "
        "with each variant vs top-50 with torch.",
        "",
        "| variant | speedup (median) | per-round speedups | passages/s | recall@50 "
        "| recall@50, float32 queries | mean cosine to torch | what |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for v, row in res["embedding_variants"].items():
        lines.append(
            f"| {v} | {row['speedup_median']} | {row['speedup_per_round']} | "
            f"{row['passages_per_second']} | {row['recall_at_50']} | "
            f"{row['recall_at_50_float32_queries']} | "
            f"{row['mean_cosine_to_torch']} | {row['description']} |"
        )
    lines += [
        "",
        "## Query path overhead (flat index, one shard)",
        f"Our path (`DenseRetriever.search_vectors` + `select_pair_arrays`, paper settings) vs "
        f"raw `index.search` on the same {ov['queries']} query vectors x top-{ov['k']}, "
        f"{len(ov['ratios'])} interleaved repetitions: median ratio **{ov['ratio_median']}** "
        f"(per repetition {ov['ratios']}); medians {ov['ours_seconds_median']} s vs "
        f"{ov['raw_seconds_median']} s; pair assignment alone {ov['assignment_seconds']} s.",
        "",
        "## Corpus preparation (full news corpus, streaming)",
        f"- {res['corpus']['documents']} documents -> {res['corpus']['passages']} passages "
        f"({res['corpus']['too_short']} under 20 tokens, {res['corpus']['duplicates']} exact "
        f"duplicates) in {res['corpus']['seconds']} s; peak RSS {res['corpus']['peak_rss_mb']} MB.",
        "",
        "## Retrievers on the full corpus",
        f"- BM25 (bm25s): build {res['bm25']['build_seconds']} s "
        f"({res['bm25']['passages_per_second']} passages/s), {res['bm25']['queries_per_second']} "
        f"queries/s (top-50, {a['queries']} queries).",
        "- FAISS indexes over "
        f"{res['corpus']['passages']} vectors of dimension 384: the recall subset's real torch "
        "vectors tiled to full size plus Gaussian noise (sd 0.05), renormalized; queries are "
        "real query vectors tiled to 1,000 plus noise (embedding all 55k passages with torch "
        "takes 30-60 min on this machine). Query time is best of 3 for 1,000 queries x "
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
    lines += [
        "",
        f"Peak RSS of the whole run: {res['peak_rss_mb']} MB; wall time "
        f"{res.get('wall_seconds', '?')} s.",
        "",
    ]
    notes = OUT / "NOTES.md"
    if notes.is_file():
        lines += [notes.read_text()]
    (OUT / "RESULTS.md").write_text("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--markdown-only", action="store_true", help="re-render RESULTS.md")
    ap.add_argument("--recall-passages", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--model2vec-path", default=None, help="a model2vec model distilled locally")
    ap.add_argument("--variants", default="onnx,onnx-int8,int8-all-s8,onnx-int8-len128")
    ap.add_argument("--recall-queries", type=int, default=200)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--fast", default="onnx-int8")
    args = ap.parse_args()
    if args.markdown_only:
        write_markdown(json.loads((OUT / "results.json").read_text()))
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    res: dict = {"args": vars(args), "load_average": round(os.getloadavg()[0], 1)}
    t0 = time.perf_counter()
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

    # 3+4. embedding variants: speed (interleaved with torch, chunk by chunk, median of the
    #      per-chunk ratios) and recall@50 against exact torch search on the same subset.
    rng = np.random.default_rng(0)
    sub = [texts[i] for i in sorted(rng.choice(n, size=args.recall_passages, replace=False))]
    rq = queries[: args.recall_queries]
    embedders = build_variants(work, args.variants.split(","), args.model2vec_path)
    for e in embedders.values():
        e.encode(sub[:16])
    chunks = np.array_split(np.arange(len(sub)), args.rounds)
    parts: dict[str, list[np.ndarray]] = {v: [] for v in embedders}
    ratios: dict[str, list[float]] = {v: [] for v in embedders if v != "torch"}
    secs: dict[str, float] = dict.fromkeys(embedders, 0.0)
    for r, idx in enumerate(chunks):
        chunk = [sub[i] for i in idx]
        # A-B-...-B-A over rounds: torch first in even rounds, last in odd ones.
        order = list(embedders) if r % 2 == 0 else list(reversed(embedders))
        took: dict[str, float] = {}
        for v in order:
            vecs, took[v] = timed(embedders[v].encode, chunk)
            parts[v].append(vecs)
            secs[v] += took[v]
        for v in ratios:
            ratios[v].append(took["torch"] / took[v])
        log.info("round %d: %s", r, {v: round(x[-1], 2) for v, x in ratios.items()})
    import faiss

    def flat_search(p: np.ndarray, q: np.ndarray, k: int = 50) -> np.ndarray:
        idx = faiss.IndexFlatIP(p.shape[1])
        idx.add(p)
        return idx.search(q, k)[1]

    ref_p = np.concatenate(parts["torch"])
    ref_q = embedders["torch"].encode(rq)
    truth = flat_search(ref_p, ref_q)
    # The retriever's onnx-int8 path embeds queries with the float32 graph.
    exact_q = embedders["onnx"].encode(rq) if "onnx" in embedders else ref_q
    table: dict = {}
    for v, e in embedders.items():
        p = np.concatenate(parts[v])
        q = e.encode(rq)
        same_dim = p.shape == ref_p.shape
        table[v] = {
            "speedup_median": 1.0 if v == "torch" else round(float(np.median(ratios[v])), 3),
            "speedup_per_round": [] if v == "torch" else [round(x, 2) for x in ratios[v]],
            "passages_per_second": round(len(sub) / secs[v], 2),
            "recall_at_50": round(recall_at(truth, flat_search(p, q)), 4),
            "recall_at_50_float32_queries": (
                round(recall_at(truth, flat_search(p, exact_q)), 4) if same_dim else None
            ),
            "mean_cosine_to_torch": (
                round(float((p * ref_p).sum(1).mean()), 4) if same_dim else None
            ),
            "description": VARIANTS[v][0],
        }
    res["embedding_variants"] = table
    res["fast_backend"] = args.fast
    res["fast_embed_speedup"] = table[args.fast]["speedup_median"]
    # As the retriever runs it: passages with the fast backend, queries with float32.
    res["fast_embed_recall_at_50"] = table[args.fast]["recall_at_50_float32_queries"]
    res["fast_embed_recall_at_50_int8_queries"] = table[args.fast]["recall_at_50"]
    res["recall_setup"] = {"corpus_passages": len(sub), "queries": len(rq), "rounds": args.rounds}

    # 5. FAISS: our query path vs raw FAISS, flat / sharded / ivf / hnsw, full-size vectors.
    #    Vectors: the recall subset's torch vectors tiled with small noise to n rows (same
    #    dimension and norm as real ones; real embeddings of all 55k passages take ~1 h here).
    reps = int(np.ceil(n / len(ref_p)))
    vecs = np.tile(ref_p, (reps, 1))[:n] + rng.normal(0, 0.05, size=(n, ref_p.shape[1])).astype(
        np.float32
    )
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    qv = ref_q[:100]
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
        if kind == "flat" and shards == 1:
            overhead = query_overhead(r, s, qv)
        ours = min(timed(r.search_vectors, qv, 50)[1] for _ in range(3))
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
    res["faiss_query_overhead_ratio"] = overhead["ratio_median"]
    res["faiss_query_overhead"] = overhead
    res["faiss"] = faiss_res
    res["peak_rss_mb"] = round(peak_mb())
    res["wall_seconds"] = round(time.perf_counter() - t0)
    (OUT / "results.json").write_text(json.dumps(res, indent=2) + "\n")
    write_markdown(res)
    log.info("%s", json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
