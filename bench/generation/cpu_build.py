"""``cpu_build``: two builds of llama-cpp-python side by side on the embedded teacher.

``scripts/setup.sh`` builds llama.cpp for AVX2 (``-DGGML_NATIVE=OFF``). Many x86 servers
also offer AVX-512 (and VNNI, BF16); this asks whether a build that uses them is worth
making the default: prompt evaluation and decode speed, and whether the greedy text stays
the same (a different build of the kernels may round differently, and then the teacher
writes other texts than the cached runs and the committed results).

Each build is a Python interpreter with its own llama-cpp-python (``--python`` twice: the
first is the reference). Make the AVX-512 one in a scratch virtual environment, e.g.::

    python -m venv /tmp/v512 && /tmp/v512/bin/pip install numpy diskcache jinja2 typing-extensions
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_VBMI=ON \\
      -DGGML_AVX512_BF16=ON -DGGML_AVX_VNNI=ON" /tmp/v512/bin/pip install --no-deps --no-cache-dir \\
      llama-cpp-python==<the version in .venv>

Every round runs one child per build (order reversed every other round); a child loads
SmolLM2, evaluates a 600-token prompt from an empty cache three times, decodes 48 greedy
tokens after each, and times 64 sampled tokens (temperature 0.95, top-p 0.9) with top-k 0
(the paper's sampling: the whole vocabulary is sorted) and top-k 40. Results go under the
``cpu_build`` key of ``results.json`` and into ``CPU_BUILD.md``.

    python bench/generation/cpu_build.py --python .venv/bin/python --python /tmp/v512/bin/python [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import keyed  # noqa: E402  (shared with the other generation benchmarks)
from cpu_settings import rounds_of, tokens_equal  # noqa: E402

REPO = HERE.parent.parent

# The child runs under the other build's interpreter, which has llama_cpp and nothing of
# this repository installed: it imports cpu_settings (standard library only) by path.
CHILD = r"""
import json, sys, time
import llama_cpp
sys.path.insert(0, sys.argv[3])
from cpu_settings import time_model
model, text_path = sys.argv[1], sys.argv[2]
llm = llama_cpp.Llama(model_path=model, n_ctx=2048, n_threads=2, n_threads_batch=2,
                      verbose=False, seed=1)
tokens = llm.tokenize(open(text_path).read().encode())[:600]
out = {"system_info": llama_cpp.llama_print_system_info().decode().strip(),
       "prompt_tok_s": [], "decode_tok_s": []}
for _ in range(3):
    pp, tg, greedy = time_model(llm, tokens)
    out["prompt_tok_s"].append(pp)
    out["decode_tok_s"].append(tg)
out["greedy"] = greedy
for k in (0, 40):
    t0 = time.perf_counter()
    got = llm.create_completion("Write a news article about sports.", max_tokens=64,
                                temperature=0.95, top_p=0.9, top_k=k, min_p=0.0, seed=3)
    n = max(got["usage"]["completion_tokens"], 1)
    out[f"sampled_ms_per_token_top_k_{k}"] = 1000 * (time.perf_counter() - t0) / n
print(json.dumps(out))
"""


def run_child(python: str, model: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [python, "-c", CHILD, str(model), str(REPO / "README.md"), str(HERE)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"{python}: the child exited {proc.returncode}: {proc.stderr[-400:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", action="append", required=True, help="an interpreter (twice)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--results", default=str(HERE / "results.json"))
    args = ap.parse_args()
    if len(args.python) < 2:
        raise SystemExit("--python: give two interpreters, the reference build first")

    from synthesizrr.models import DEFAULT_LLM, resolve_llm_path

    model = resolve_llm_path(DEFAULT_LLM)
    load_start = os.getloadavg()[0]
    t_start = time.time()
    got: dict[str, list[dict[str, Any]]] = {p: [] for p in args.python}
    for order in rounds_of(args.python, args.rounds):
        for python in order:
            res = run_child(python, model)
            got[python].append(res)
            print(python, [round(x) for x in res["prompt_tok_s"]], flush=True)

    ref = got[args.python[0]][-1]["greedy"]
    builds = {}
    for python, results in got.items():
        pp = [x for res in results for x in res["prompt_tok_s"]]
        tg = [x for res in results for x in res["decode_tok_s"]]
        builds[python] = {
            "system_info": results[0]["system_info"],
            "prompt_tok_s": round(statistics.median(pp), 1),
            "decode_tok_s": round(statistics.median(tg), 1),
            "greedy_tokens_same_as_reference": tokens_equal(ref, results[-1]["greedy"]),
            "sampled_ms_per_token_top_k_0": round(
                statistics.median(r["sampled_ms_per_token_top_k_0"] for r in results), 2),
            "sampled_ms_per_token_top_k_40": round(
                statistics.median(r["sampled_ms_per_token_top_k_40"] for r in results), 2),
            "rounds": {"prompt": [round(x, 1) for x in pp], "decode": [round(x, 1) for x in tg]},
        }  # fmt: skip
    record = {
        "command": "python bench/generation/cpu_build.py "
        + " ".join(f"--python {p}" for p in args.python)
        + f" --rounds {args.rounds}",
        "model": model.name,
        "builds": builds,
        "machine": keyed.machine(load_start, t_start),
    }
    keyed.save(Path(args.results), "cpu_build", record, write_md)
    print(json.dumps(builds, indent=1))


def write_md(record: dict[str, Any]) -> None:
    def flags(info: str) -> str:
        on = [f.split("=")[0].strip() for f in info.split("|") if f.strip().endswith("1")]
        return " ".join(on).replace("CPU : ", "")

    rows = [
        [flags(v["system_info"]), v["prompt_tok_s"], v["decode_tok_s"],
         v["greedy_tokens_same_as_reference"], v["sampled_ms_per_token_top_k_0"],
         v["sampled_ms_per_token_top_k_40"]]
        for v in record["builds"].values()
    ]  # fmt: skip
    header = ["build (llama.cpp system info)", "prompt tok/s", "decode tok/s",
              "greedy tokens equal to the first build's (of 48)",
              "ms per sampled token, top-k 0", "top-k 40"]  # fmt: skip
    lines = [
        "# Two builds of llama-cpp-python on the embedded teacher",
        "",
        keyed.command_sentence(record) + f" {record['model']}, 2 threads; a 600-token prompt "
        "from an empty cache, then 48 greedy tokens, three times per child; medians over all "
        "rounds (tokens/s).",
        "",
        *keyed.table(header, rows),
    ]
    (HERE / "CPU_BUILD.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
