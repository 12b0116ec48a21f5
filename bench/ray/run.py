"""Ray executor throughput and overhead against the local executor, side by side.

1. Embedding + index build (``Executor.build_index``, dense MiniLM, flat, 2 shards) over
   the first N real news passages: local (torch, 2 threads), Ray 1 worker x 2 CPUs (the
   same single block and threads as local: the pure overhead), then Ray 1 worker x 1 CPU
   and Ray 2 workers x 1 CPU over blocks of N/4 passages (``ray.embed_block_rows``).
2. Generation through ``BackendHandle.run`` against ``python -m llama_cpp.server`` (the
   bundled SmolLM2 GGUF on 127.0.0.1, 1 thread, openai backend), the same requests (same
   seeds, 32 new tokens) with the same total number in flight: local, Ray 1 worker, Ray
   2 workers (HTTP clients; the one server is the bottleneck).
3. Generation with the in-process llamacpp backend, one engine of 1 thread each: local,
   Ray 1 actor, Ray 2 actors. (llama.cpp threads spin at barriers: 2 threads on 2 busy
   shared cores ran 5-20x slower than 1 in a trial, so every engine here has 1 thread.)

Every measurement uses a fresh index folder / request cache and includes starting the
actors (and loading their models): that is what a stage pays. Contenders alternate
(A B C, then C B A) to cancel drift on a shared machine; the ratio of medians is reported.

    python bench/ray/run.py [--passages 200] [--requests 24] [--rounds 2]
    python bench/ray/steady.py        # warm per-worker rates (steady.json), then
    python bench/ray/run.py --render-only   # adds them to RESULTS.md
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SHARED = REPO.parent / "shared" / "data"
MAX_TOKENS = 32
TOPICS = ["football", "rain", "a museum", "bread", "a bridge", "jazz", "a comet", "tea"]


def write_passages(n: int, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = []
    with gzip.open(SHARED / "corpus_news_passages" / "passages.jsonl.gz", "rt") as f:
        for line in f:
            rec = json.loads(line)
            rows.append({"passage_id": rec["id"], "doc_id": rec["id"], "text": rec["text"]})
            if len(rows) == n:
                break
    pq.write_table(pa.Table.from_pylist(rows), path)


def alternate(contenders: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Seconds of each contender per round; order A B C, then C B A, ..."""
    names = list(contenders)
    out: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            out[name].append(contenders[name]())
            print(f"  {name}: {out[name][-1]:.2f}s", file=sys.stderr, flush=True)
    return out


def summarize(seconds: dict[str, list[float]], units: float, unit: str) -> dict[str, Any]:
    res: dict[str, Any] = {}
    for name, secs in seconds.items():
        med = statistics.median(secs)
        res[name] = {"seconds": [round(s, 3) for s in secs], "median_s": round(med, 3),
                     f"{unit}_per_s": round(units / med, 2)}  # fmt: skip
    return res


def bench_embedding(passages: Path, n: int, rounds: int) -> dict[str, Any]:
    from synthesizrr.executors import LocalExecutor
    from synthesizrr.executors.ray import RayExecutor, RaySettings
    from synthesizrr.retrieval import RetrievalSettings

    settings = RetrievalSettings(shards=2)

    def run(executor: Any) -> Callable[[], float]:
        def go() -> float:
            from synthesizrr.embeddings import get_embedder

            get_embedder.cache_clear()  # the local build loads its model too, as a stage does
            with tempfile.TemporaryDirectory() as d:
                t0 = time.perf_counter()
                info = executor.build_index(settings, passages, Path(d) / "index")
                dt = time.perf_counter() - t0
            assert info["passages"] == n and not info["reused"]
            return dt

        return go

    block = max(1, n // 4)  # 4 blocks, so that 2 workers have work to share
    contenders = {
        "local": run(LocalExecutor()),
        # The same blocks as local (one call of n passages), the same 2 threads: overhead.
        "ray_1worker_2cpu": run(RayExecutor(settings=RaySettings(embed_workers=1,
                                                                 embed_num_cpus=2))),
        "ray_1worker_1cpu": run(RayExecutor(settings=RaySettings(embed_workers=1,
                                                                 embed_block_rows=block))),
        "ray_2workers_1cpu": run(RayExecutor(settings=RaySettings(embed_workers=2,
                                                                  embed_block_rows=block))),
    }  # fmt: skip
    res = summarize(alternate(contenders, rounds), n, "passages")
    local = res["local"]["median_s"]
    return {
        "passages": n,
        "shards": 2,
        "contenders": res,
        "local_vs_ray_1worker_ratio": round(res["ray_1worker_2cpu"]["median_s"] / local, 3),
        "ray_2workers_vs_1worker_speedup": round(
            res["ray_1worker_1cpu"]["median_s"] / res["ray_2workers_1cpu"]["median_s"], 3
        ),
    }


def requests(n: int) -> list[Any]:
    from synthesizrr.llm import LLMRequest, Message

    return [
        LLMRequest(
            messages=(
                Message(
                    role="user",
                    content=f"Write one sentence about {TOPICS[i % len(TOPICS)]} (#{i}).",
                ),
            ),
            max_tokens=MAX_TOKENS,
            seed=i,
        )  # fmt: skip
        for i in range(n)
    ]


def run_handle(executor: Any, llm: Any, reqs: list[Any]) -> tuple[float, int]:
    from synthesizrr.llm import llamacpp

    llamacpp._MODELS.clear()  # the local engine loads its model too, as a stage does
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        with executor.open_backend(llm) as teacher:
            out = teacher.run(reqs, cache_path=Path(d) / "cache.sqlite", settings=None)
        dt = time.perf_counter() - t0
    assert all(o.response is not None for o in out), [o.error for o in out][:3]
    return dt, sum(o.response.completion_tokens for o in out)


def bench_generation(contenders_llm: dict[str, tuple[Any, Any]], n: int, rounds: int
                     ) -> dict[str, Any]:  # fmt: skip
    reqs = requests(n)
    tokens: dict[str, list[int]] = {k: [] for k in contenders_llm}

    def make(name: str) -> Callable[[], float]:
        def go() -> float:
            executor, llm = contenders_llm[name]
            dt, toks = run_handle(executor, llm, reqs)
            tokens[name].append(toks)
            return dt

        return go

    seconds = alternate({k: make(k) for k in contenders_llm}, rounds)
    res = summarize(seconds, n, "requests")
    for name in res:
        res[name]["completion_tokens"] = tokens[name]
        res[name]["new_tokens_per_s"] = round(
            statistics.median(t / s for t, s in zip(tokens[name], seconds[name], strict=True)), 1
        )
    names = list(contenders_llm)
    return {
        "requests": n,
        "max_tokens": MAX_TOKENS,
        "contenders": res,
        "local_vs_ray_1worker_ratio": round(
            res[names[1]]["median_s"] / res[names[0]]["median_s"], 3
        ),
        "ray_2workers_vs_1worker_speedup": round(
            res[names[1]]["median_s"] / res[names[2]]["median_s"], 3
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--passages", type=int, default=200)
    ap.add_argument("--requests", type=int, default=24)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--skip", nargs="*", default=[], choices=["embedding", "server", "inprocess"])
    ap.add_argument("--render-only", action="store_true", help="rewrite RESULTS.md only")
    args = ap.parse_args()
    if args.render_only:
        (HERE / "RESULTS.md").write_text(render(json.loads((HERE / "results.json").read_text())))
        return
    os.environ["RAY_DISABLE_USAGE_STATS"] = "1"
    import ray

    from synthesizrr.executors import LocalExecutor
    from synthesizrr.executors.ray import RayExecutor, RaySettings
    from synthesizrr.llm import LLMSettings
    from synthesizrr.models import resolve_llm_path

    started = time.perf_counter()
    t0 = time.perf_counter()
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray_init_s = time.perf_counter() - t0
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "ray": ray.__version__,
        "ray_init_s": round(ray_init_s, 2),
        "load_average_1min_at_start": round(os.getloadavg()[0], 1),
        "command": "python bench/ray/run.py " + " ".join(sys.argv[1:]),
    }
    try:
        if "embedding" not in args.skip:
            with tempfile.TemporaryDirectory() as d:
                passages = Path(d) / "passages.parquet"
                write_passages(args.passages, passages)
                print("embedding + index build", file=sys.stderr)
                results["embedding"] = bench_embedding(passages, args.passages, args.rounds)
        gguf = resolve_llm_path("smollm2")
        if "server" not in args.skip:
            from synthesizrr.testing import llama_server

            server = contextlib.ExitStack()
            url = server.enter_context(llama_server(gguf, threads=1, start_timeout_s=120))
            try:
                base = dict(backend="openai", model="smollm2", base_url=url)
                run_handle(LocalExecutor(), LLMSettings(**base), requests(2))  # warm-up
                print("generation against llama_cpp.server", file=sys.stderr)
                results["generation_server"] = bench_generation(
                    {
                        "local": (LocalExecutor(), LLMSettings(**base, concurrency=4)),
                        "ray_1worker": (
                            RayExecutor(settings=RaySettings(llm_workers=1)),
                            LLMSettings(**base, concurrency=4),
                        ),
                        "ray_2workers": (
                            RayExecutor(settings=RaySettings(llm_workers=2)),
                            LLMSettings(**base, concurrency=2),
                        ),
                    },  # fmt: skip
                    args.requests,
                    args.rounds,
                )
            finally:
                server.close()
        if "inprocess" not in args.skip:
            base = dict(backend="llamacpp", model="smollm2", n_ctx=1024, concurrency=1)
            print("generation with in-process llamacpp actors", file=sys.stderr)
            results["generation_inprocess"] = bench_generation(
                {
                    "local": (LocalExecutor(), LLMSettings(**base, n_threads=1)),
                    "ray_1worker": (
                        RayExecutor(settings=RaySettings(llm_workers=1)),
                        LLMSettings(**base, n_threads=1),
                    ),
                    "ray_2workers": (
                        RayExecutor(settings=RaySettings(llm_workers=2)),
                        LLMSettings(**base, n_threads=1),
                    ),
                },  # fmt: skip
                args.requests,
                args.rounds,
            )
    finally:
        ray.shutdown()
    main_section = results.get("generation_server") or results.get("generation_inprocess")
    if main_section:
        results["local_vs_ray_1worker_ratio"] = main_section["local_vs_ray_1worker_ratio"]
    results["wall_s"] = round(time.perf_counter() - started, 1)
    results["load_average_1min_at_end"] = round(os.getloadavg()[0], 1)
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (HERE / "RESULTS.md").write_text(render(results))
    print(json.dumps(results, indent=2))


def render(r: dict[str, Any]) -> str:
    lines = [
        "# Ray executor: throughput and overhead against the local executor",
        "",
        f"Command: `{r['command']}` (wall time {r['wall_s']} s). Machine: {r['machine']}; "
        f"Python {r['python']}, Ray {r['ray']}. Starting the local Ray itself took "
        f"{r['ray_init_s']} s (paid once per run, not included below). 1-minute load "
        f"average of the 2-core machine: {r['load_average_1min_at_start']} at the start, "
        f"{r['load_average_1min_at_end']} at the end (above 2: other jobs were running).",
        "",
        "Each time includes starting the stage's actors and loading their models, with a "
        "fresh index folder or request cache. Contenders ran alternately in one process "
        "(A B C, then C B A); medians. Absolute times on these shared machines are noisy; "
        "the ratios are side by side.",
        "",
        "`local_vs_ray_1worker_ratio` = Ray 1-worker time / local time on the same work "
        "(1.0: no overhead; above 1: Ray is slower).",
        "",
    ]
    for key, title, unit in [
        ("embedding", "Embedding + dense index build (MiniLM, flat, 2 shards)", "passages"),
        ("generation_server", "Generation against llama_cpp.server (openai backend)", "requests"),
        ("generation_inprocess", "Generation, in-process llamacpp (one engine per actor)",
         "requests"),
    ]:  # fmt: skip
        if key not in r:
            continue
        sec = r[key]
        lines += [f"## {title}", "", f"| contender | median s | {unit}/s | rounds (s) |",
                  "|---|---:|---:|---|"]  # fmt: skip
        for name, c in sec["contenders"].items():
            rounds = ", ".join(f"{s:.1f}" for s in c["seconds"])
            lines.append(f"| {name} | {c['median_s']} | {c[f'{unit}_per_s']} | {rounds} |")
        lines += [
            "",
            f"- local_vs_ray_1worker_ratio: **{sec['local_vs_ray_1worker_ratio']}**",
            f"- Ray 2 workers vs 1 worker speedup: **{sec['ray_2workers_vs_1worker_speedup']}**",
            "",
        ]
    steady_path = HERE / "steady.json"
    if steady_path.is_file():
        st = json.loads(steady_path.read_text())
        g = st["generation"]
        lines += [
            "## Steady state (warm actors): `steady.json`",
            "",
            f"Command: `{st['command']}` (load average {st['load_average_1min_at_start']}). "
            "One Ray worker of 1 CPU with its model loaded: MiniLM embeds "
            f"{st['embedding']['passages_per_s']} passages/s. In-process llama.cpp, handles "
            f"open and warm, {g['requests']} requests ({g['completion_tokens']} new tokens):",
            "",
            "| contender | median s | new tokens/s | rounds (s) |",
            "|---|---:|---:|---|",
        ]
        for name in ("local", "ray_1worker", "ray_2workers"):
            c = g[name]
            rounds = ", ".join(f"{x:.1f}" for x in c["seconds"])
            lines.append(f"| {name} | {c['median_s']} | {c['new_tokens_per_s']} | {rounds} |")
        lines += [
            "",
            f"- local_vs_ray_1worker_ratio (warm): **{g['local_vs_ray_1worker_ratio']}**",
            "- Ray 2 workers vs 1 worker speedup (warm): "
            f"**{round(g['ray_1worker']['median_s'] / g['ray_2workers']['median_s'], 3)}**",
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
