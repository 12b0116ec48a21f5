"""Steady-state throughput of ONE Ray worker of 1 CPU core, model already loaded: the
per-worker rates of the capacity plan (docs/scaling.md). Writes bench/ray/steady.json.

- embedding: an :class:`~synthesizrr.executors.ray_index.EmbedWorker` actor (MiniLM,
  torch) warms up on 16 passages, then embeds N real news passages in one call.
- generation (llamacpp, SmolLM2, 1 thread per engine, handles already open and warm):
  the local handle against a Ray handle of 1 actor (alternating A B B A; the ratio is
  Ray's per-request overhead without actor start-up), then a Ray handle of 2 actors.

    python bench/ray/steady.py [--passages 200] [--requests 8]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import alternate, requests, write_passages  # noqa: E402

TOKENS: list[int] = []


def run_handle_warm(handle: object, reqs: list[object]) -> float:
    """Seconds to answer ``reqs`` through an open handle, with a fresh cache."""
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        out = handle.run(reqs, cache_path=Path(d) / "c.sqlite", settings=None)  # type: ignore[attr-defined]
        dt = time.perf_counter() - t0
    TOKENS.append(sum(o.response.completion_tokens for o in out))
    return dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--passages", type=int, default=200)
    ap.add_argument("--requests", type=int, default=8)
    args = ap.parse_args()
    os.environ["RAY_DISABLE_USAGE_STATS"] = "1"
    import pyarrow.parquet as pq
    import ray

    from synthesizrr.executors import LocalExecutor
    from synthesizrr.executors.ray import RayExecutor, RaySettings
    from synthesizrr.executors.ray_index import EmbedWorker
    from synthesizrr.llm import LLMSettings

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    out: dict[str, object] = {"command": "python bench/ray/steady.py " + " ".join(sys.argv[1:]),
                              "load_average_1min_at_start": round(os.getloadavg()[0], 1)}  # fmt: skip
    try:
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "p.parquet"
            write_passages(args.passages, path)
            texts = pq.read_table(path, columns=["text"]).column(0).to_pylist()
        emb = ray.remote(EmbedWorker).options(num_cpus=1).remote("minilm", "torch", 64)
        ray.get(emb.embed.remote(texts[:16]))
        t0 = time.perf_counter()
        ray.get(emb.embed.remote(texts))
        dt = time.perf_counter() - t0
        out["embedding"] = {"passages": len(texts), "seconds": round(dt, 2),
                            "passages_per_s": round(len(texts) / dt, 2)}  # fmt: skip
        ray.kill(emb)
        llm = LLMSettings(backend="llamacpp", model="smollm2", n_ctx=1024, n_threads=1,
                          concurrency=1)  # fmt: skip
        reqs = requests(args.requests)
        handles = {
            "local": LocalExecutor().open_backend(llm),
            "ray_1worker": RayExecutor(settings=RaySettings(llm_workers=1)).open_backend(llm),
        }
        for h in handles.values():  # warm: models loaded, one request answered
            run_handle_warm(h, requests(1))
        secs = alternate({k: (lambda h=h: run_handle_warm(h, reqs)) for k, h in handles.items()},
                         2)  # fmt: skip
        for h in handles.values():
            h.close()
        handles2 = RayExecutor(settings=RaySettings(llm_workers=2)).open_backend(llm)
        run_handle_warm(handles2, requests(2))
        secs["ray_2workers"] = [run_handle_warm(handles2, reqs) for _ in range(2)]
        handles2.close()
        tokens = TOKENS[-1]  # same seeded requests: the same tokens in every run
        gen: dict[str, object] = {"requests": args.requests, "completion_tokens": tokens}
        for name, ss in secs.items():
            med = statistics.median(ss)
            gen[name] = {"seconds": [round(x, 2) for x in ss], "median_s": round(med, 2),
                         "new_tokens_per_s": round(tokens / med, 1)}  # fmt: skip
        gen["new_tokens_per_s"] = gen["ray_1worker"]["new_tokens_per_s"]  # type: ignore[index]
        ratio = statistics.median(secs["ray_1worker"]) / statistics.median(secs["local"])
        gen["local_vs_ray_1worker_ratio"] = round(ratio, 3)
        out["generation"] = gen
        out["load_average_1min_at_end"] = round(os.getloadavg()[0], 1)
    finally:
        ray.shutdown()
    (HERE / "steady.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
