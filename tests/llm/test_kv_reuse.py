"""Segments of a prompt and what a kept prefix saves, with a fake llama context."""

from __future__ import annotations

from typing import Any

import pytest

from synthesizrr.llm.kv_reuse import PrefixSlot, split_tokens


def _tok(text: str) -> list[int]:
    return [ord(c) for c in text]


def test_split_tokens_cuts_inside_each_blank_line() -> None:
    assert split_tokens(_tok, "ab\n\ncd\n\ne") == [
        tuple(_tok("ab\n")), tuple(_tok("\ncd\n")), tuple(_tok("\ne")),
    ]  # fmt: skip
    assert split_tokens(_tok, "plain") == [tuple(_tok("plain"))]
    assert split_tokens(_tok, "") == [()]


def test_split_tokens_keeps_the_whole_tokenization_when_pieces_differ() -> None:
    def merging(text: str) -> list[int]:  # a tokenizer with a token across the blank line
        return [-1] if text == "a\n\nb" else _tok(text)

    assert split_tokens(merging, "a\n\nb") == [(-1,)]


class FakeContext:
    def __init__(self, can_cut: bool) -> None:
        self.can_cut = can_cut

    def kv_cache_seq_rm(self, seq_id: int, p0: int, p1: int) -> bool:
        return self.can_cut


class FakeLlama:
    def __init__(self, can_cut: bool = True) -> None:
        self.n_tokens = 0
        self.decoded: list[list[int]] = []
        self._ctx = FakeContext(can_cut)

    def reset(self) -> None:
        self.n_tokens = 0

    def eval(self, tokens: list[int]) -> None:
        self.decoded.append(tokens)
        self.n_tokens += len(tokens)


def test_prefill_keeps_shared_segments_and_always_reevaluates_the_last() -> None:
    llm = FakeLlama()
    slot = PrefixSlot(llm)
    assert slot.prefill([(1, 2), (3,), (4, 5)]) == 5
    assert slot.prefill([(1, 2), (3,), (6,)]) == 1  # shares two segments
    assert llm.n_tokens == 4 and llm.decoded[-1] == [6]
    assert slot.prefill([(1, 2), (3,), (6,)]) == 1  # same prompt: the last segment again
    assert slot.prefill([(1, 2), (7,), (6,)]) == 2
    assert slot.prefill([(9,)]) == 1 and llm.n_tokens == 1
    assert (slot.evaluated_tokens, slot.prompt_tokens) == (10, 5 + 4 + 4 + 4 + 1)


def test_a_failed_evaluation_forgets_the_held_state() -> None:
    llm = FakeLlama()
    slot = PrefixSlot(llm)
    slot.prefill([(1,), (2,)])

    def boom(tokens: Any) -> None:
        raise RuntimeError("decode failed")

    llm.eval = boom  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        slot.prefill([(1,), (3,)])
    assert slot.held == []


def test_a_state_that_cannot_be_cut_is_evaluated_whole() -> None:
    llm = FakeLlama(can_cut=False)  # recurrent models keep no per-position KV
    slot = PrefixSlot(llm)
    slot.prefill([(1, 2), (3,)])
    assert slot.prefill([(1, 2), (4,)]) == 3 and llm.decoded[-2:] == [[1, 2], [4]]
