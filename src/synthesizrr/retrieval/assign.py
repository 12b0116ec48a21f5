"""Seed-as-query results -> (seed, passage) pairs: similarity band, reuse cap, roles.

For each seed the raw top-K list gives (rank, row, score). A pair becomes a **shot**
(a RETRICL in-context document) when its rank is inside ``shot_ranks`` and its score
inside the shot band, and a **gen** pair (a document to generate from) when its rank is
at least ``gen_min_rank`` and its score inside the main band; every other pair is dropped.
Then the reuse cap: pairs are taken greedily in a fixed order and a pair is kept only while
its passage serves fewer than ``max_seeds_per_doc`` seeds. The order: shot pairs before
generation pairs, and among shot pairs every seed's first before any seed's second (a seed
has only ``shot_ranks`` candidates for a shot but dozens for generation, so taking by score
alone let generation pairs and other seeds' second shots take the documents a seed's only
shot needed: on 200 AG News seeds and 8,000 news passages, 152 seeds kept a shot by score
alone, 169 this way; bench/retrieval/BANDS.md); within that, score descending, then seed
order, then rank (for random retrieval: rank, then seed order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synthesizrr.retrieval.settings import RetrievalSettings


@dataclass(frozen=True)
class Pair:
    seed: int  #: position of the seed in the seeds table
    rank: int  #: 1-based rank in the seed's raw top-K
    row: int  #: row of the passage in the passages file
    score: float
    role: str  #: "shot" | "gen"


@dataclass(frozen=True)
class PairArrays:
    """The kept pairs as parallel arrays (seed order, then rank), for large retrievals."""

    seed: np.ndarray  #: int64
    rank: np.ndarray  #: int64, 1-based
    row: np.ndarray  #: int64
    score: np.ndarray  #: float32
    shot: np.ndarray  #: bool: True for "shot", False for "gen"
    #: The bands used, per role: kind, the percentiles where given, the resolved bounds.
    bands: dict[str, Any] = field(default_factory=dict, compare=False)

    def pairs(self) -> list[Pair]:
        return [
            Pair(int(s), int(r), int(w), float(c), "shot" if h else "gen")
            for s, r, w, c, h in zip(
                self.seed.tolist(),
                self.rank.tolist(),
                self.row.tolist(),
                self.score.tolist(),
                self.shot.tolist(),
                strict=True,
            )
        ]


def _inside(score: np.ndarray, lo: float | None, hi: float | None) -> np.ndarray:
    ok = np.ones(score.shape, dtype=bool)
    if lo is not None:
        ok &= score >= lo
    if hi is not None:
        ok &= score <= hi
    return ok


def select_pair_arrays(
    settings: RetrievalSettings, scores: np.ndarray, rows: np.ndarray
) -> PairArrays:
    """:func:`select_pairs` as arrays (vectorized; the same pairs in the same order)."""
    s = settings
    rows = np.asarray(rows, dtype=np.int64)
    score64 = np.asarray(scores, dtype=np.float64)  # compare as Python floats would
    q, k = rows.shape
    rank = np.broadcast_to(np.arange(1, k + 1, dtype=np.int64), (q, k))
    valid = rows >= 0
    if s.shot_ranks:
        in_shot_ranks = (rank >= s.shot_ranks[0]) & (rank <= s.shot_ranks[1])
    else:
        in_shot_ranks = np.zeros((q, k), dtype=bool)
    shot = valid & in_shot_ranks
    gen = valid & ~in_shot_ranks & (rank >= s.gen_min_rank)
    bands = {"shot": resolve_band(s, "shot", score64[shot]),
             "gen": resolve_band(s, "gen", score64[gen])}  # fmt: skip
    shot &= _inside(score64, bands["shot"]["min"], bands["shot"]["max"])
    gen &= _inside(score64, bands["gen"]["min"], bands["gen"]["max"])
    seed_i, col = np.nonzero(shot | gen)  # row-major: seed order, then rank
    kept = PairArrays(
        seed=seed_i.astype(np.int64),
        rank=col.astype(np.int64) + 1,
        row=rows[seed_i, col],
        score=np.asarray(scores, dtype=np.float32)[seed_i, col],
        shot=shot[seed_i, col],
        bands=bands,
    )
    if s.max_seeds_per_doc is not None and len(kept.row):
        keep = _cap(kept, s.max_seeds_per_doc, scored=s.retriever != "random")
        kept = PairArrays(
            seed=kept.seed[keep], rank=kept.rank[keep], row=kept.row[keep],
            score=kept.score[keep], shot=kept.shot[keep], bands=bands,
        )  # fmt: skip
    return kept


def resolve_band(settings: RetrievalSettings, which: str, scores: np.ndarray) -> dict[str, Any]:
    """The band of ``which`` ("gen" | "shot") as bounds on scores; percentile bands are
    resolved on ``scores`` (the candidates' scores), float64 as the comparison uses."""
    kind, lo, hi = settings.band("gen" if which == "gen" else "shot")
    if kind == "cosine":
        return {"kind": kind, "min": lo, "max": hi}
    assert lo is not None and hi is not None
    finite = scores[np.isfinite(scores)]
    if finite.size == 0:
        return {"kind": kind, "percentile": [lo, hi], "min": None, "max": None}
    low, high = np.percentile(finite, [lo, hi])
    return {"kind": kind, "percentile": [lo, hi], "min": float(low), "max": float(high)}


def select_pairs(settings: RetrievalSettings, scores: np.ndarray, rows: np.ndarray) -> list[Pair]:
    """The kept pairs, ordered by seed position, then rank."""
    return select_pair_arrays(settings, scores, rows).pairs()


def shot_round(p: PairArrays) -> np.ndarray:
    """For each shot pair, how many shot pairs of its seed come before it (0 for the seed's
    best); 0 for generation pairs. ``p`` is in seed order, then rank."""
    out = np.zeros(len(p.seed), dtype=np.int64)
    idx = np.flatnonzero(p.shot)
    if idx.size:
        seeds = p.seed[idx]
        first = np.r_[True, seeds[1:] != seeds[:-1]]
        start = np.maximum.accumulate(np.where(first, np.arange(idx.size), 0))
        out[idx] = np.arange(idx.size) - start
    return out


def _cap(p: PairArrays, cap: int, *, scored: bool) -> np.ndarray:
    """Mask of pairs kept when each row may serve ``cap`` pairs, taken greedily in the
    order of the module doc.

    Greedy per row is independent of other rows: a pair is kept iff fewer than ``cap``
    pairs of its row come before it in the order.
    """
    first_keys = (shot_round(p), ~p.shot)  # lexsort: the last key is the primary one
    if scored:
        order = np.lexsort((p.rank, p.seed, -p.score.astype(np.float64), *first_keys))
    else:
        order = np.lexsort((p.seed, p.rank, *first_keys))
    by_row = order[np.argsort(p.row[order], kind="stable")]  # grouped by row, in order
    sorted_rows = p.row[by_row]
    first = np.r_[True, sorted_rows[1:] != sorted_rows[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(by_row)), 0))
    occurrence = np.arange(len(by_row)) - group_start
    keep = np.zeros(len(by_row), dtype=bool)
    keep[by_row] = occurrence < cap
    return keep
