from __future__ import annotations

import pytest

from synthesizrr.refine.dedup import (
    exact_duplicates,
    jaccard,
    near_duplicates,
    normalize,
    shingles,
)


def test_normalize_collapses_whitespace_and_case() -> None:
    assert normalize("  Stocks\tRally  TODAY\n") == "stocks rally today"


def test_exact_duplicates_point_to_first_occurrence() -> None:
    texts = ["Stocks rally", "stocks   RALLY", "Stocks rally.", "Team wins", "Stocks rally"]
    assert exact_duplicates(texts) == [None, 0, None, None, 0]


def test_shingles_and_jaccard_exact_values() -> None:
    assert shingles("The cat sat on the mat") == {
        "the cat sat",
        "cat sat on",
        "sat on the",
        "on the mat",
    }
    assert shingles("Two words") == {"two words"}
    a = shingles("a b c d e")  # abc bcd cde
    b = shingles("a b c d f")  # abc bcd cdf
    assert jaccard(a, b) == pytest.approx(2 / 4)
    assert jaccard(set(), set()) == 1.0


BASE = " ".join(f"w{i}" for i in range(60))


def test_near_duplicates_above_threshold_removed_below_kept() -> None:
    one_change = BASE.replace("w59", "zzz")  # 58 of 58 shingles shared but the last: 57/59
    many_changes = " ".join(f"w{i}" if i % 3 else f"x{i}" for i in range(60))
    texts = [BASE, "Unrelated sports headline about a football match", one_change, many_changes]
    assert jaccard(shingles(BASE), shingles(one_change)) == pytest.approx(57 / 59)
    assert near_duplicates(texts, threshold=0.9, seed=0) == [None, None, 0, None]


def test_near_duplicates_is_deterministic_and_chains_to_kept_rows() -> None:
    texts = [BASE, BASE + " end", BASE + " end", "other text entirely here"]
    first = near_duplicates(texts, threshold=0.9, seed=3)
    assert first == near_duplicates(texts, threshold=0.9, seed=3)
    assert first == [None, 0, 0, None]


def test_near_duplicates_recall_just_above_threshold() -> None:
    rng = __import__("random").Random(7)
    vocab = [f"v{i}" for i in range(5000)]
    bases = [" ".join(rng.sample(vocab, 12)) for _ in range(40)]
    texts = bases + [b + " extra" for b in bases]  # 10 of 11 shingles shared: 0.909
    out = near_duplicates(texts, threshold=0.9, seed=0)
    assert out == [None] * 40 + list(range(40))
