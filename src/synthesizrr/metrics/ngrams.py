"""Tokenizers and integer n-gram ids shared by Self-BLEU and distinct-n.

``ngram_occurrences(token_lists, max_n)`` turns every n-gram occurrence into a pair
(text index, n-gram id) of int64 arrays, with one exact id per distinct n-gram (no
hashing, so no collisions): the id of an n-gram is the rank of the pair
(id of its first n-1 tokens, id of its last token) among all such pairs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from synthesizrr.errors import require

_WORDS = re.compile(r"\w+|[^\w\s]")


@lru_cache(maxsize=1)
def _spacy_tokenizer() -> Any:
    """spaCy's rule-based English tokenizer (``spacy.blank("en")``: no model, no download)."""
    spacy = require("spacy", "metrics", "The spaCy tokenizer of Self-BLEU")
    return spacy.blank("en").tokenizer


def spacy_tokens(text: str) -> list[str]:
    """spaCy English tokens, case kept, whitespace tokens left out (the original's protocol)."""
    return [t.text for t in _spacy_tokenizer()(text) if not t.is_space]


TOKENIZERS: dict[str, Callable[[str], list[str]]] = {
    "ws-lower": lambda text: text.lower().split(),
    "ws": lambda text: text.split(),
    "regex-lower": lambda text: _WORDS.findall(text.lower()),
    "spacy": spacy_tokens,
}


def tokenize(texts: Sequence[str], tokenizer: str = "ws-lower") -> list[list[str]]:
    """Token lists of ``texts`` with one of :data:`TOKENIZERS`."""
    fn = TOKENIZERS[tokenizer]
    return [fn(t) for t in texts]


class NgramOccurrences:
    """Per n = 1..max_n: arrays ``text[i]``, ``gram[i]`` of every n-gram occurrence."""

    def __init__(self, token_lists: Sequence[Sequence[str]], max_n: int) -> None:
        vocab: dict[str, int] = {}
        flat = [vocab.setdefault(tok, len(vocab)) for toks in token_lists for tok in toks]
        self.n_texts = len(token_lists)
        self.max_n = max_n
        self.lengths = np.fromiter((len(t) for t in token_lists), np.int64, self.n_texts)
        tok = np.asarray(flat, dtype=np.int64)
        total = int(tok.size)
        text_of = np.repeat(np.arange(self.n_texts, dtype=np.int64), self.lengths)
        starts = np.cumsum(self.lengths) - self.lengths
        # tokens from each position to the end of its text, inclusive
        remaining = np.repeat(self.lengths + starts, self.lengths) - np.arange(total)
        vocab_size = max(len(vocab), 1)
        self.text: list[np.ndarray] = [text_of]
        self.gram: list[np.ndarray] = [tok]
        self.n_grams: list[int] = [len(vocab)]
        prev = tok
        for n in range(2, max_n + 1):
            idx = np.nonzero(remaining >= n)[0]
            key = prev[idx] * vocab_size + tok[idx + n - 1]
            uniq, inv = np.unique(key, return_inverse=True)
            cur = np.full(total, -1, dtype=np.int64)
            cur[idx] = inv
            self.text.append(text_of[idx])
            self.gram.append(inv.astype(np.int64).reshape(-1))
            self.n_grams.append(int(uniq.size))
            prev = cur

    def occurrences(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(text index, n-gram id) of every n-gram occurrence, n in 1..max_n."""
        return self.text[n - 1], self.gram[n - 1]

    def per_text_counts(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distinct (text, n-gram) pairs and their counts, sorted by text then n-gram."""
        text, gram = self.occurrences(n)
        width = max(self.n_grams[n - 1], 1)
        keys, counts = np.unique(text * width + gram, return_counts=True)
        return keys // width, keys % width, counts.astype(np.int64)
