"""Keep the KV state of a shared prompt prefix in a llama.cpp context between requests.

A prompt is evaluated as a list of *segments* (one per chat message, the template's markup
included; a raw prompt split where its tokenization allows). Segment boundaries depend on
the request alone, and every segment is evaluated in its own ``llama_decode`` calls (in
``n_batch`` chunks from its start). So the KV values of a segment depend only on the
segments up to it, and a prefix kept from the previous request is bit for bit the prefix a
fresh evaluation would compute: a request's text depends on the request and its seed, never
on the request that ran before it.

llama-cpp-python's own prefix match (``Llama.generate``) reuses the longest common *token*
prefix, whose last positions were computed inside a batch of another prompt; that can move
the last floating-point bits and, rarely, a sampled token. Here the match is on whole
segments, and the last segment is always evaluated again so the logits that sampling reads
come from this request's own batch.

With requests in prefix order (:mod:`synthesizrr.generation.schedule`), keeping one state
evaluates every distinct segment path once: a depth-first walk of the prompts' trie.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Segment = tuple[int, ...]


@dataclass
class PrefixSlot:
    """One llama context, the lock that serializes it, and what its KV holds."""

    llm: Any
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Segments whose KV is in the context, in order (valid while only this slot evaluates).
    held: list[Segment] = field(default_factory=list)
    #: Prompt tokens evaluated / prompt tokens requested, since load.
    evaluated_tokens: int = 0
    prompt_tokens: int = 0
    #: Multi-sequence contexts on the same weights, by (sequences, n_ctx) (llm/parallel.py).
    decoders: dict[tuple[int, int], Any] = field(default_factory=dict)

    def forget(self) -> None:
        """The context was used outside the segment discipline: trust nothing in it."""
        self.held = []

    def prefill(self, segments: Sequence[Segment]) -> int:
        """Make the context hold exactly ``segments`` evaluated, logits of the last token
        ready for sampling; returns the number of tokens evaluated now. Call under ``lock``."""
        keep = 0
        limit = len(segments) - 1  # the last segment is always evaluated again
        while keep < min(limit, len(self.held)) and self.held[keep] == segments[keep]:
            keep += 1
        llm = self.llm
        n_keep = sum(len(s) for s in segments[:keep])
        if n_keep and not llm._ctx.kv_cache_seq_rm(-1, n_keep, -1):
            keep = n_keep = 0  # a recurrent model cannot cut its state: evaluate it all
        if n_keep == 0:
            llm.reset()
        llm.n_tokens = n_keep  # eval() drops the KV cells from here on
        self.held = list(segments[:keep])
        evaluated = 0
        try:
            for seg in segments[keep:]:
                llm.eval(list(seg))
                self.held.append(seg)
                evaluated += len(seg)
        except BaseException:
            self.forget()
            raise
        self.evaluated_tokens += evaluated
        self.prompt_tokens += sum(len(s) for s in segments)
        return evaluated


def split_tokens(tokenize: Any, text: str, sep: str = "\n\n") -> list[Segment]:
    """``text`` tokenized as segments split inside each ``sep`` (after its first character:
    BPE pre-tokenizers cut a run of newlines before a word there), when tokenizing the
    pieces one by one gives exactly the tokens of the whole text; else one segment (the
    tokens of the whole text, so the prompt never changes)."""
    whole = tuple(tokenize(text))
    parts = text.split(sep)
    if len(parts) == 1:
        return [whole]
    head, tail = sep[:1], sep[1:]
    pieces = [parts[0] + head, *(tail + p + head for p in parts[1:-1]), tail + parts[-1]]
    segs = [tuple(tokenize(p)) for p in pieces]
    if tuple(t for s in segs for t in s) != whole:
        return [whole]
    return [s for s in segs if s]
