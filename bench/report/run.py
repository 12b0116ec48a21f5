"""Benchmark: how long report.html, the dataset card and a comparison take as runs grow.

    python bench/report/run.py            # writes bench/report/results.json and RESULTS.md

Runs are fake-but-complete run directories (the test helper ``make_fake_run``) with
4 labels and N generations (all scored in the data map) over a corpus of N passages. Each size is timed in one process, best of 3.
"""

from __future__ import annotations

import json
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "tests" / "report"))

import pyarrow.parquet as pq  # noqa: E402
from report_fakes import make_fake_run  # noqa: E402

from synthesizrr import layout  # noqa: E402
from synthesizrr.report import compare_runs, write_dataset_card, write_report  # noqa: E402

SIZES = (1_000, 10_000, 100_000)
COMMAND = "python bench/report/run.py"


def best_of(n: int, fn) -> float:  # noqa: ANN001
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        other = make_fake_run(base, name="other", mode="fewgen")
        for n in SIZES:
            t = time.perf_counter()
            run = make_fake_run(base, name=f"run_{n}", rows_per_label=n // 4, n_passages=n)
            build = time.perf_counter() - t
            report = best_of(
                3, lambda run=run: write_report(run, run / "report.html", compare=[other])
            )
            card = best_of(
                3, lambda run=run: write_dataset_card(run, run / layout.DATASET_DIR / layout.CARD)
            )
            cmp = best_of(3, lambda run=run: compare_runs([run, other]))
            size_kb = (run / layout.REPORT).stat().st_size / 1024
            final = pq.read_metadata(
                layout.stage_file(run, "refine", layout.FINAL_DATASET)
            ).num_rows
            results.append({"generations": n, "final_rows": final, "passages": n,
                            "report_s": round(report, 3), "card_s": round(card, 3),
                            "compare_s": round(cmp, 4), "report_kib": round(size_kb, 1),
                            "fixture_build_s": round(build, 2)})  # fmt: skip
            print(results[-1], flush=True)
    meta = {"python": platform.python_version(), "machine": platform.machine(),
            "cpus": __import__("os").cpu_count(), "command": COMMAND}  # fmt: skip
    (HERE / "results.json").write_text(
        json.dumps({"meta": meta, "results": results}, indent=2) + "\n"
    )
    lines = [
        "# Report benchmark",
        "",
        f"Command: `{COMMAND}` (Python {meta['python']}, {meta['cpus']} CPUs). Fake runs, 4 labels,",
        "best of 3 in one process. The report caps the data map at 3,000 points and reads",
        "only the sampled rows' passages, so its size stays flat as runs grow.",
        "",
        "| Generations | Final rows | Passages | report.html (s) | Size (KiB) | Card (s) | Compare 2 runs (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r['generations']:,} | {r['final_rows']:,} | {r['passages']:,} | "
                     f"{r['report_s']} | {r['report_kib']} | {r['card_s']} | {r['compare_s']} |")  # fmt: skip
    (HERE / "RESULTS.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
