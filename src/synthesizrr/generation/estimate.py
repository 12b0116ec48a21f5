"""Dry run: how many prompts, how many tokens, what it would cost, before sending anything."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from synthesizrr.generation.schedule import evaluated_tokens
from synthesizrr.generation.settings import Prices
from synthesizrr.llm.base import LLMBackend
from synthesizrr.llm.types import LLMRequest


@dataclass(frozen=True)
class Estimate:
    """Totals over the distinct requests still to send (``cached`` ones are free)."""

    requests: int
    prompts: int
    cached: int
    prompt_tokens: int
    #: Prompt tokens a prefix-keeping backend evaluates (shared leading messages once).
    evaluated_prompt_tokens: int
    max_new_tokens: int
    est_cost: float | None
    tokenizer: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _chars4(text: str) -> int:
    return max(1, (len(text) + 3) // 4) if text else 0


def estimate(
    requests: Sequence[LLMRequest],
    *,
    backend: LLMBackend | None = None,
    prices: Prices | None = None,
    cache_path: Path | None = None,
    model_id: str | None = None,
) -> Estimate:
    """Count ``requests`` without sending them.

    Prompt tokens come from ``backend.count_tokens`` (the backend's tokenizer where cheap,
    else chars/4); ``evaluated_prompt_tokens`` counts them as a backend that keeps the
    shared prefix of consecutive requests evaluates them in prefix order (the run's order); ``max_new_tokens`` is the sum of the caps, so ``est_cost`` is an upper
    bound. With ``cache_path``, requests already answered in that cache are left out.
    """
    mid = model_id or (backend.model_id if backend is not None else "unknown")
    unique: dict[str, LLMRequest] = {}
    for r in requests:
        unique.setdefault(r.cache_key(mid), r)
    cached = 0
    if cache_path is not None and Path(cache_path).exists():
        from synthesizrr.generation.cache import RequestCache

        with RequestCache(cache_path) as cache:
            done = {k for k, row in cache.get_many(unique).items() if row.status == "ok"}
        cached = len(done)
        unique = {k: r for k, r in unique.items() if k not in done}
    count = backend.count_tokens if backend is not None else _chars4
    prompt_tokens = sum(
        backend.count_request_tokens(r)
        if backend is not None
        else _chars4(r.prompt or "")
        if r.messages is None
        else sum(_chars4(m.content) + 4 for m in r.messages)
        for r in unique.values()
    )
    evaluated = evaluated_tokens(list(unique.values()), count)
    tokenizer = getattr(backend, "tokenizer_name", "chars/4") if backend is not None else "chars/4"
    max_new = sum(r.max_tokens for r in unique.values())
    cost = None if prices is None else round(prices.cost(prompt_tokens, max_new), 6)
    return Estimate(
        requests=len(requests),
        prompts=len(unique),
        cached=cached,
        prompt_tokens=prompt_tokens,
        evaluated_prompt_tokens=evaluated,
        max_new_tokens=max_new,
        est_cost=cost,
        tokenizer=tokenizer,
    )
