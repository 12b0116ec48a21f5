from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from synthesizrr.retrieval import Pair, RetrievalSettings, select_pairs

SCORES = np.array(
    [
        [0.95, 0.80, 0.70, 0.60, 0.30],
        [0.85, 0.45, 0.70, 0.50, 0.41],
    ],
    dtype=np.float32,
)
ROWS = np.array([[10, 11, 12, 13, 14], [11, 20, 12, 21, -1]], dtype=np.int64)


def pairs(**kw: object) -> list[tuple[int, int, int, str]]:
    settings = RetrievalSettings(**kw)  # type: ignore[arg-type]
    return [(p.seed, p.rank, p.row, p.role) for p in select_pairs(settings, SCORES, ROWS)]


def test_band_roles_and_cap_paper_defaults() -> None:
    # seed0: r1 0.95 above shot band; r2 shot; r3,r4 gen; r5 0.30 below band.
    # seed1: r1 (row 11) shot at 0.85 but row 11 already a shot of seed0 at 0.80? 0.85 wins
    # (greedy by score), so seed0 loses row 11; r2 0.45 below shot band; row 12 goes to
    # seed0 (0.70 tie -> seed order); r4 gen; r5 padding.
    assert pairs() == [(0, 3, 12, "gen"), (0, 4, 13, "gen"), (1, 1, 11, "shot"), (1, 4, 21, "gen")]


def test_no_cap_and_no_shots() -> None:
    assert pairs(max_seeds_per_doc=None, shot_ranks=None, gen_min_rank=1) == [
        (0, 2, 11, "gen"),
        (0, 3, 12, "gen"),
        (0, 4, 13, "gen"),
        (1, 1, 11, "gen"),
        (1, 2, 20, "gen"),
        (1, 3, 12, "gen"),
        (1, 4, 21, "gen"),
    ]


def test_band_ignored_for_bm25_unless_set_and_for_random() -> None:
    bm = [(s, r) for s, r, _, _ in pairs(retriever="bm25", max_seeds_per_doc=None)]
    assert bm == [(0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (1, 1), (1, 2), (1, 3), (1, 4)]
    set_explicitly = pairs(retriever="bm25", sim_min=0.65, max_seeds_per_doc=None)
    assert [(s, r) for s, r, _, _ in set_explicitly] == [
        (0, 1),
        (0, 2),
        (0, 3),
        (1, 1),
        (1, 2),
        (1, 3),
    ]
    nan = np.full_like(SCORES, np.nan)
    rand = select_pairs(RetrievalSettings(retriever="random"), nan, ROWS)
    # random: cap by (rank, seed order); row 11 first used at rank 1 by seed1.
    assert [(p.seed, p.rank, p.row) for p in rand] == [
        (0, 1, 10),
        (0, 3, 12),
        (0, 4, 13),
        (0, 5, 14),
        (1, 1, 11),
        (1, 2, 20),
        (1, 4, 21),
    ]


def test_pair_is_value_object() -> None:
    assert Pair(0, 1, 2, 0.5, "gen") == Pair(0, 1, 2, 0.5, "gen")


@pytest.mark.parametrize(
    "kw", [{"sim_min": 0.9, "sim_max": 0.4}, {"shot_ranks": (3, 1)}, {"top_k": 0}, {"unknown": 1}]
)
def test_invalid_settings_rejected(kw: dict) -> None:
    with pytest.raises(ValidationError):
        RetrievalSettings(**kw)
