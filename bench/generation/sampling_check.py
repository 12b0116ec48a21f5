"""Which change of the new path moves the parse-keep rate: sampling or shot groups.

The same planned rows as ``speedup.py`` (one mode, N rows, shot groups G), through the new
path twice, back to back: with llama-cpp-python's implicit top_k 40 / min_p 0.05 (the
previous path's sampling) and with the explicit top_k 0 / min_p 0.0 (the paper's nucleus
sampling, today's default); then through the previous commit's path. Each run reports
rows kept, why the others were dropped (``parse_completion``'s reason) and its seconds.
The result goes under ``sampling_check`` in ``results.json``.

    python bench/generation/sampling_check.py [--mode retricl_3] [--n 48] [--groups 8]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import speedup  # noqa: E402  (the plan and inputs of the speedup benchmark, shared)


def run_worker(src: Path, plan: Path, path: str, threads: int, extra: list[str]) -> dict[str, Any]:
    out = plan.with_suffix(f".{path}.{time.monotonic_ns()}.json")
    env = {**os.environ, "PYTHONPATH": str(src), "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, str(HERE / "speedup_worker.py"), str(plan), str(out),
           "--path", path, "--threads", str(threads), *extra]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{path} worker failed:\n{proc.stderr[-2000:]}")
    r = json.loads(out.read_text())
    return {k: r[k] for k in ("requests", "kept", "seconds", "drop_reasons")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="retricl_3", choices=list(speedup.MODES))
    ap.add_argument("--n", type=int, default=48)
    ap.add_argument("--groups", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--base", default="e7030da")
    ap.add_argument("--results", default=str(HERE / "results.json"))
    args = ap.parse_args()
    seeds, docs = speedup.load_inputs()
    out: dict[str, Any] = {
        "command": " ".join(["python", "bench/generation/sampling_check.py", *sys.argv[1:]]),
        "mode": args.mode,
        "groups": args.groups,
        "threads": args.threads,
    }
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        old.mkdir()
        archive = subprocess.run(["git", "archive", args.base, "src"], cwd=speedup.REPO,
                                 capture_output=True, check=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        pa, pb = Path(tmp) / "a.json", Path(tmp) / "b.json"
        pa.write_text(json.dumps(speedup.plan(args.mode, args.n, 1, seeds, docs)))
        pb.write_text(json.dumps(speedup.plan(args.mode, args.n, args.groups, seeds, docs)))
        new_src = speedup.REPO / "src"
        for name, plan, path, extra, src in [
            ("new_implicit_sampling", pb, "new", ["--sampling", "implicit"], new_src),
            ("new_explicit_sampling", pb, "new", ["--sampling", "explicit"], new_src),
            ("previous", pa, "old", [], old / "src"),
        ]:
            extra = [*extra, "--parallel", "1"] if path == "new" else extra
            out[name] = run_worker(src, plan, path, args.threads, extra)
            print(name, out[name], file=sys.stderr, flush=True)
    path = Path(args.results)
    data = json.loads(path.read_text()) if path.exists() else {}
    data["sampling_check"] = out
    path.write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    main()
