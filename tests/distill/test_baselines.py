"""The seeds-only baseline: the same student on the seeds alone and on seeds + synthetic."""

from __future__ import annotations

import numpy as np
import pytest

from synthesizrr.distill import StudentSettings, train_and_evaluate
from synthesizrr.distill.baselines import (
    choose_synthetic_weight,
    paired_bootstrap,
    real_ceiling_sentence,
    row_correctness,
    seeds_baseline,
    verdict,
)
from synthesizrr.distill.students import TfidfLRStudent

TFIDF = StudentSettings(kind="tfidf_lr", seeds=[0])


def test_row_correctness_averages_over_training_runs() -> None:
    y = np.array([0, 1, 1, 0])
    preds = [np.array([0, 1, 0, 1]), np.array([0, 0, 0, 0])]
    assert row_correctness(preds, y).tolist() == [1.0, 0.5, 0.0, 0.5]
    with pytest.raises(ValueError, match="at least one training run"):
        row_correctness([], y)


def test_paired_bootstrap_matches_a_hand_loop() -> None:
    a = np.array([1, 1, 0, 1, 0, 1, 1, 0], dtype=float)
    b = np.array([0, 1, 0, 0, 0, 1, 0, 0], dtype=float)
    diff, (lo, hi) = paired_bootstrap(a, b, resamples=500, seed=3)
    assert diff == 0.375  # 5/8 - 2/8
    rng = np.random.default_rng(3)
    means = [float((a - b)[rng.integers(0, 8, size=8)].mean()) for _ in range(500)]
    assert (lo, hi) == tuple(np.percentile(means, [2.5, 97.5]))
    assert lo <= diff <= hi
    # identical students: a zero-width interval at zero
    assert paired_bootstrap(a, a, 100, 0) == (0.0, (0.0, 0.0))
    with pytest.raises(ValueError, match="equal, non-empty"):
        paired_bootstrap(a, b[:3], 10, 0)


def test_paired_bootstrap_chunks_give_the_same_draws() -> None:
    # 2,000,000 // 40,000 = 50 resamples per chunk: 120 resamples need 3 chunks
    rng = np.random.default_rng(0)
    a = rng.integers(0, 2, size=40_000).astype(float)
    b = rng.integers(0, 2, size=40_000).astype(float)
    got = paired_bootstrap(a, b, resamples=120, seed=7)
    r = np.random.default_rng(7)
    idx = r.integers(0, 40_000, size=(120, 40_000))
    means = (a - b)[idx].mean(axis=1)
    assert got[1] == tuple(np.percentile(means, [2.5, 97.5]))


def test_verdict_says_plainly_which_way() -> None:
    assert verdict(0.042, (0.01, 0.075)) == (
        "The synthetic rows help: seeds + synthetic beats the seeds alone "
        "(+4.2 points, 95% CI +1.0 to +7.5)."
    )
    assert verdict(-0.1, (-0.15, -0.05)) == (
        "The synthetic rows hurt: seeds + synthetic is worse than the seeds alone "
        "(-10.0 points, 95% CI -15.0 to -5.0). Train on the seeds alone, or fix the data "
        "before using it."
    )
    assert verdict(0.01, (-0.02, 0.04)).startswith(
        "No clear difference: seeds + synthetic vs the seeds alone is +1.0 points, "
        "95% CI -2.0 to +4.0; the interval includes zero"
    )


# A tiny task a TF-IDF student learns exactly from the right words.
SEEDS = (["goal match", "bank shares"], ["sports", "business"])
GOOD = (
    ["team score league", "coach player season", "market profit price", "investor trade price"],
    ["sports", "sports", "business", "business"],
)
TEST = (
    ["league season team", "player coach score", "profit market trade", "price investor"],
    ["sports", "sports", "business", "business"],
)
LABELS = ["sports", "business"]


def test_good_synthetic_rows_lift_the_seeds_only_student() -> None:
    preds: list[np.ndarray] = []
    syn = train_and_evaluate(TFIDF, *GOOD, *TEST, labels=LABELS, predictions=preds)
    base = seeds_baseline(TFIDF, SEEDS, GOOD, TEST, labels=LABELS, synthetic_predictions=preds,
                          resamples=200, seed=0)  # fmt: skip
    # the seeds share no word with the test rows: the seeds-only student predicts one label
    assert base.seeds_only.n_train == 2 and base.seeds_plus_synthetic.n_train == 6
    assert base.seeds_only_accuracy == 0.5
    assert base.seeds_plus_synthetic_accuracy == 1.0
    assert base.synthetic_only_accuracy == syn.accuracy_mean == 1.0
    assert base.uplift_vs_seeds_only == 0.5
    assert base.synthetic_only_vs_seeds_only == 0.5
    # one label predicted for every row (confusion: one non-zero column)
    (which,) = {j for row in base.seeds_only.confusion for j, n in enumerate(row) if n}
    seeds_right = (np.array([0, 0, 1, 1]) == which).astype(float)
    assert base.uplift_vs_seeds_only_ci == paired_bootstrap(np.ones(4), seeds_right, 200, 0)[1]
    assert base.interval == (
        "95% paired bootstrap over the 4 test rows (200 resamples); training rows fixed"
    )
    assert base.to_dict()["uplift_vs_seeds_only_ci"] == list(base.uplift_vs_seeds_only_ci)
    # by default a synthetic row weighs half a seed
    assert base.synthetic_weight.model_dump() == {"weight": 0.5, "method": "fixed", "folds": None,
        "cv_accuracy": None, "cv_log_loss": None, "reason": None}  # fmt: skip


def test_real_rows_give_the_ceiling_of_the_uplift() -> None:
    # real rows as telling as GOOD lift the seeds just as much; the verdict says so
    base = seeds_baseline(TFIDF, SEEDS, GOOD, TEST, labels=LABELS, real=GOOD, resamples=200,
                          seed=0)  # fmt: skip
    assert base.seeds_plus_real is not None and base.seeds_plus_real.n_train == 6
    assert base.seeds_plus_real_accuracy == 1.0
    assert base.real_uplift_vs_seeds_only == 0.5
    assert base.real_uplift_vs_seeds_only_ci == base.uplift_vs_seeds_only_ci
    assert base.verdict.endswith(" " + real_ceiling_sentence(0.5, base.uplift_vs_seeds_only_ci, 4))
    assert real_ceiling_sentence(0.5, (0.25, 0.75), 4) == (
        "As many real rows (4) would add +50.0 points to the seeds (95% CI +25.0 to +75.0)."
    )
    # real rows that share no word with the test set add nothing: the ceiling is zero
    useless = (["aaa bbb", "ccc ddd", "eee fff", "ggg hhh"], GOOD[1])
    flat = seeds_baseline(TFIDF, SEEDS, GOOD, TEST, labels=LABELS, real=useless,
                          resamples=200, seed=0)  # fmt: skip
    assert flat.real_uplift_vs_seeds_only == 0.0
    assert flat.real_uplift_vs_seeds_only_ci == (0.0, 0.0)
    assert flat.verdict.endswith(
        "Even as many real rows (4) add +0.0 points to the seeds (95% CI +0.0 to +0.0): with "
        "this student and these seeds, rows of this number cannot be told to help, synthetic "
        "or real."
    )
    # without real rows nothing of it is there
    none = seeds_baseline(TFIDF, SEEDS, GOOD, TEST, labels=LABELS, resamples=200, seed=0)
    assert none.seeds_plus_real is None and none.real_uplift_vs_seeds_only is None
    assert "real rows" not in none.verdict


def test_a_clear_uplift_on_a_larger_test_set() -> None:
    test = (TEST[0] * 10, TEST[1] * 10)
    base = seeds_baseline(TFIDF, SEEDS, GOOD, test, labels=LABELS, resamples=1000, seed=0)
    assert base.uplift_vs_seeds_only == 0.5
    lo, hi = base.uplift_vs_seeds_only_ci
    assert 0.3 < lo < 0.5 < hi < 0.7
    assert base.verdict.startswith("The synthetic rows help: seeds + synthetic beats the seeds")


def test_wrong_synthetic_labels_show_a_negative_uplift() -> None:
    swapped = (GOOD[0], ["business", "business", "sports", "sports"])
    seeds = (["team league", "market price"], ["sports", "business"])
    base = seeds_baseline(TFIDF, seeds, swapped, TEST, labels=LABELS, resamples=200, seed=0)
    assert base.seeds_only_accuracy == 1.0
    assert base.seeds_plus_synthetic_accuracy < 1.0
    assert base.uplift_vs_seeds_only == base.seeds_plus_synthetic_accuracy - 1.0
    assert base.uplift_vs_seeds_only_ci[1] <= 0
    assert base.synthetic_only_accuracy is None and base.synthetic_only_vs_seeds_only_ci is None


def test_one_prediction_array_per_training_seed() -> None:
    preds: list[np.ndarray] = []
    rep = train_and_evaluate(StudentSettings(kind="tfidf_lr", seeds=[0, 1]), *GOOD, *TEST,
                             labels=LABELS, predictions=preds)  # fmt: skip
    assert len(preds) == len(rep.per_seed)
    assert [float((p == np.array([0, 0, 1, 1])).mean()) for p in preds] == [
        s.accuracy for s in rep.per_seed
    ]


class _FixedFeatures(TfidfLRStudent):
    """Logistic regression over fixed 2-d points (the text names its point)."""

    POINTS = {"a": [1.0, 0.0], "b": [0.0, 1.0], "c": [0.6, 0.4], "d": [0.3, 0.7]}

    def _features(self, texts, *, fit):  # type: ignore[no-untyped-def, override]
        return np.array([self.POINTS[t] for t in texts])


def test_a_weight_of_two_fits_as_a_duplicated_row() -> None:
    texts, y = ["a", "b", "c", "d"], np.array([0, 1, 0, 1])
    weighted = _FixedFeatures(TFIDF, 2)
    weighted.fit(texts, y, 0, np.array([1.0, 1.0, 2.0, 1.0]))
    duplicated = _FixedFeatures(TFIDF, 2)
    duplicated.fit([*texts, "c"], np.array([0, 1, 0, 1, 0]), 0)
    plain = _FixedFeatures(TFIDF, 2)
    plain.fit(texts, y, 0)
    probe = ["c", "d"]
    np.testing.assert_allclose(
        weighted.predict_proba(probe), duplicated.predict_proba(probe), atol=1e-4
    )
    assert not np.allclose(weighted.predict_proba(probe), plain.predict_proba(probe), atol=1e-3)


def test_unit_weights_change_nothing_and_bad_weights_are_refused() -> None:
    plain = train_and_evaluate(TFIDF.model_copy(update={"bootstrap": 20}), *GOOD, *TEST,
                               labels=LABELS)  # fmt: skip
    ones = train_and_evaluate(TFIDF.model_copy(update={"bootstrap": 20}), *GOOD, *TEST,
                              labels=LABELS, sample_weight=[1.0] * 4)  # fmt: skip
    assert ones.accuracy_mean == plain.accuracy_mean
    assert ones.accuracy_ci == plain.accuracy_ci
    for bad in ([1.0] * 3, [1.0, -1.0, 1.0, 1.0], [0.0] * 4, [1.0, float("nan"), 1.0, 1.0]):
        with pytest.raises(ValueError, match="sample_weight needs 4 finite, non-negative"):
            train_and_evaluate(TFIDF, *GOOD, *TEST, labels=LABELS, sample_weight=bad)


# Seeds a TF-IDF student learns from; synthetic rows whose words say the opposite label.
CV_SEEDS = (
    ["team goal", "team match", "team league", "coach goal", "bank price", "bank market",
     "bank trade", "shares price"],
    ["sports"] * 4 + ["business"] * 4,
)  # fmt: skip
CV_GOOD = (["team coach goal league", "bank market price shares"], ["sports", "business"])
CV_WRONG = (
    ["team goal match league coach"] * 3 + ["bank price market trade shares"] * 3,
    ["business"] * 3 + ["sports"] * 3,
)


def test_auto_keeps_full_weight_for_rows_that_agree_with_the_seeds() -> None:
    choice = choose_synthetic_weight(TFIDF, CV_SEEDS, CV_GOOD, labels=LABELS, seed=0)
    assert choice.method == "cross_validated" and choice.folds == 4
    assert choice.cv_accuracy is not None
    assert set(choice.cv_accuracy) == {"0", "0.1", "0.25", "0.5", "1"}
    assert choice.cv_accuracy["1"] == 1.0
    assert choice.weight == 1.0  # every weight ties at 1.0: the tie goes to the larger one


def test_auto_weighs_down_rows_that_contradict_the_seeds() -> None:
    choice = choose_synthetic_weight(TFIDF, CV_SEEDS, CV_WRONG, labels=LABELS, seed=0)
    assert choice.cv_accuracy is not None
    assert choice.cv_accuracy["1"] < choice.cv_accuracy[f"{choice.weight:g}"]
    assert choice.weight < 1.0
    test = (["goal league", "match coach", "price trade", "market shares"],
            ["sports", "sports", "business", "business"])  # fmt: skip
    base = seeds_baseline(TFIDF, CV_SEEDS, CV_WRONG, test, labels=LABELS,
                          synthetic_weight="auto", resamples=100, seed=0)  # fmt: skip
    assert base.synthetic_weight == choice
    full = seeds_baseline(TFIDF, CV_SEEDS, CV_WRONG, test, labels=LABELS, resamples=100,
                          synthetic_weight=1.0, seed=0)  # fmt: skip
    assert full.synthetic_weight.method == "fixed" and full.synthetic_weight.weight == 1.0
    assert base.seeds_plus_synthetic_accuracy > full.seeds_plus_synthetic_accuracy


def test_auto_says_why_it_did_not_cross_validate() -> None:
    one_seed = choose_synthetic_weight(TFIDF, SEEDS, GOOD, labels=LABELS)
    assert (one_seed.weight, one_seed.method) == (1.0, "fixed")
    assert one_seed.reason == "cross-validation needs 2 seeds of every label and 2 labels"
    tuned = choose_synthetic_weight(
        StudentSettings(kind="transformer"), CV_SEEDS, CV_GOOD, labels=LABELS
    )
    assert (tuned.weight, tuned.method) == (1.0, "fixed")
    assert tuned.reason == "the transformer student would need 4 x k fine-tunes"
