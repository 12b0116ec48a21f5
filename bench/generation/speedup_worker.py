"""One measurement of ``speedup.py``: a plan of prompts through one code path.

Run with the ``src`` of the path under test first on ``PYTHONPATH`` (this commit's, or the
previous commit's from ``git archive``); it uses only what both have: ``render``,
``LLMRequest``, the ``llamacpp`` backend, ``run_requests`` and ``parse_completion``.

    python speedup_worker.py PLAN.json OUT.json --path new|old [--fresh] [--parallel P]
        --threads 1 --n-ctx 4096
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any


def unique_prefix_tokens(prompts: list[list[int]]) -> int:
    """Nodes of the token trie of ``prompts``: each distinct prefix token counted once."""
    root: dict[int, Any] = {}
    nodes = 0
    for tokens in prompts:
        node = root
        for t in tokens:
            nxt = node.get(t)
            if nxt is None:
                nxt = node[t] = {}
                nodes += 1
            node = nxt
    return nodes


def build_requests(plan: dict[str, Any], *, explicit: bool) -> tuple[Any, list[Any]]:
    """The task and the chat requests of ``plan``'s rows (``explicit``: top_k 0 / min_p 0
    in the request, the new path's sampling; else llama-cpp-python's implicit defaults)."""
    from synthesizrr.llm import LLMRequest, Message
    from synthesizrr.prompts import PromptSettings, Shot, TaskSettings, render

    task = TaskSettings(preset="ag_news", max_new_tokens=plan["max_new_tokens"])
    pset = PromptSettings(**plan["prompt"])
    extra = dict(top_k=0, min_p=0.0) if explicit else {}
    requests = []
    for row in plan["rows"]:
        shots = [Shot(answer=s["answer"], document=s.get("document")) for s in row["shots"]]
        p = render(task, pset, label=row["label"], document=row["document"], shots=shots)
        requests.append(
            LLMRequest(
                messages=tuple(Message(role=r, content=c) for r, c in p.messages),
                max_tokens=task.max_new_tokens,
                temperature=0.95,
                top_p=0.9,
                seed=row["seed"],
                sample_index=row["sample_index"],
                **extra,
            )  # fmt: skip
        )
    return task, requests


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("plan", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--path", choices=["new", "old"], required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--n-ctx", type=int, default=4096)
    ap.add_argument(
        "--fresh",
        action="store_true",
        help="new path: keep no prefix (every prompt evaluated whole)",
    )
    ap.add_argument(
        "--parallel",
        type=int,
        default=1,
        help="new path: llm.llamacpp.parallel (requests decoded together)",
    )
    ap.add_argument(
        "--sampling",
        choices=["explicit", "implicit"],
        default=None,
        help="new path: explicit top_k 0 / min_p 0 (default) or llama-cpp-python's implicit "
        "top_k 40 / min_p 0.05 (the previous path's), to tell sampling from grouping",
    )
    args = ap.parse_args()
    plan = json.loads(args.plan.read_text())

    from synthesizrr.generation.engine import run_requests
    from synthesizrr.generation.parse import parse_completion
    from synthesizrr.llm import LLMSettings, get_backend

    explicit = args.path == "new" and args.sampling != "implicit"
    task, requests = build_requests(plan, explicit=explicit)
    order = list(range(len(requests)))
    if args.path == "new":
        from synthesizrr.generation.schedule import prefix_order

        order = prefix_order(requests)
    sent = [requests[i] for i in order]

    settings = LLMSettings(
        backend="llamacpp", model="smollm2", n_ctx=args.n_ctx, n_threads=args.threads
    )
    if args.path == "new":  # the field exists on the new path only
        settings.llamacpp = settings.llamacpp.model_copy(update={"parallel": args.parallel})
    backend = get_backend(settings)
    llm = backend._llm  # type: ignore[attr-defined]
    counter = {"prompt_phase": True, "evaluated": 0}
    real_eval, real_sample, real_complete = llm.eval, llm.sample, llm.create_completion

    def eval_(tokens: Any) -> None:
        if counter["prompt_phase"]:
            counter["evaluated"] += len(tokens)
        real_eval(tokens)

    def sample_(*a: Any, **k: Any) -> Any:
        counter["prompt_phase"] = False
        return real_sample(*a, **k)

    def complete_(*a: Any, **k: Any) -> Any:
        try:
            return real_complete(*a, **k)
        finally:
            counter["prompt_phase"] = True

    llm.eval, llm.sample, llm.create_completion = eval_, sample_, complete_
    if args.fresh:
        slot = backend._slot  # type: ignore[attr-defined]
        real_prefill = slot.prefill

        def prefill_(segments: Any) -> int:
            slot.forget()
            return int(real_prefill(segments))

        slot.prefill = prefill_
    prompts = [list(backend.prompt_tokens(r)) for r in sent]  # type: ignore[attr-defined]

    slot_before = getattr(backend, "evaluated_tokens", 0)
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        outcomes = run_requests(backend, sent, cache_path=Path(d) / "cache.sqlite")
        seconds = time.perf_counter() - t0
    if args.path == "new" and args.parallel > 1:  # decoded without Llama.eval: count its own
        counter["evaluated"] = backend.evaluated_tokens - slot_before  # type: ignore[attr-defined]

    echo = [task.instruction_for(lab) for lab in task.label_names] + list(task.labels.values())
    texts: list[str | None] = [None] * len(requests)
    kept = 0
    reasons: Counter[str] = Counter()
    for i, o in zip(order, outcomes, strict=True):
        assert o.response is not None, o.error
        texts[i] = o.response.text
        parsed = parse_completion(
            o.response.text, output_prefix=task.output_prefix,
            finish_reason=o.response.finish_reason, echo_phrases=echo, min_words=3,
        )  # fmt: skip
        kept += parsed.text is not None
        if parsed.reason is not None:  # a DropReason code, e.g. "truncated"
            reasons[parsed.reason] += 1
    result = {
        "path": args.path,
        "parallel": args.parallel,
        "requests": len(requests),
        "seconds": round(seconds, 3),
        "examples_per_s": round(len(requests) / seconds, 4),
        "kept": kept,
        "prompt_tokens": sum(len(p) for p in prompts),
        "evaluated_prompt_tokens": counter["evaluated"],
        "unique_prefix_tokens": unique_prefix_tokens(prompts),
        "completion_tokens": sum(o.response.completion_tokens for o in outcomes if o.response),
        "drop_reasons": dict(reasons),
        "texts": texts,
    }
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
