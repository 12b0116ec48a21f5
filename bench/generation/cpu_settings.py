"""``cpu_settings``: llama.cpp threads and weight formats for the embedded teacher on a CPU.

Two questions a user of a small shared machine asks, answered side by side in one run:

1. **Threads** (``llm.n_threads``): prompt evaluation and decoding speed of SmolLM2 with 1
   thread and with every core, on the idle machine and with one CPU-bound process beside it
   (what a shared machine or a second job looks like). llama.cpp's OpenMP threads spin on
   their barriers, so when the cores are oversubscribed all-cores can fall below one.
2. **Weight formats**: the shipped Q4_1 file against the same weights requantized by
   llama.cpp's own ``llama_model_quantize`` (Q8_0, Q4_0; Q4_0 gets llama.cpp's AVX2
   repacked kernels). Only speed is measured here, plus whether the greedy continuation of
   one prompt stays the same: a requantized teacher writes other texts.

Each measurement is a 600-token prompt evaluated from an empty cache, then 48 greedy tokens;
settings are interleaved over ``--rounds`` rounds (the order reversed every other round) and
the median of the rounds is reported. Results go under the ``cpu_settings`` key of
``results.json`` and into ``CPU_SETTINGS.md``.

    python bench/generation/cpu_settings.py [--rounds 3] [--formats Q8_0,Q4_0]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import keyed  # noqa: E402  (shared with the other generation benchmarks)

REPO = HERE.parent.parent

#: llama.cpp's ``llama_ftype`` codes of the formats this benchmark can requantize to.
FTYPES = {"Q4_0": 2, "Q8_0": 7}
PROMPT_TOKENS = 600
DECODE_TOKENS = 48


def time_model(llm: Any, tokens: list[int]) -> tuple[float, float, list[int]]:
    """(prompt tok/s, decode tok/s, greedy tokens) of one prompt from an empty cache."""
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(tokens)
    pp = len(tokens) / (time.perf_counter() - t0)
    out: list[int] = []
    t0 = time.perf_counter()
    for _ in range(DECODE_TOKENS):
        tok = llm.sample(temp=0.0)
        out.append(tok)
        llm.eval([tok])
    tg = DECODE_TOKENS / (time.perf_counter() - t0)
    return pp, tg, out


def requantize(src: Path, fmt: str, folder: Path) -> Path:
    import llama_cpp

    dst = folder / f"{src.stem}.{fmt}.gguf"
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = FTYPES[fmt]
    params.allow_requantize = True
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(params))
    if rc != 0:
        raise SystemExit(f"llama_model_quantize to {fmt} returned {rc}")
    return dst


def tokens_equal(base: list[int], out: list[int]) -> int:
    """How many leading tokens of ``out`` equal ``base``'s."""
    same = next((i for i, (a, b) in enumerate(zip(base, out, strict=True)) if a != b), None)
    return len(base) if same is None else same


def rounds_of(settings: list[str], rounds: int) -> list[list[str]]:
    return [settings if r % 2 == 0 else settings[::-1] for r in range(rounds)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--formats", default="Q8_0,Q4_0", help="requantized formats to compare")
    ap.add_argument("--results", default=str(HERE / "results.json"))
    args = ap.parse_args()

    from llama_cpp import Llama

    from synthesizrr.models import DEFAULT_LLM, resolve_llm_path

    src = resolve_llm_path(DEFAULT_LLM)
    cores = os.cpu_count() or 1
    text = (REPO / "README.md").read_text()
    load_start = os.getloadavg()[0]
    t_start = time.time()

    def load(path: Path, threads: int) -> Any:
        return Llama(
            model_path=str(path), n_ctx=2048, n_threads=threads, n_threads_batch=threads,
            verbose=False,
        )  # fmt: skip

    # 1. threads, idle and beside one busy process
    thread_models = {f"{n} thread(s)": load(src, n) for n in sorted({1, cores})}
    tokens = thread_models[next(iter(thread_models))].tokenize(text.encode())[:PROMPT_TOKENS]
    threads: dict[str, dict[str, dict[str, list[float]]]] = {}
    for condition in ("idle", "one busy process beside it"):
        busy = None
        if condition != "idle":
            busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            got = threads.setdefault(condition, {})
            for order in rounds_of(list(thread_models), args.rounds):
                for name in order:
                    pp, tg, _ = time_model(thread_models[name], tokens)
                    got.setdefault(name, {"prompt": [], "decode": []})
                    got[name]["prompt"].append(round(pp, 1))
                    got[name]["decode"].append(round(tg, 1))
                    print(condition, name, round(pp, 1), round(tg, 1), flush=True)
        finally:
            if busy is not None:
                busy.kill()
                busy.wait()
    del thread_models

    # 2. weight formats, all cores, idle
    formats: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {"Q4_1 (shipped)": src}
        for fmt in filter(None, args.formats.split(",")):
            paths[fmt] = requantize(src, fmt, Path(tmp))
        models = {name: load(p, cores) for name, p in paths.items()}
        greedy: dict[str, list[int]] = {}
        for order in rounds_of(list(models), args.rounds):
            for name in order:
                pp, tg, out = time_model(models[name], tokens)
                entry = formats.setdefault(
                    name, {"prompt": [], "decode": [], "bytes": paths[name].stat().st_size}
                )
                entry["prompt"].append(round(pp, 1))
                entry["decode"].append(round(tg, 1))
                greedy[name] = out
                print(name, round(pp, 1), round(tg, 1), flush=True)
        base = greedy["Q4_1 (shipped)"]
        for name, out in greedy.items():
            formats[name]["greedy_tokens_same_as_shipped"] = tokens_equal(base, out)
        del models

    def med(xs: list[float]) -> float:
        return round(statistics.median(xs), 1)

    record = {
        "command": f"python bench/generation/cpu_settings.py --rounds {args.rounds} "
        f"--formats {args.formats}",
        "workload": {"model": src.name, "prompt_tokens": len(tokens),
                     "decode_tokens": DECODE_TOKENS, "rounds": args.rounds},
        "threads": {c: {n: {"prompt_tok_s": med(v["prompt"]), "decode_tok_s": med(v["decode"]),
                            "rounds": v} for n, v in got.items()}
                    for c, got in threads.items()},
        "formats": {n: {"prompt_tok_s": med(v["prompt"]), "decode_tok_s": med(v["decode"]),
                        "bytes": v["bytes"],
                        "greedy_tokens_same_as_shipped": v["greedy_tokens_same_as_shipped"],
                        "rounds": {"prompt": v["prompt"], "decode": v["decode"]}}
                    for n, v in formats.items()},
        "machine": keyed.machine(load_start, t_start),
    }  # fmt: skip
    keyed.save(Path(args.results), "cpu_settings", record, write_md)
    print(json.dumps(record["threads"]), json.dumps(record["formats"]))


def write_md(record: dict[str, Any]) -> None:
    w = record["workload"]
    lines = [
        "# CPU settings of the embedded teacher: threads and weight formats",
        "",
        keyed.command_sentence(record) + f" {w['model']}, a {w['prompt_tokens']}-token prompt "
        f"from an empty cache, then {w['decode_tokens']} greedy tokens; settings interleaved over {w['rounds']} rounds; medians (tokens/s), "
        "the rounds in `results.json` (`cpu_settings`).",
        "",
        "## Threads (`llm.n_threads`)",
        "",
        "| machine | threads | prompt tok/s | decode tok/s |",
        "|---|---|---|---|",
    ]
    for cond, got in record["threads"].items():
        for name, v in got.items():
            lines.append(f"| {cond} | {name} | {v['prompt_tok_s']} | {v['decode_tok_s']} |")
    lines += [
        "",
        "## Weight formats (all cores, idle)",
        "",
        "| format | MB | prompt tok/s | decode tok/s | greedy tokens equal to Q4_1's |",
        "|---|---|---|---|---|",
    ]
    for name, v in record["formats"].items():
        lines.append(
            f"| {name} | {v['bytes'] / 1e6:.0f} | {v['prompt_tok_s']} | {v['decode_tok_s']} | "
            f"{v['greedy_tokens_same_as_shipped']} of {w['decode_tokens']} |"
        )
    (HERE / "CPU_SETTINGS.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
