"""Speed and a first look: both embedded chat teachers on the same 6 AG News articles.

Greedy decoding (temperature 0), at most 60 new tokens, one llama.cpp thread, the
ag_news preset's instruction for each article's own label. Writes ``speed.json``.

    cd <repo> && PATH=/work/main/.venv/bin:$PATH PYTHONPATH=src nice -n 5 \\
        python bench/teacher/speed.py
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1].parent / "shared" / "data" / "ag_news" / "test.csv"


def main() -> None:
    from synthesizrr.llm import LLMRequest, LLMSettings, Message, get_backend
    from synthesizrr.prompts import TaskSettings

    task = TaskSettings(preset="ag_news")
    with DATA.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:6]
    out = {}
    for model in ("smollm2", "qwen2.5-coder-0.5b"):
        backend = get_backend(LLMSettings(model=model, n_ctx=1024, n_threads=1))
        start, tokens, texts = time.perf_counter(), 0, []
        for r in rows:
            msg = f"{task.document_header}\n{r['text']}\n\n{task.instruction_for(r['label'])}"
            req = LLMRequest(
                messages=(Message(role="user", content=msg),), max_tokens=60, temperature=0.0
            )
            resp = backend.generate(req)
            tokens += resp.completion_tokens
            texts.append(resp.text.strip())
        seconds = time.perf_counter() - start
        out[model] = {
            "seconds": round(seconds, 1),
            "completion_tokens": tokens,
            "tokens_per_s": round(tokens / seconds, 1),
            "texts": texts,
        }
        print(json.dumps({model: out[model]}), flush=True)
    (HERE / "speed.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
