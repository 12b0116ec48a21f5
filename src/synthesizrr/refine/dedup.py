"""Exact and near-duplicate detection over a list of texts.

Both return, for each row, ``None`` (keep) or the index of the earlier kept row it
duplicates. Rows are visited in order, so the first occurrence always survives.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from synthesizrr.errors import require

_WORD = re.compile(r"\w+", re.UNICODE)

#: The LSH index threshold is this fraction of the Jaccard threshold (recall margin).
LSH_RECALL_FACTOR = 0.8


def normalize(text: str) -> str:
    """Exact-duplicate key: whitespace collapsed, case-folded."""
    return " ".join(text.split()).casefold()


def exact_duplicates(texts: Sequence[str]) -> list[int | None]:
    """``out[i]`` = index of the first row with the same normalized text, or None."""
    first: dict[str, int] = {}
    out: list[int | None] = []
    for i, text in enumerate(texts):
        key = normalize(text)
        out.append(first.get(key))
        first.setdefault(key, i)
    return out


def shingles(text: str, n: int = 3) -> set[str]:
    """Word n-shingles of the lower-cased text; a text of fewer words is one shingle."""
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return {" ".join(words)}
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    """Exact Jaccard similarity of two sets (1.0 for two empty sets)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def near_duplicates(
    texts: Sequence[str], *, threshold: float = 0.9, num_perm: int = 128, seed: int = 0
) -> list[int | None]:
    """``out[i]`` = earliest kept row whose shingle Jaccard with row i is >= threshold.

    MinHash LSH proposes candidates; each is confirmed with the exact Jaccard, so no pair
    below the threshold is ever removed. The LSH index is built for ``LSH_RECALL_FACTOR *
    threshold`` so that pairs just above the threshold are rarely missed.
    """
    datasketch = require("datasketch", "metrics", "Near-duplicate removal")
    sets = [shingles(t) for t in texts]
    hashes = datasketch.MinHash.bulk(
        [[s.encode("utf-8") for s in sorted(sh)] for sh in sets], num_perm=num_perm, seed=seed
    )
    lsh = datasketch.MinHashLSH(threshold=threshold * LSH_RECALL_FACTOR, num_perm=num_perm)
    out: list[int | None] = []
    for i, mh in enumerate(hashes):
        match = None
        for j in sorted(int(c) for c in lsh.query(mh)):
            if jaccard(sets[i], sets[j]) >= threshold:
                match = j
                break
        out.append(match)
        if match is None:
            lsh.insert(str(i), mh)
    return out
