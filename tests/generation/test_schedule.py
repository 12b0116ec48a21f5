"""Prefix order, restoring request order, and the evaluated-token count of the dry run."""

from __future__ import annotations

from synthesizrr.generation.schedule import evaluated_tokens, in_order, prefix_order, restore
from synthesizrr.llm import LLMRequest, Message


def _chat(*contents: str, seed: int = 0) -> LLMRequest:
    msgs = tuple(
        Message(role="user" if i % 2 == 0 else "assistant", content=c)
        for i, c in enumerate(contents)
    )
    return LLMRequest(messages=msgs, max_tokens=8, seed=seed)


SHOTS_A = ("doc a", "answer a")
SHOTS_B = ("doc b", "answer b")
REQS = [
    _chat(*SHOTS_B, "final 1"),
    _chat(*SHOTS_A, "final 2"),
    _chat(*SHOTS_B, "final 3"),
    _chat(*SHOTS_A, "final 2", seed=1),  # same prompt, another seed: keeps its place after #1
    _chat("final 0"),
]


def test_prefix_order_puts_shared_prefixes_back_to_back() -> None:
    order = prefix_order(REQS)
    assert order == [1, 3, 0, 2, 4]
    assert [r.messages[0].content for r in in_order(REQS, order)] == [  # type: ignore[index]
        "doc a", "doc a", "doc b", "doc b", "final 0",
    ]  # fmt: skip


def test_restore_puts_outcomes_back_in_request_order_and_marks_unsent() -> None:
    order = [1, 3, 0, 2, 4]
    assert restore(["o1", "o3", "o0", "o2", "o4"], order, 5) == ["o0", "o1", "o2", "o3", "o4"]
    # A budget stopped after three: the prefix of the order was sent, the rest is None.
    assert restore(["o1", "o3", "o0"], order, 5) == ["o0", "o1", None, "o3", None]


def test_evaluated_tokens_counts_shared_leading_messages_once() -> None:
    def count(text: str) -> int:
        return len(text.split())

    # Every message here is 2 words + 4 tokens of chat framing = 6. In prefix order: A-shots
    # and "final 2" (3 messages); the same prompt again: only its last message; B-shots and
    # "final 1" (3); "final 3" after the shared B-shots (1); "final 0" alone (1).
    assert evaluated_tokens(REQS, count) == 6 * (3 + 1 + 3 + 1 + 1)
    total = sum(count(m.content) + 4 for r in REQS for m in r.messages or ())
    assert total == 6 * 13


def test_completion_prompts_share_paragraphs() -> None:
    reqs = [
        LLMRequest(prompt="shot one\n\nfinal x", max_tokens=4),
        LLMRequest(prompt="shot one\n\nfinal y", max_tokens=4),
    ]
    assert evaluated_tokens(reqs, lambda t: len(t.split())) == 2 + 2 + 2
