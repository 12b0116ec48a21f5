"""Leakage check: can the seeds or the corpus hand the teacher a text of the test set?

A test text *leaks* into a set of texts when one of them equals it after normalization
(lower case, words ``\\w+`` only, single spaces) or shares a run of ``ngram`` consecutive
normalized words with it (13 by default, the contamination test of the GPT-3 paper).
Test texts shorter than ``ngram`` words are checked by equality only. A corpus passage
that leaks a test text is *retrievable*: a seed can fetch it and the teacher can rewrite
it into a training example of the very text the student is scored on.

Why hand-written: the check is a set lookup per word window; no library does it over a
Parquet file of passages without loading them all.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_WORD = re.compile(r"\w+")
MAX_EXAMPLES = 5


def words(text: str) -> list[str]:
    """Normalized words of ``text`` (lower case, ``\\w+``)."""
    return _WORD.findall(text.lower())


@dataclass
class HeldOutIndex:
    """The test texts as normalized strings and as ``ngram``-word windows."""

    ngram: int
    exact: dict[str, int] = field(default_factory=dict)
    grams: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, test_texts: Sequence[str], ngram: int) -> HeldOutIndex:
        index = cls(ngram)
        for i, text in enumerate(test_texts):
            w = words(text)
            if not w:
                continue
            index.exact.setdefault(" ".join(w), i)
            for j in range(len(w) - ngram + 1):
                index.grams.setdefault(" ".join(w[j : j + ngram]), i)
        return index

    def match(self, text: str) -> tuple[str, int] | None:
        """("exact" | "ngram", test row) of the first test text ``text`` leaks, or None."""
        w = words(text)
        hit = self.exact.get(" ".join(w))
        if hit is not None:
            return "exact", hit
        n = self.ngram
        for j in range(len(w) - n + 1):
            hit = self.grams.get(" ".join(w[j : j + n]))
            if hit is not None:
                return "ngram", hit
        return None


@dataclass
class Findings:
    """Counts of leaking texts of one kind (seeds or passages) and a few examples."""

    checked: int = 0
    exact: int = 0
    ngram: int = 0
    test_rows: set[int] = field(default_factory=set)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def add(self, ident: str, text: str, index: HeldOutIndex) -> None:
        self.checked += 1
        found = index.match(text)
        if found is None:
            return
        kind, row = found
        setattr(self, kind, getattr(self, kind) + 1)
        self.test_rows.add(row)
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append({"id": ident, "match": kind, "test_row": row})

    def to_dict(self) -> dict[str, Any]:
        return {"checked": self.checked, "exact": self.exact, "ngram": self.ngram,
                "test_texts_hit": len(self.test_rows), "examples": self.examples}  # fmt: skip


def check_texts(pairs: Iterable[tuple[str, str]], index: HeldOutIndex) -> Findings:
    """Findings for ``(id, text)`` pairs against the test index."""
    out = Findings()
    for ident, text in pairs:
        out.add(ident, text or "", index)
    return out


def iter_passages(passages_path: Path) -> Iterable[tuple[str, str]]:
    """``(passage_id, text)`` of a passages file, read in batches."""
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(passages_path).iter_batches(
        batch_size=4096, columns=["passage_id", "text"]
    ):
        yield from zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True)


def check_leakage(
    test_texts: Sequence[str],
    seeds: Sequence[tuple[str, str]],
    passages_path: Path | None,
    *,
    ngram: int = 13,
) -> dict[str, Any]:
    """What of the test set the seeds and (where given) the corpus passages contain.

    ``seeds`` are ``(seed_id, text)``. Returns a JSON-ready dict: the settings, per kind the
    counts of exact and n-gram matches with up to 5 examples, and
    ``test_texts_retrievable`` (test texts some passage leaks); a warning is logged for
    any leak.
    """
    index = HeldOutIndex.build(test_texts, ngram)
    result: dict[str, Any] = {"test_texts": len(test_texts), "ngram": ngram,
                              "normalize": "lower,words"}  # fmt: skip
    seed_findings = check_texts(seeds, index)
    result["seeds"] = seed_findings.to_dict()
    if seed_findings.test_rows:
        log.warning(
            "leakage: %d seed(s) equal or share %d-word runs with %d test text(s)",
            seed_findings.exact + seed_findings.ngram, ngram, len(seed_findings.test_rows),
        )  # fmt: skip
    if passages_path is not None:
        found = check_texts(iter_passages(passages_path), index)
        result["passages"] = found.to_dict()
        result["test_texts_retrievable"] = len(found.test_rows)
        if found.test_rows:
            log.warning(
                "leakage: %d test text(s) are retrievable: %d corpus passage(s) equal them or "
                "share %d-word runs with them (see leakage.json)",
                len(found.test_rows), found.exact + found.ngram, ngram,
            )  # fmt: skip
    return result


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """The flat numbers of a :func:`check_leakage` result (for the manifest)."""
    out: dict[str, Any] = {"test_texts": result["test_texts"], "ngram": result["ngram"]}
    for kind in ("seeds", "passages"):
        if kind in result:
            part = result[kind]
            out[f"{kind}_checked"] = part["checked"]
            out[f"{kind}_leaking"] = part["exact"] + part["ngram"]
    if "test_texts_retrievable" in result:
        out["test_texts_retrievable"] = result["test_texts_retrievable"]
    out["seed_test_texts_hit"] = result["seeds"]["test_texts_hit"]
    return out
