from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from synthesizrr.retrieval import Pair, RetrievalSettings, select_pairs
from synthesizrr.retrieval.assign import PairArrays, shot_round

SCORES = np.array(
    [
        [0.95, 0.80, 0.70, 0.60, 0.30],
        [0.85, 0.45, 0.70, 0.50, 0.41],
    ],
    dtype=np.float32,
)
ROWS = np.array([[10, 11, 12, 13, 14], [11, 20, 12, 21, -1]], dtype=np.int64)


def pairs(**kw: object) -> list[tuple[int, int, int, str]]:
    kw.setdefault("model", "facebook/contriever")  # the paper's cosine bands apply
    settings = RetrievalSettings(**kw)  # type: ignore[arg-type]
    return [(p.seed, p.rank, p.row, p.role) for p in select_pairs(settings, SCORES, ROWS)]


def test_band_roles_and_cap_paper_defaults() -> None:
    # seed0: r1 0.95 above shot band; r2 shot; r3,r4 gen; r5 0.30 below band.
    # seed1: r1 (row 11) shot at 0.85 but row 11 already a shot of seed0 at 0.80? 0.85 wins
    # (greedy by score), so seed0 loses row 11; r2 0.45 below shot band; row 12 goes to
    # seed0 (0.70 tie -> seed order); r4 gen; r5 padding.
    assert pairs() == [(0, 3, 12, "gen"), (0, 4, 13, "gen"), (1, 1, 11, "shot"), (1, 4, 21, "gen")]


def test_cap_lets_shot_pairs_claim_documents_before_generation_pairs() -> None:
    # seed0 has weak shots (rows 1, 2); seed1 retrieves row 1 as its second shot and row 2
    # as a generation document, both at higher scores than seed0's. By score alone seed1
    # took both and seed0 was left without a shot; now seed0's first shot (row 1) comes
    # before seed1's second, and seed0's shot (row 2) before seed1's generation pair.
    scores = np.array([[0.60, 0.55, 0.50], [0.89, 0.88, 0.87]], dtype=np.float32)
    rows = np.array([[1, 2, 3], [4, 1, 2]], dtype=np.int64)
    settings = RetrievalSettings(model="facebook/contriever")
    got = [(p.seed, p.rank, p.row, p.role) for p in select_pairs(settings, scores, rows)]
    assert got == [(0, 1, 1, "shot"), (0, 2, 2, "shot"), (0, 3, 3, "gen"), (1, 1, 4, "shot")]
    two = RetrievalSettings(model="facebook/contriever", max_seeds_per_doc=2)
    assert len(select_pairs(two, scores, rows)) == 6  # the cap of 2 drops nothing


def test_shot_round_counts_a_seeds_earlier_shot_pairs() -> None:
    p = PairArrays(
        seed=np.array([0, 0, 0, 1, 2, 2]), rank=np.array([1, 2, 3, 2, 1, 2]),
        row=np.arange(6), score=np.zeros(6, dtype=np.float32),
        shot=np.array([True, True, False, True, True, True]),
    )  # fmt: skip
    assert shot_round(p).tolist() == [0, 1, 0, 0, 0, 1]


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


def _reference_pairs(s: RetrievalSettings, scores: np.ndarray, rows: np.ndarray) -> list[Pair]:
    """The former pure-Python select_pairs, kept as the golden reference."""
    from collections import Counter

    def inside(score: float, lo: float | None, hi: float | None) -> bool:
        return (lo is None or score >= lo) and (hi is None or score <= hi)

    lo = s.sim_min if s.band_applies("sim_min") else None
    hi = s.sim_max if s.band_applies("sim_max") else None
    shot_lo = s.shot_sim_min if s.band_applies("shot_sim_min") else None
    shot_hi = s.shot_sim_max if s.band_applies("shot_sim_max") else None
    cands: list[Pair] = []
    for seed in range(rows.shape[0]):
        for j in range(rows.shape[1]):
            row, rank, score = int(rows[seed, j]), j + 1, float(scores[seed, j])
            if row < 0:
                continue
            if s.shot_ranks and s.shot_ranks[0] <= rank <= s.shot_ranks[1]:
                if inside(score, shot_lo, shot_hi):
                    cands.append(Pair(seed, rank, row, score, "shot"))
                continue
            if rank >= s.gen_min_rank and inside(score, lo, hi):
                cands.append(Pair(seed, rank, row, score, "gen"))
    if s.max_seeds_per_doc is not None:
        # shots first; each seed's first shot before any seed's second; then by score
        before: Counter[int] = Counter()
        shot_round = {}
        for p in cands:  # seed order, then rank
            if p.role == "shot":
                shot_round[p] = before[p.seed]
                before[p.seed] += 1
        first = {p: (p.role != "shot", shot_round.get(p, 0)) for p in cands}
        if s.retriever != "random":
            order = sorted(cands, key=lambda p: (*first[p], -p.score, p.seed, p.rank))
        else:
            order = sorted(cands, key=lambda p: (*first[p], p.rank, p.seed))
        used: Counter[int] = Counter()
        kept = []
        for p in order:
            if used[p.row] < s.max_seeds_per_doc:
                used[p.row] += 1
                kept.append(p)
        cands = kept
    return sorted(cands, key=lambda p: (p.seed, p.rank))


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"max_seeds_per_doc": 2},
        {"max_seeds_per_doc": None, "shot_ranks": None, "gen_min_rank": 1},
        {"retriever": "bm25", "sim_min": 0.3, "max_seeds_per_doc": 3},
        {"retriever": "random"},
        {"shot_ranks": (2, 4), "shot_sim_min": None, "sim_max": None},
    ],
)
def test_vectorized_assignment_equals_reference(kw: dict[str, object]) -> None:
    rng = np.random.default_rng(7)
    # 300 seeds x top-20 over only 2,000 rows: many shared rows, tied scores, some padding.
    scores = np.round(rng.uniform(0.2, 1.0, size=(300, 20)), 2).astype(np.float32)
    scores = -np.sort(-scores, axis=1)
    rows = rng.integers(0, 2000, size=(300, 20))
    rows[rng.random((300, 20)) < 0.05] = -1
    settings = RetrievalSettings(**{"model": "facebook/contriever", **kw})  # type: ignore[arg-type]
    if settings.retriever == "random":
        scores = np.full_like(scores, np.nan)
    got = select_pairs(settings, scores, rows)
    want = _reference_pairs(settings, scores, rows)
    assert len(want) > 500
    assert [(p.seed, p.rank, p.row, p.role) for p in got] == [
        (p.seed, p.rank, p.row, p.role) for p in want
    ]
    np.testing.assert_array_equal([p.score for p in got], [p.score for p in want])


def test_percentile_band_resolves_on_the_runs_own_scores() -> None:
    from synthesizrr.retrieval import select_pair_arrays

    settings = RetrievalSettings(
        sim_band={"percentile": [25, 75]}, shot_sim_band={"percentile": [0, 50]},
        max_seeds_per_doc=None,
    )  # type: ignore[arg-type]  # fmt: skip
    kept = select_pair_arrays(settings, SCORES, ROWS)
    # gen candidates (ranks 3-5, valid): 0.70 0.60 0.30 | 0.70 0.50 -> 25th/75th pct 0.5/0.7
    # shot candidates (ranks 1-2): 0.95 0.80 0.85 0.45 -> 0th/50th pct 0.45/0.825
    assert kept.bands == {
        "gen": {"kind": "percentile", "percentile": [25.0, 75.0],
                "min": pytest.approx(0.5), "max": pytest.approx(0.7)},
        "shot": {"kind": "percentile", "percentile": [0.0, 50.0],
                 "min": pytest.approx(0.45), "max": pytest.approx(0.825)},
    }  # fmt: skip
    got = [(p.seed, p.rank, p.role) for p in kept.pairs()]
    assert got == [(0, 2, "shot"), (0, 3, "gen"), (0, 4, "gen"), (1, 2, "shot"), (1, 3, "gen"),
                   (1, 4, "gen")]  # fmt: skip


def test_bundled_model_defaults_to_the_measured_percentile_band() -> None:
    from synthesizrr.retrieval.settings import MEASURED_BANDS

    s = RetrievalSettings()
    assert s.band("gen") == ("percentile", *MEASURED_BANDS["minilm"]["gen"])
    assert s.band("shot") == ("percentile", *MEASURED_BANDS["minilm"]["shot"])
    # a cosine bound set by hand, another model, bm25 and random keep cosine semantics
    assert RetrievalSettings(sim_min=0.3).band("gen") == ("cosine", 0.3, 0.9)
    assert RetrievalSettings(sim_min=0.3).band("shot")[0] == "percentile"
    assert RetrievalSettings(model="facebook/contriever").band("shot") == ("cosine", 0.5, 0.9)
    assert RetrievalSettings(retriever="bm25").band("gen") == ("cosine", None, None)
    assert RetrievalSettings(retriever="random", sim_band={"percentile": [1, 2]}).band("gen") \
        == ("cosine", None, None)  # type: ignore[arg-type]  # fmt: skip
    with pytest.raises(ValidationError, match="set either sim_band"):
        RetrievalSettings(sim_band={"percentile": [1, 99]}, sim_min=0.2)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="must be \\[low, high\\]"):
        RetrievalSettings(shot_sim_band={"percentile": [50, 10]})  # type: ignore[arg-type]
