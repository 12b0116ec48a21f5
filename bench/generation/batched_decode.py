"""``batched_decode``: time per generated token when S sequences decode in one llama_decode.

The llamacpp backend's parallel context (``llm.llamacpp.parallel: 8``) on the embedded
SmolLM2, one thread: every sequence holds one prompt token, then ``--steps`` lockstep
steps of one token per sequence; S = 1, 2, 4, 8. What ``parallel`` can gain on decoding is
the ratio of the S = 1 time to the S = 8 time per token. Results go under the
``batched_decode`` key of ``results.json``.

    python bench/generation/batched_decode.py [--steps 20] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--results", default=str(HERE / "results.json"))
    args = ap.parse_args()

    import llama_cpp

    from synthesizrr.llm import LLMSettings, get_backend
    from synthesizrr.llm.settings import LlamaCppOptions

    n_ctx = 512
    settings = LLMSettings(
        backend="llamacpp", n_ctx=n_ctx, n_threads=args.threads,
        llamacpp=LlamaCppOptions(parallel=8),
    )  # fmt: skip
    backend = get_backend(settings)
    decoder = backend._parallel(n_ctx)  # type: ignore[attr-defined]
    load_start = os.getloadavg()[0]
    ms_per_token: dict[str, float] = {}
    for n in (1, 2, 4, 8):
        llama_cpp.llama_memory_clear(decoder.mem, True)
        decoder._decode([(100, 0, s, True) for s in range(n)])
        t0 = time.perf_counter()
        for step in range(1, args.steps + 1):
            decoder._decode([(200, step, s, True) for s in range(n)])
        ms_per_token[str(n)] = round((time.perf_counter() - t0) * 1e3 / args.steps / n, 2)
    record = {
        "command": "python bench/generation/batched_decode.py "
        f"--steps {args.steps} --threads {args.threads}",
        "ms_per_token_by_sequences": ms_per_token,
        "one_over_eight": round(ms_per_token["1"] / ms_per_token["8"], 3),
        "machine": {"cpus": os.cpu_count(), "load_avg_start": round(load_start, 2),
                    "load_avg_end": round(os.getloadavg()[0], 2)},
    }  # fmt: skip
    path = Path(args.results)
    data = json.loads(path.read_text()) if path.exists() else {}
    data["batched_decode"] = record
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(json.dumps(record))


if __name__ == "__main__":
    main()
