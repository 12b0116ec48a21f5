"""Cutting one document into passages inside a token window (tokens = whitespace words).

A window holds at most ``max_tokens`` tokens. It is cut after the last token that ends a
sentence (``.``, ``!`` or ``?``, optionally followed by closing quotes or brackets) when
that keeps at least ``min_tokens`` tokens; otherwise it is cut hard at the window's end.
Tokens are found lazily, so a gigantic document costs only the windows actually kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_TOKEN = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"[.!?][\"'\u2019\u201d)\]]*$")
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Whitespace collapsed to single spaces, ends stripped (the form used for dedup)."""
    return _SPACE.sub(" ", text).strip()


def count_tokens(text: str) -> int:
    """Number of whitespace-separated tokens."""
    return sum(1 for _ in _TOKEN.finditer(text))


def windows(
    text: str, *, max_tokens: int, min_tokens: int, all_windows: bool
) -> Iterator[tuple[int, str, int, bool]]:
    """``(chunk, passage text, token count, more follows)`` for the first or every window.

    Passages shorter than ``min_tokens`` are still yielded (the caller counts and drops
    them) so that chunk indexes stay stable.
    """
    tokens = _TOKEN.finditer(text)
    chunk = 0
    pending: list[re.Match[str]] = []
    exhausted = False
    while True:
        # One token of look-ahead tells whether the document goes on past the window.
        while not exhausted and len(pending) <= max_tokens:
            nxt = next(tokens, None)
            if nxt is None:
                exhausted = True
            else:
                pending.append(nxt)
        if not pending:
            return
        if len(pending) <= max_tokens:
            cut = len(pending)
        else:
            cut = _cut_point(pending[:max_tokens], min_tokens)
        window = pending[:cut]
        more = cut < len(pending) or not exhausted
        yield chunk, text[window[0].start() : window[-1].end()], len(window), more
        if not all_windows:
            return
        pending = pending[cut:]
        chunk += 1


def _cut_point(window: list[re.Match[str]], min_tokens: int) -> int:
    for i in range(len(window) - 1, max(min_tokens - 1, 0) - 1, -1):
        if _SENTENCE_END.search(window[i].group()):
            return i + 1
    return len(window)
