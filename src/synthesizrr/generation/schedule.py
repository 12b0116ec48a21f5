"""Prefix-aware order: requests that share a prompt prefix run back to back.

Sorting the requests by their messages (role, then content, message by message) is a
depth-first walk of the trie of prompts: each request follows the one it shares the longest
leading run of messages with. A backend that keeps the KV state of the previous request's
messages (the embedded llama.cpp backend, a llama.cpp or vLLM server with prefix caching)
then evaluates every distinct message path once.

The order changes only when a request is sent, never what it is: its text depends on the
request and its seed. :func:`evaluated_tokens` counts what such a backend evaluates, for
the dry run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from synthesizrr.llm.types import LLMRequest


def _parts(req: LLMRequest) -> tuple[tuple[str, str], ...]:
    if req.messages is None:
        return tuple(("prompt", p) for p in (req.prompt or "").split("\n\n"))
    return tuple((m.role, m.content) for m in req.messages)


def prefix_order(requests: Sequence[LLMRequest]) -> list[int]:
    """Indices of ``requests`` in prefix order (stable: equal prompts keep their order)."""
    return sorted(range(len(requests)), key=lambda i: _parts(requests[i]))


def in_order(items: Sequence[Any], order: Sequence[int]) -> list[Any]:
    """``items`` permuted by ``order``."""
    return [items[i] for i in order]


def evaluated_tokens(
    requests: Sequence[LLMRequest], count: Callable[[str], int], *, framing: int = 4
) -> int:
    """Prompt tokens a prefix-keeping backend evaluates for ``requests`` sent in prefix
    order: the messages a request shares with the previous one are free, the last message
    is always evaluated (``framing`` tokens of chat markup per message)."""
    total = 0
    previous: tuple[tuple[str, str], ...] = ()
    for i in prefix_order(requests):
        parts = _parts(requests[i])
        keep = 0
        while keep < min(len(parts) - 1, len(previous)) and parts[keep] == previous[keep]:
            keep += 1
        extra = framing if requests[i].messages is not None else 0
        total += sum(count(text) + extra for _, text in parts[keep:])
        previous = parts
    return total


def restore(outcomes: Sequence[Any], order: Sequence[int], n: int) -> list[Any]:
    """Outcomes of requests sent in ``order`` (a prefix of it when a budget stopped the
    run) back in request order; None where a request was not sent."""
    out: list[Any] = [None] * n
    for i, outcome in zip(order, outcomes, strict=False):
        out[i] = outcome
    return out
