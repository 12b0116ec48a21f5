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
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import speedup  # noqa: E402  (the plan and inputs of the speedup benchmark, shared)


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
        old_src = speedup.extract_src(args.base, Path(tmp) / "old")
        pa, pb = Path(tmp) / "a.json", Path(tmp) / "b.json"
        pa.write_text(json.dumps(speedup.plan(args.mode, args.n, 1, seeds, docs)))
        pb.write_text(json.dumps(speedup.plan(args.mode, args.n, args.groups, seeds, docs)))
        new_src = speedup.REPO / "src"
        for name, src, plan, path, sampling in [
            ("new_implicit_sampling", new_src, pb, "new", ("--sampling", "implicit")),
            ("new_explicit_sampling", new_src, pb, "new", ("--sampling", "explicit")),
            ("previous", old_src, pa, "old", ()),
        ]:
            r = speedup.measure(src, plan, path, args.threads, parallel=1, extra=sampling)
            out[name] = {k: r[k] for k in ("requests", "kept", "seconds", "drop_reasons")}
            print(name, out[name], file=sys.stderr, flush=True)
    path = Path(args.results)
    data = json.loads(path.read_text()) if path.exists() else {}
    data["sampling_check"] = out
    if "embedded_speedup_detail" in data:  # rewrites results.json and RESULTS.md's section
        speedup.write_record(path, data, data["embedded_speedup_detail"])
    else:
        path.write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    main()
