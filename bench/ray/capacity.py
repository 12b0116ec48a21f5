"""The capacity plan of docs/scaling.md, computed from bench/ray/steady.json.

Measured per-worker throughputs come from steady.json (``bench/ray/steady.py``); GPU speeds, tokens per example,
prices and the scaling efficiency are ASSUMPTIONS, listed in ``ASSUMPTIONS`` below and
printed with the table. Run: ``python bench/ray/capacity.py`` (prints Markdown).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DOCS = 32_000_000
EXAMPLES = 100_000
WORKERS = (1, 8, 32, 80)

#: Everything below is assumed, not measured here.
ASSUMPTIONS: dict[str, Any] = {
    "efficiency": 0.9,  # throughput of N workers = N x one worker x this
    "cpu_core_hour_usd": 0.0425,  # AWS c6i on-demand, per vCPU
    "a10g_hour_usd": 1.006,  # AWS g5.xlarge on-demand (1x A10G 24 GB)
    "a100_hour_usd": 4.10,  # AWS p4d.24xlarge on-demand / 8 GPUs
    "minilm_a10g_passages_s": 8000,  # MiniLM-L6, fp16, batch 256, <=128 tokens
    "contriever_a10g_passages_s": 1500,  # BERT-base (Contriever), fp16, batch 256
    "new_tokens_per_example": 100,  # a 1-2 sentence summary plus end of turn
    "prompt_tokens_per_example": 1000,  # RETRICL: 3 shots + document + instruction
    "llama13b_a100_new_tokens_s": 1500,  # vLLM, one replica, 128+ requests in flight
    "llama13b_a100_prefill_tokens_s": 10000,  # vLLM prompt processing, one replica
}


def hours(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


def rows(label: str, rate_per_worker: float, units: float, price_h: float) -> list[str]:
    out = []
    eff = ASSUMPTIONS["efficiency"]
    for n in WORKERS:
        secs = units / (rate_per_worker * (n if n == 1 else n * eff))
        out.append(f"| {label} | {n} | {hours(secs)} | ${secs / 3600 * n * price_h:,.0f} |")
    return out


def main() -> None:
    steady = json.loads((HERE / "steady.json").read_text())
    a = ASSUMPTIONS
    emb = steady["embedding"]["passages_per_s"]
    gen = steady["generation"]["new_tokens_per_s"]
    new_tokens = EXAMPLES * a["new_tokens_per_example"]
    a100_s_per_example = a["new_tokens_per_example"] / a["llama13b_a100_new_tokens_s"] + (
        a["prompt_tokens_per_example"] / a["llama13b_a100_prefill_tokens_s"]
    )
    lines = [
        f"Measured here (bench/ray/steady.py: one Ray worker of 1 CPU core, model loaded, on "
        f"the shared 2-core machine at load {steady['load_average_1min_at_start']}): MiniLM "
        f"embedding **{emb} passages/s**; SmolLM2-135M (llama.cpp, 1 thread) "
        f"**{gen} new tokens/s**.",
        "",
        "| work | workers | time | cost |",
        "|---|---:|---:|---:|",
    ]
    lines += rows("embed 32M docs, MiniLM, CPU cores (measured rate)", emb, DOCS,
                  a["cpu_core_hour_usd"])  # fmt: skip
    lines += rows("embed 32M docs, MiniLM, A10G (assumed rate)", a["minilm_a10g_passages_s"],
                  DOCS, a["a10g_hour_usd"])  # fmt: skip
    lines += rows("embed 32M docs, Contriever, A10G (assumed rate)",
                  a["contriever_a10g_passages_s"], DOCS, a["a10g_hour_usd"])  # fmt: skip
    lines += rows("100k examples, SmolLM2, CPU cores (measured rate)", gen, new_tokens,
                  a["cpu_core_hour_usd"])  # fmt: skip
    lines += rows("100k examples, Llama-2-13B, A100 + vLLM (assumed rate)",
                  1 / a100_s_per_example, EXAMPLES, a["a100_hour_usd"])  # fmt: skip
    lines += ["", "Assumptions (not measured here):", ""]
    lines += [f"- `{k}` = {v}" for k, v in a.items()]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
