"""Run the benchmark workload through a third-party framework (inside its own venv).

    <venv>/bin/python bench/generation/thirdparty.py {distilabel|curator} BASE_URL TEXTS_JSON

Prints one JSON line: {"seconds": ..., "n": ..., "version": ..., "how": ...}.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

MAX_TOKENS = 32


def run_distilabel(base_url: str, texts: list[str]) -> dict[str, object]:
    import distilabel

    try:
        from distilabel.models.llms import OpenAILLM
    except ImportError:  # older layout
        from distilabel.llms import OpenAILLM  # type: ignore[no-redef]

    llm = OpenAILLM(model="smollm2", base_url=base_url, api_key="sk-no-key", max_retries=0)
    llm.load()
    inputs = [[{"role": "user", "content": t}] for t in texts]
    t0 = time.perf_counter()
    outs = llm.generate(
        inputs=inputs, num_generations=1, max_new_tokens=MAX_TOKENS, temperature=0.95, top_p=0.9
    )
    dt = time.perf_counter() - t0
    assert len(outs) == len(texts)
    return {"seconds": dt, "n": len(texts), "version": distilabel.__version__,
            "how": "OpenAILLM.generate over all inputs (asyncio.gather inside)"}  # fmt: skip


def run_curator(base_url: str, texts: list[str]) -> dict[str, object]:
    os.environ.setdefault("CURATOR_DISABLE_CACHE", "1")
    os.environ.setdefault("CURATOR_CACHE_DIR", tempfile.mkdtemp())
    os.environ.setdefault("OPENAI_API_KEY", "sk-no-key")
    from importlib.metadata import version

    from bespokelabs import curator

    class Gen(curator.LLM):  # type: ignore[misc,name-defined]
        def prompt(self, row: dict[str, str]) -> str:
            return row["text"]

        def parse(self, row: dict[str, str], response: str) -> dict[str, str]:
            return {"out": response}

    llm = Gen(
        model_name="smollm2",
        backend="openai",
        backend_params={"base_url": base_url, "api_key": "sk-no-key",
                        "max_requests_per_minute": 100000, "max_tokens_per_minute": 10**8},
        generation_params={"max_tokens": MAX_TOKENS, "temperature": 0.95, "top_p": 0.9},
    )  # fmt: skip
    t0 = time.perf_counter()
    out = llm([{"text": t} for t in texts])
    dt = time.perf_counter() - t0
    n = len(out.dataset) if hasattr(out, "dataset") else len(out)
    assert n == len(texts), n
    return {"seconds": dt, "n": n, "version": version("bespokelabs-curator"),
            "how": "curator.LLM subclass, openai backend, cache disabled"}  # fmt: skip


if __name__ == "__main__":
    framework, url, texts_json = sys.argv[1:4]
    fn = {"distilabel": run_distilabel, "curator": run_curator}[framework]
    print(json.dumps(fn(url, json.loads(texts_json))))
