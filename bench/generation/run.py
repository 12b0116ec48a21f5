"""Generation throughput: the engine against bare loops, measured side by side.

1. OpenAI-compatible: ``python -m llama_cpp.server`` with the bundled SmolLM2 on loopback.
   Examples/s of ``run_requests`` (openai backend, fresh cache per measurement) against a
   bare asyncio loop of the ``openai`` client with a semaphore, at concurrency 1, 4, 8.
2. In-process: the ``llamacpp`` backend through ``run_requests`` against a bare
   llama-cpp-python loop on the same ``Llama`` object, in new tokens/s.
3. Third-party frameworks (distilabel, curator) where a throwaway venv has them: the same
   requests through them against the bare loop in the same run.

Requests are identical across contenders (same prompts, temperature 0.95, top-p 0.9,
max_tokens 32, same per-request seeds, so the same tokens are generated). Measurements
alternate A-B-B-A to cancel drift on a shared machine.

    python bench/generation/run.py [--n 24] [--rounds 2]
        [--distilabel-python /tmp/h2_distilabel/bin/python]
        [--curator-python /tmp/h2_curator/bin/python]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MAX_TOKENS = 32
TOPICS = ["football", "rain", "a museum", "bread", "a bridge", "jazz", "a comet", "tea"]


def prompts(n: int) -> list[str]:
    return [f"Write one sentence about {TOPICS[i % len(TOPICS)]} (#{i})." for i in range(n)]


def engine_openai(base_url: str, texts: list[str], conc: int) -> tuple[float, int]:
    from synthesizrr.generation.engine import run_requests
    from synthesizrr.llm import LLMRequest, LLMSettings, Message, get_backend

    backend = get_backend(
        LLMSettings(backend="openai", model="smollm2", base_url=base_url, concurrency=conc)
    )
    reqs = [
        LLMRequest(messages=(Message(role="user", content=t),), max_tokens=MAX_TOKENS, seed=i)
        for i, t in enumerate(texts)
    ]
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        out = run_requests(backend, reqs, cache_path=Path(d) / "cache.sqlite")
        dt = time.perf_counter() - t0
    backend.close()
    assert all(o.response is not None for o in out), [o.error for o in out]
    return dt, sum(o.response.completion_tokens for o in out if o.response)


def bare_openai(base_url: str, texts: list[str], conc: int) -> tuple[float, int]:
    import openai

    async def main() -> tuple[float, int]:
        client = openai.AsyncOpenAI(base_url=base_url, api_key="sk-no-key", max_retries=0)
        sem = asyncio.Semaphore(conc)

        async def one(i: int, t: str) -> int:
            async with sem:
                r = await client.chat.completions.create(
                    model="smollm2", messages=[{"role": "user", "content": t}],
                    max_tokens=MAX_TOKENS, temperature=0.95, top_p=0.9, seed=i,
                )  # fmt: skip
                return int(r.usage.completion_tokens)

        t0 = time.perf_counter()
        toks = await asyncio.gather(*(one(i, t) for i, t in enumerate(texts)))
        dt = time.perf_counter() - t0
        await client.close()
        return dt, sum(toks)

    return asyncio.run(main())


def third_party(python: str, framework: str, base_url: str, texts: list[str]) -> dict[str, Any]:
    cmd = [python, str(HERE / "thirdparty.py"), framework, base_url, json.dumps(texts)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    if out.returncode != 0:
        return {"error": (out.stderr or out.stdout).strip().splitlines()[-1][:300]}
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def abba(a: Any, b: Any, rounds: int) -> tuple[list[tuple[float, int]], list[tuple[float, int]]]:
    ra: list[tuple[float, int]] = []
    rb: list[tuple[float, int]] = []
    for r in range(rounds):
        if r % 2 == 0:
            ra.append(a())
            rb.append(b())
        else:
            rb.append(b())
            ra.append(a())
    return ra, rb


def embedded(texts: list[str], rounds: int, threads: int) -> dict[str, Any]:
    from synthesizrr.generation.engine import run_requests
    from synthesizrr.llm import LLMRequest, LLMSettings, Message, get_backend

    backend = get_backend(
        LLMSettings(backend="llamacpp", model="smollm2", n_ctx=1024, n_threads=threads)
    )
    llm = backend._llm  # type: ignore[attr-defined]  # the very same Llama for the bare loop
    reqs = [
        LLMRequest(messages=(Message(role="user", content=t),), max_tokens=MAX_TOKENS, seed=i)
        for i, t in enumerate(texts)
    ]

    def eng() -> tuple[float, int]:
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            out = run_requests(backend, reqs, cache_path=Path(d) / "cache.sqlite")
            dt = time.perf_counter() - t0
        return dt, sum(o.response.completion_tokens for o in out if o.response)

    def bare() -> tuple[float, int]:
        t0 = time.perf_counter()
        toks = 0
        for i, t in enumerate(texts):
            r = llm.create_chat_completion(
                messages=[{"role": "user", "content": t}], max_tokens=MAX_TOKENS,
                temperature=0.95, top_p=0.9, seed=i,
            )  # fmt: skip
            toks += r["usage"]["completion_tokens"]
        return time.perf_counter() - t0, toks

    eng(), bare()  # warm-up
    re_, rb = abba(eng, bare, rounds)
    e_tps = sum(t for _, t in re_) / sum(d for d, _ in re_)
    b_tps = sum(t for _, t in rb) / sum(d for d, _ in rb)
    return {
        "engine_tokens_per_s": round(e_tps, 2),
        "bare_tokens_per_s": round(b_tps, 2),
        "ratio": round(e_tps / b_tps, 3),
        "tokens_per_run": re_[0][1],
        "bare_tokens_per_run": rb[0][1],
    }


def overhead(n: int = 2000) -> dict[str, Any]:
    """The engine's own cost per request (hashing, cache lookup, ledger commit, budget
    checks), measured with a zero-latency FakeLLM: deterministic, unlike the loaded server."""
    from synthesizrr.generation.engine import run_requests
    from synthesizrr.llm import LLMRequest, Message
    from synthesizrr.testing import FakeLLM

    reqs = [
        LLMRequest(messages=(Message(role="user", content=t),), max_tokens=MAX_TOKENS, seed=i)
        for i, t in enumerate(prompts(n))
    ]
    fake = FakeLLM(lambda r: "A fixed answer of a few words.", concurrency=8)
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        run_requests(fake, reqs, cache_path=Path(d) / "c.sqlite")
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        run_requests(fake, reqs, cache_path=Path(d) / "c.sqlite")
        warm = time.perf_counter() - t0
    return {"requests": n, "ms_per_request_sent": round(1000 * cold / n, 3),
            "ms_per_request_cached": round(1000 * warm / n, 3)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=24, help="requests per measurement")
    ap.add_argument("--rounds", type=int, default=2, help="A-B-B-A rounds per setting")
    ap.add_argument("--threads", type=int, default=1, help="llama.cpp threads (server, in-process)")
    ap.add_argument("--distilabel-python", default="/tmp/h2_distilabel/bin/python")
    ap.add_argument("--curator-python", default="/tmp/h2_curator/bin/python")
    args = ap.parse_args()

    from synthesizrr.models import resolve_llm_path

    gguf = resolve_llm_path("smollm2")
    threads = args.threads
    texts = prompts(args.n)
    t_start = time.time()
    results: dict[str, Any] = {
        "workload": {"requests": args.n, "max_tokens": MAX_TOKENS, "temperature": 0.95,
                     "top_p": 0.9, "model": gguf.name, "rounds": args.rounds},
        "machine": {"cpus": os.cpu_count(), "llama_threads": threads, "python": platform.python_version(),
                    "load_avg_start": os.getloadavg()[0]},
    }  # fmt: skip

    results["engine_overhead"] = overhead()
    print(f"overhead: {results['engine_overhead']}", file=sys.stderr)
    from synthesizrr.testing import llama_server

    server = contextlib.ExitStack()
    base_url = server.enter_context(llama_server(gguf, threads=threads))
    try:
        bare_openai(base_url, texts[:4], 4)  # warm-up
        engine_openai(base_url, texts[:4], 4)
        evb: dict[str, Any] = {}
        for conc in (1, 4, 8):
            re_, rb = abba(
                lambda c=conc: engine_openai(base_url, texts, c),
                lambda c=conc: bare_openai(base_url, texts, c),
                args.rounds,
            )
            e = args.n * len(re_) / sum(d for d, _ in re_)
            b = args.n * len(rb) / sum(d for d, _ in rb)
            pairs = sorted(db / de for (de, _), (db, _) in zip(re_, rb, strict=True))
            evb[str(conc)] = {"engine_examples_per_s": round(e, 3),
                              "bare_examples_per_s": round(b, 3), "ratio": round(e / b, 3),
                              "pair_ratios_min_median_max": [round(pairs[0], 3),
                                                             round(statistics.median(pairs), 3),
                                                             round(pairs[-1], 3)],
                              "tokens_engine_vs_bare": [re_[0][1], rb[0][1]]}  # fmt: skip
            print(f"concurrency {conc}: {evb[str(conc)]}", file=sys.stderr)
        results["engine_vs_bare"] = evb

        frameworks: dict[str, Any] = {}
        for name, py in (("distilabel", args.distilabel_python), ("curator", args.curator_python)):
            log = Path(f"/tmp/h2_{name}.log")
            if not Path(py).exists():
                frameworks[name] = {"status": "not installed", "why": "no throwaway venv at " + py}
                continue
            tp = third_party(py, name, base_url, texts)
            if "error" in tp:
                why = tp["error"]
                if log.exists() and "rc=0" not in log.read_text():
                    why += " | install log: " + log.read_text()[-300:]
                frameworks[name] = {"status": "failed", "why": why}
                continue
            bd, _ = bare_openai(base_url, texts, 8)
            tp2 = third_party(py, name, base_url, texts)
            bd2, _ = bare_openai(base_url, texts, 8)
            if "error" in tp2:
                tp2 = tp
            f_eps = 2 * args.n / (tp["seconds"] + tp2["seconds"])
            b_eps = 2 * args.n / (bd + bd2)
            frameworks[name] = {"status": "ok", "version": tp.get("version"),
                                "how": tp.get("how"),
                                "examples_per_s": round(f_eps, 3),
                                "bare_examples_per_s": round(b_eps, 3),
                                "ratio_to_bare": round(f_eps / b_eps, 3),
                                "engine_c8_ratio_to_framework": round(
                                    evb["8"]["engine_examples_per_s"] / f_eps, 3)}  # fmt: skip
            print(f"{name}: {frameworks[name]}", file=sys.stderr)
        results["frameworks"] = frameworks
    finally:
        server.close()

    results["embedded_vs_bare"] = embedded(texts[:16], args.rounds, threads)
    print(f"embedded: {results['embedded_vs_bare']}", file=sys.stderr)
    results["machine"]["load_avg_end"] = os.getloadavg()[0]
    results["wall_s"] = round(time.time() - t_start, 1)
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    write_md(results, " ".join(["python", "bench/generation/run.py", *sys.argv[1:]]))


def write_md(r: dict[str, Any], command: str) -> None:
    w = r["workload"]
    o = r["engine_overhead"]
    per_req_ms = 1000 / r["engine_vs_bare"]["1"]["bare_examples_per_s"]
    ceiling = per_req_ms / (per_req_ms + o["ms_per_request_sent"])
    lines = [
        "# Generation benchmark",
        "",
        f"Command: `{command}` (from the repository root, venv active). Wall time "
        f"{r['wall_s']} s on {r['machine']['cpus']} CPUs (load average "
        f"{r['machine']['load_avg_start']:.1f} at start, {r['machine']['load_avg_end']:.1f} at end: "
        "absolute numbers on these shared machines are noisy; ratios are measured side "
        "by side, A-B-B-A).",
        "",
        f"Workload: {w['requests']} chat requests to {w['model']}, max_tokens {w['max_tokens']}, "
        f"temperature {w['temperature']}, top-p {w['top_p']}, per-request seeds identical for "
        f"every contender; {w['rounds']} rounds each; fresh request cache per engine run.",
        "",
        "## Engine (openai backend) vs a bare asyncio `openai` loop, llama.cpp server on loopback",
        "",
        "| concurrency | engine ex/s | bare ex/s | ratio |",
        "|---|---|---|---|",
    ]
    for c, v in r["engine_vs_bare"].items():
        lines.append(
            f"| {c} | {v['engine_examples_per_s']} | {v['bare_examples_per_s']} | {v['ratio']} |"
        )
    lines += [
        "",
        "Per-pair ratios (bare time / engine time of one A-B pair) as min / median / max "
        "show the machine's noise: "
        + "; ".join(
            f"c{c}: {v['pair_ratios_min_median_max']}" for c, v in r["engine_vs_bare"].items()
        ),
        "",
        f"Engine overhead with a zero-latency FakeLLM ({o['requests']} requests): "
        f"{o['ms_per_request_sent']} ms per request sent (hash, ledger commit, budget checks), "
        f"{o['ms_per_request_cached']} ms per request answered from the cache. Against "
        f"{per_req_ms:.0f} ms per 32-token request here (concurrency 1), the engine's "
        f"ceiling is a ratio of {ceiling:.4f}; measured ratios below it are noise of the "
        "machine.",
    ]
    e = r["embedded_vs_bare"]
    lines += [
        "",
        "## In-process llamacpp backend vs a bare llama-cpp-python loop (same `Llama`)",
        "",
        "| engine tok/s | bare tok/s | ratio |",
        "|---|---|---|",
        f"| {e['engine_tokens_per_s']} | {e['bare_tokens_per_s']} | {e['ratio']} |",
        "",
        "## Third-party frameworks (same requests, same server, throwaway venvs)",
        "",
    ]
    for name, v in r["frameworks"].items():
        if v["status"] == "ok":
            lines.append(
                f"- {name} {v['version']} ({v['how']}): {v['examples_per_s']} ex/s, bare loop "
                f"{v['bare_examples_per_s']} ex/s in the same run: ratio {v['ratio_to_bare']}; "
                f"our engine at concurrency 8 / {name}: {v['engine_c8_ratio_to_framework']}"
            )
        else:
            lines.append(f"- {name}: {v['status']}: {v['why']}")
    lines += [
        "",
        "Note: llama.cpp's server runs one request at a time (one slot), so concurrency "
        "does not raise throughput here; the ratios measure the engine's overhead (cache, "
        "ledger commit per response, budget checks) against the bare client.",
        "",
    ]
    (HERE / "RESULTS.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
