"""``demo_parallel``: ``llm.llamacpp.parallel`` on the demo's own generate stage.

Each demo method (SynthesizRR RETRICL 2-shot and FewGen 4-shot on the embedded SmolLM2,
the demo's task and data) runs up to its generate stage in a fresh run directory once per
``parallel`` value and round, the values interleaved (the order reversed every other
round: A-B-B-A). Reported per run: the generate stage's seconds from the manifest, the
rows it wrote and a digest of their texts (same digest: the same texts). Results go under
the ``demo_parallel`` key of ``results.json``.

    python bench/generation/demo_parallel.py [--values 1,8] [--rounds 2]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import keyed  # noqa: E402  (shared with the other generation benchmarks)

METHODS = ("synthesizrr", "fewgen")


def one_run(method: str, parallel: int) -> dict[str, Any]:
    from synthesizrr import api
    from synthesizrr.demo import demo_config

    folder = Path(tempfile.mkdtemp(prefix=f"demo_parallel_{method}_{parallel}_"))
    try:
        cfg = demo_config(folder, method, {"generation.llm.llamacpp.parallel": parallel})
        t0 = time.perf_counter()
        run = api.run(cfg, until="generate")
        wall = time.perf_counter() - t0
        texts = run.generations.column("text").to_pylist()
        return {
            "method": method,
            "parallel": parallel,
            "generate_s": run.manifest["stages"]["generate"]["seconds"],
            "wall_s": round(wall, 1),
            "rows": len(texts),
            "texts_sha256": hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16],
            "load_avg": round(os.getloadavg()[0], 2),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for method in dict.fromkeys(r["method"] for r in runs):
        mine = [r for r in runs if r["method"] == method]
        by_value: dict[str, Any] = {}
        for value in dict.fromkeys(r["parallel"] for r in mine):
            xs = [r for r in mine if r["parallel"] == value]
            by_value[str(value)] = {
                "generate_s": [r["generate_s"] for r in xs],
                "mean_generate_s": round(statistics.mean(r["generate_s"] for r in xs), 1),
                "rows": [r["rows"] for r in xs],
                "texts_sha256": [r.get("texts_sha256") for r in xs],
            }
        out[method] = by_value
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--values", default="1,8")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--results", default=str(HERE / "results.json"))
    args = ap.parse_args()
    values = [int(v) for v in args.values.split(",")]
    load_start = os.getloadavg()[0]
    t_start = time.time()
    runs: list[dict[str, Any]] = []
    for r in range(args.rounds):
        order = values if r % 2 == 0 else values[::-1]
        for method in METHODS:
            for value in order:
                runs.append({"round": r, **one_run(method, value)})
                print(json.dumps(runs[-1]), flush=True)
    record = {
        "command": "python bench/generation/demo_parallel.py "
        f"--values {args.values} --rounds {args.rounds}",
        "runs": runs,
        "summary": summarize(runs),
        "machine": keyed.machine(load_start, t_start),
    }  # fmt: skip
    keyed.save(Path(args.results), "demo_parallel", record, write_md)
    print(json.dumps(record["summary"]))


def write_md(record: dict[str, Any]) -> None:
    rows = [
        [method, value, x["generate_s"], x["mean_generate_s"], x["rows"],
         x.get("texts_variant") or x["texts_sha256"]]
        for method, by_value in record["summary"].items()
        for value, x in by_value.items()
    ]  # fmt: skip
    header = ["method", "parallel", "generate seconds per round", "mean", "rows", "texts"]
    lines = [
        "# `llm.llamacpp.parallel` on the demo's generate stage",
        "",
        keyed.command_sentence(record)
        + (" " + record.get("note", "") + "." if record.get("note") else ""),
        "",
        *keyed.table(header, rows),
    ]
    (HERE / "DEMO_PARALLEL.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
