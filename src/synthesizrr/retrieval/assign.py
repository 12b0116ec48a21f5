"""Seed-as-query results -> (seed, passage) pairs: similarity band, reuse cap, roles.

For each seed the raw top-K list gives (rank, row, score). A pair becomes a **shot**
(a RETRICL in-context document) when its rank is inside ``shot_ranks`` and its score
inside the shot band, and a **gen** pair (a document to generate from) when its rank is
at least ``gen_min_rank`` and its score inside the main band; every other pair is dropped.
Then the reuse cap: pairs are taken greedily in a fixed order (score descending, then seed
order, then rank; for random retrieval, rank then seed order) and a pair is kept only while
its passage serves fewer than ``max_seeds_per_doc`` seeds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from synthesizrr.retrieval.settings import RetrievalSettings


@dataclass(frozen=True)
class Pair:
    seed: int  #: position of the seed in the seeds table
    rank: int  #: 1-based rank in the seed's raw top-K
    row: int  #: row of the passage in the passages file
    score: float
    role: str  #: "shot" | "gen"


def _inside(score: float, lo: float | None, hi: float | None) -> bool:
    return (lo is None or score >= lo) and (hi is None or score <= hi)


def select_pairs(settings: RetrievalSettings, scores: np.ndarray, rows: np.ndarray) -> list[Pair]:
    """The kept pairs, ordered by seed position, then rank."""
    s = settings
    lo = s.sim_min if s.band_applies("sim_min") else None
    hi = s.sim_max if s.band_applies("sim_max") else None
    shot_lo = s.shot_sim_min if s.band_applies("shot_sim_min") else None
    shot_hi = s.shot_sim_max if s.band_applies("shot_sim_max") else None
    candidates: list[Pair] = []
    for seed in range(rows.shape[0]):
        for j in range(rows.shape[1]):
            row = int(rows[seed, j])
            if row < 0:
                continue
            rank = j + 1
            score = float(scores[seed, j])
            if s.shot_ranks and s.shot_ranks[0] <= rank <= s.shot_ranks[1]:
                if _inside(score, shot_lo, shot_hi):
                    candidates.append(Pair(seed, rank, row, score, "shot"))
                continue
            if rank >= s.gen_min_rank and _inside(score, lo, hi):
                candidates.append(Pair(seed, rank, row, score, "gen"))
    if s.max_seeds_per_doc is not None:
        candidates = _cap(candidates, s.max_seeds_per_doc, scored=s.retriever != "random")
    return sorted(candidates, key=lambda p: (p.seed, p.rank))


def _cap(pairs: list[Pair], cap: int, *, scored: bool) -> list[Pair]:
    if scored:
        order = sorted(pairs, key=lambda p: (-p.score, p.seed, p.rank))
    else:
        order = sorted(pairs, key=lambda p: (p.rank, p.seed))
    used: Counter[int] = Counter()
    kept: list[Pair] = []
    for pair in order:
        if used[pair.row] < cap:
            used[pair.row] += 1
            kept.append(pair)
    return kept
