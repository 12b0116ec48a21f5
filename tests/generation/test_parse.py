from __future__ import annotations

import pytest

from synthesizrr.generation.parse import ParseResult, parse_completion

ECHO = (
    "Write a 1-2 sentence summary of the article above, about sports news",
    "sports news",
)


@pytest.mark.parametrize(
    ("raw", "kwargs", "expected"),
    [
        ("The Lakers won the final game.", {}, ParseResult("The Lakers won the final game.", None)),
        (
            "Summary: The Lakers won the final game.",
            {"output_prefix": "Summary:"},
            ParseResult("The Lakers won the final game.", None),
        ),
        (
            "Here is a summary:\nSummary: Oil prices rose sharply on Monday.",
            {"output_prefix": "Summary:"},
            ParseResult("Oil prices rose sharply on Monday.", None),
        ),
        (
            "Oil prices rose sharply on Monday.\nSummary: another one starts",
            {"output_prefix": "Summary:"},
            ParseResult("Oil prices rose sharply on Monday.", None),
        ),
        (
            "The vote passed easily.<|im_end|>\n<|im_start|>user\nmore",
            {},
            ParseResult("The vote passed easily.", None),
        ),
        (
            "The vote passed easily.<end_of_turn>junk",
            {},
            ParseResult("The vote passed easily.", None),
        ),
        ("The vote passed easily.</s>", {}, ParseResult("The vote passed easily.", None)),
        (
            "Sure! Here is a 2-sentence summary of the article:\n\nStocks fell for a third day.",
            {},
            ParseResult("Stocks fell for a third day.", None),
        ),
        (
            "Sure, here's the summary: Stocks fell for a third day.",
            {},
            ParseResult("Stocks fell for a third day.", None),
        ),
        (
            '"Stocks fell for a third day."',
            {},
            ParseResult("Stocks fell for a third day.", None),
        ),
        ("“Stocks fell for a third day.”", {}, ParseResult("Stocks fell for a third day.", None)),
        ('"Stocks fell for a third day', {}, ParseResult("Stocks fell for a third day", None)),
        (
            "Stocks fell for a third day.\n\nNote: this summary is short.",
            {},
            ParseResult("Stocks fell for a third day.", None),
        ),
        ("I'm sorry, but I can't help with that.", {}, ParseResult(None, "refusal")),
        ("As an AI language model, I cannot write that.", {}, ParseResult(None, "refusal")),
        ("I cannot write about this topic.", {}, ParseResult(None, "refusal")),
        ("", {}, ParseResult(None, "empty")),
        ("   \n ", {}, ParseResult(None, "empty")),
        ("Summary:", {"output_prefix": "Summary:"}, ParseResult(None, "empty")),
        ("<|im_end|>", {}, ParseResult(None, "empty")),
        (
            "The council met on Tuesday to discuss the new",
            {"finish_reason": "length"},
            ParseResult(None, "truncated"),
        ),
        (
            "The council met on Tuesday. Mr. Smith and the U.S. Senate agreed on the new",
            {"finish_reason": "length"},
            ParseResult("The council met on Tuesday.", None),
        ),
        (
            "Dr. Jones met U.S. officials in the new",
            {"finish_reason": "length"},
            ParseResult(None, "truncated"),
        ),
        (
            "The council met on Tuesday.",
            {"finish_reason": "length"},
            ParseResult("The council met on Tuesday.", None),
        ),
        (
            "The council met on Tuesday to discuss the new",
            {"finish_reason": "stop"},
            ParseResult("The council met on Tuesday to discuss the new", None),
        ),
        ("Sports news.", {"echo_phrases": ECHO}, ParseResult(None, "echo")),
        (
            "Write a 1-2 sentence summary of the article above, about sports news.",
            {"echo_phrases": ECHO},
            ParseResult(None, "echo"),
        ),
        (
            "The sports news today: Arsenal beat Chelsea 2-0.",
            {"echo_phrases": ECHO},
            ParseResult("The sports news today: Arsenal beat Chelsea 2-0.", None),
        ),
        ("Great game.", {}, ParseResult(None, "too_short")),
        ("Great game today.", {}, ParseResult("Great game today.", None)),
        ("Great game.", {"min_words": 2}, ParseResult("Great game.", None)),
    ],
)
def test_parse_completion(raw: str, kwargs: dict[str, object], expected: ParseResult) -> None:
    assert parse_completion(raw, **kwargs) == expected  # type: ignore[arg-type]


def test_none_is_empty() -> None:
    assert parse_completion(None) == ParseResult(None, "empty")
