"""The seed-only label check: golden margins on hand-made vectors, the refine step, and its
precision on real AG News rows whose labels were flipped on purpose."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from synthesizrr.errors import ConfigError, InputDataError
from synthesizrr.refine import CartographySettings, LabelCheckSettings, RefineSettings, refine
from synthesizrr.refine import label_check as lc

VECS = {
    "a1": (1.0, 0.0), "a2": (0.6, 0.8), "a3": (-0.28, 0.96),
    "b1": (0.0, 1.0), "b2": (-0.6, 0.8), "b3": (-0.8, 0.6),
    "x1": (1.0, 0.0), "x2": (0.0, 1.0), "x3": (-0.8, 0.6), "x1 x1": (1.0, 0.0),
    "x2 x2": (0.0, 1.0),
}  # fmt: skip
SEEDS = ["a1", "a2", "a3", "b1", "b2", "b3"]
SEED_LABELS = ["A", "A", "A", "B", "B", "B"]


def embed(texts: Sequence[str], model: str = "minilm", *, progress: bool = False) -> np.ndarray:
    return np.array([VECS[t] for t in texts], dtype=np.float64)


def _check(texts: list[str], labels: list[str], **settings: float) -> lc.LabelCheck:
    return lc.check_labels(
        texts,
        labels,
        seed_texts=SEEDS,
        seed_labels=SEED_LABELS,
        label_names=["A", "B"],
        settings=LabelCheckSettings(enabled=True, **settings),
        embed=embed,
    )


def test_tolerance_is_calibrated_on_leave_one_out_seed_margins() -> None:
    # Centroids: A (0.6, 0.8), B (-0.503871, 0.863779). Leave-one-out seed margins:
    # a1 0.682756, a2 0.611299, a3 -0.791426, b1 -0.092893, b2 0.703870, b3 0.822192;
    # their 10% quantile (linear) is -0.442160, so the tolerance is 0.442160.
    res = _check(["x1", "x2", "x2", "x3"], ["B", "A", "B", "A"])
    assert res.tolerance == pytest.approx(0.442160, abs=1e-6)
    assert res.tolerance_from == "seed_flag_rate 0.1 over 6 seeds"
    assert res.seed_loo_accuracy == pytest.approx(4 / 6)
    np.testing.assert_allclose(res.margin, [-1.103871, -0.063779, 0.063779, -0.921364], atol=1e-6)
    np.testing.assert_allclose(res.scores[0], [0.6, -0.503871], atol=1e-6)
    assert res.keep.tolist() == [False, True, True, False]
    assert res.predicted == ["A", "B", "B", "B"]


def test_a_tolerance_never_goes_below_zero_and_margin_overrides() -> None:
    # The 30% quantile of the seed margins is +0.259 > 0: the tolerance is 0, so a row
    # fails exactly when another label's centroid is nearer.
    res = _check(["x2", "x2"], ["A", "B"], seed_flag_rate=0.3)
    assert res.tolerance == 0.0 and res.keep.tolist() == [False, True]
    fixed = _check(["x2", "x1"], ["A", "B"], margin=0.07)
    assert fixed.tolerance_from == "margin" and fixed.keep.tolist() == [True, False]


def test_seeds_that_do_not_separate_the_labels_skip_the_check() -> None:
    # Leave-one-out the seeds are 4/6 right: above chance (the default floor, 1/2), below 0.75.
    assert _check(["x1"], ["B"], min_seed_accuracy=None).skipped is None  # type: ignore[arg-type]
    res = _check(["x1", "x3"], ["B", "A"], min_seed_accuracy=0.75)
    assert res.keep.tolist() == [True, True]
    assert res.skipped == (
        "the seeds classify each other only 67% right (leave-one-out, min_seed_accuracy "
        "0.75): the embeddings do not separate the labels"
    )
    np.testing.assert_allclose(res.margin, [-1.103871, -0.921364], atol=1e-6)  # still scored
    assert _check(["x1"], ["B"], min_seed_accuracy=0.6).skipped is None


def test_missing_seed_label_and_single_seeds_are_refused() -> None:
    with pytest.raises(InputDataError) as err:
        lc.check_labels(["x1"], ["A"], seed_texts=["a1"], seed_labels=["A"],
                        label_names=["A", "B"], settings=LabelCheckSettings(), embed=embed)  # fmt: skip
    assert str(err.value) == (
        "refine.label_check: no seed example of label(s) ['B']; the check builds one "
        "centroid per label from the seeds. Fix: give every label seeds, or set "
        "refine.label_check.enabled to false"
    )
    one_each = dict(seed_texts=["a1", "b1"], seed_labels=["A", "B"], label_names=["A", "B"])
    with pytest.raises(InputDataError, match="fewer than 2 seeds have a label with another"):
        lc.check_labels(["x1"], ["A"], settings=LabelCheckSettings(), embed=embed, **one_each)
    ok = lc.check_labels(["x1"], ["B"], settings=LabelCheckSettings(margin=0.5), embed=embed,
                         **one_each)  # fmt: skip
    assert ok.keep.tolist() == [False] and ok.seed_loo_accuracy is None


def test_refine_step_records_reason_scores_and_kept_fraction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lc, "embed_texts", embed)
    texts = ["x1", "x2", "x3", "x1 x1", "x2 x2"]  # r4: a B row that reads as B, so B keeps one
    rows = pa.table({"row_id": ["r0", "r1", "r2", "r3", "r4"], "text": texts,
                     "label": ["B", "A", "A", "A", "B"]})  # fmt: skip
    settings = RefineSettings(
        min_words=1,
        near_dup=False,
        cartography=CartographySettings(enabled=False),
        resample="none",
        label_check=LabelCheckSettings(enabled=True),
    )
    with pytest.raises(ConfigError) as err:
        refine(rows, settings, labels=["A", "B"])
    assert str(err.value).startswith("refine.label_check.enabled is true but no seeds")
    res = refine(rows, settings, labels=["A", "B"], seed_texts=SEEDS, seed_labels=SEED_LABELS)
    assert res.kept.column("row_id").to_pylist() == ["r1", "r3", "r4"]
    assert res.removed.column_names == [
        "row_id", "text", "label", "reason", "label_check_margin", "label_check_scores",
    ]  # fmt: skip
    removed = res.removed.to_pylist()
    assert [(r["row_id"], r["reason"]) for r in removed] == [
        ("r0", "label_check:A"),
        ("r2", "label_check:B"),
    ]
    assert removed[0]["label_check_margin"] == pytest.approx(-1.103871, abs=1e-6)
    assert json.loads(removed[0]["label_check_scores"]) == {"A": 0.6, "B": -0.5039}
    info = res.stats["label_check"]
    assert info["status"] == "done"
    assert info["checked"] == 5 and info["kept"] == 3 and info["kept_fraction"] == 0.6
    assert info["tolerance"] == pytest.approx(0.44216, abs=1e-5)
    assert res.stats["kept_fraction"] == 0.6
    assert res.stats["removed_per_reason"] == {"label_check": 2}


def test_rows_removed_by_other_steps_have_null_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lc, "embed_texts", embed)
    rows = pa.table({"row_id": ["r0", "r1"], "text": ["x1", "x1 x1"], "label": ["B", "A"]})
    settings = RefineSettings(
        min_words=2, near_dup=False, cartography=CartographySettings(enabled=False),
        resample="none",
        label_check=LabelCheckSettings(enabled=True, margin=0.0),
    )  # fmt: skip
    res = refine(rows, settings, labels=["A", "B"], seed_texts=SEEDS, seed_labels=SEED_LABELS)
    assert res.removed.to_pylist() == [
        {"row_id": "r0", "text": "x1", "label": "B", "reason": "too_short",
         "label_check_margin": None, "label_check_scores": None},
    ]  # fmt: skip
    assert res.stats["label_check"]["kept_fraction"] == 1.0


AG_LABELS = ["World", "Sports", "Business", "Sci/Tech"]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_precision_on_deliberately_flipped_ag_news_rows(shared_data: Path) -> None:
    """10 seeds per label (train.csv), 400 test rows, 30% of their labels flipped."""
    rng = random.Random(0)
    train = _rows(shared_data / "ag_news" / "train.csv")
    seeds = [
        r for lab in AG_LABELS for r in rng.sample([t for t in train if t["label"] == lab], 10)
    ]
    rows = rng.sample(_rows(shared_data / "ag_news" / "test.csv"), 400)
    flip = set(rng.sample(range(len(rows)), 120))  # exactly 30%
    labels = [
        rng.choice([x for x in AG_LABELS if x != r["label"]]) if i in flip else r["label"]
        for i, r in enumerate(rows)
    ]
    flipped = {f"g{i}" for i in flip}
    table = pa.table({"row_id": [f"g{i}" for i in range(len(rows))],
                      "text": [r["text"] for r in rows], "label": labels})  # fmt: skip
    settings = RefineSettings(
        dedup=False, near_dup=False, min_words=0, cartography=CartographySettings(enabled=False),
        resample="none", label_check=LabelCheckSettings(enabled=True),
    )  # fmt: skip
    res = refine(table, settings, labels=AG_LABELS, seed_texts=[s["text"] for s in seeds],
                 seed_labels=[s["label"] for s in seeds])  # fmt: skip
    caught = set(res.removed.column("row_id").to_pylist())
    precision = len(caught & flipped) / len(caught)
    recall = len(caught & flipped) / len(flipped)
    print(f"label_check on flipped AG News rows: precision {precision:.3f} recall {recall:.3f}")
    assert precision >= 0.8, (precision, recall)
    assert recall >= 0.75, (precision, recall)  # measured 0.836 / 0.850 (bench/label_check)


def test_a_skipped_check_keeps_every_row_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lc, "embed_texts", embed)
    rows = pa.table({"row_id": ["r0", "r1"], "text": ["x1", "x3"], "label": ["B", "A"]})
    settings = RefineSettings(
        min_words=1, near_dup=False, cartography=CartographySettings(enabled=False),
        resample="none", label_check=LabelCheckSettings(enabled=True, min_seed_accuracy=0.75),
    )  # fmt: skip
    res = refine(rows, settings, labels=["A", "B"], seed_texts=SEEDS, seed_labels=SEED_LABELS)
    info = res.stats["label_check"]
    assert (info["status"], info["kept_fraction"], res.removed.num_rows) == ("skipped", 1.0, 0)
    assert info["reason"].startswith("the seeds classify each other only 67% right")
    assert res.removed.column_names[-2:] == ["label_check_margin", "label_check_scores"]


# Raw teacher log-likelihoods (label A, label B) of each text, for scorer: teacher.
RAW = {
    "a1": (-1.0, -3.0), "a2": (-2.0, -2.0), "b1": (-1.0, -2.0), "b2": (-3.0, -1.0),
    "x": (-1.0, -4.0), "y": (-2.0, -2.5), "z": (-2.5, -1.5),
}  # fmt: skip


class FakeTeacher:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: Sequence[str], names: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        order = [["A", "B"].index(n) for n in names]  # RAW holds (A, B)
        return np.array([RAW[t] for t in texts], dtype=np.float64)[:, order]


def test_teacher_scores_are_calibrated_on_the_seeds_leave_one_out() -> None:
    # Seed means: A (-1.5, -2.5), B (-2, -1.5); calibration = their mean (-1.75, -2.0).
    # Each seed is calibrated by the means without it: a1 (1, -1.25), a2 (-0.5, 0.25),
    # b1 (1.25, -0.25), b2 (-1.75, 1.25): margins 2.25, -0.75, -1.5, 3.0, two of four
    # right; their 10% quantile (linear) is -1.275, so the tolerance is 1.275.
    teacher = FakeTeacher()
    res = lc.check_labels(
        ["x", "y", "z"], ["B", "A", "A"],
        seed_texts=["a1", "a2", "b1", "b2"], seed_labels=["A", "A", "B", "B"],
        label_names=["A", "B"],
        settings=LabelCheckSettings(enabled=True, scorer="teacher"),
        teacher=teacher,
    )  # fmt: skip
    assert teacher.calls == [["a1", "a2", "b1", "b2"], ["x", "y", "z"]]
    assert res.tolerance == pytest.approx(1.275)
    assert res.tolerance_from == "seed_flag_rate 0.1 over 4 seeds"
    assert res.seed_loo_accuracy == pytest.approx(0.5)
    np.testing.assert_allclose(res.scores, [[0.75, -2.0], [-0.25, -0.5], [-0.75, 0.5]])
    np.testing.assert_allclose(res.margin, [-2.75, 0.25, -1.25])
    assert res.keep.tolist() == [False, True, True]
    assert res.predicted == ["A", "A", "B"]
    assert res.skipped is None
    # Another label order: the teacher is asked for the labels in that order.
    swapped = lc.check_labels(
        ["x", "y", "z"], ["B", "A", "A"],
        seed_texts=["a1", "a2", "b1", "b2"], seed_labels=["A", "A", "B", "B"],
        label_names=["B", "A"],
        settings=LabelCheckSettings(enabled=True, scorer="teacher"),
        teacher=FakeTeacher(),
    )  # fmt: skip
    np.testing.assert_allclose(swapped.scores, res.scores[:, ::-1])
    assert swapped.keep.tolist() == res.keep.tolist()


def test_teacher_scorer_is_required_and_recorded_in_the_refine_stats() -> None:
    settings = LabelCheckSettings(enabled=True, scorer="teacher")
    with pytest.raises(ConfigError) as err:
        lc.check_labels(["x"], ["A"], seed_texts=["a1", "b1"], seed_labels=["A", "B"],
                        label_names=["A", "B"], settings=settings)  # fmt: skip
    assert str(err.value).startswith("refine.label_check.scorer is 'teacher' but no teacher")
    teacher = FakeTeacher()
    teacher.model = "fake-gguf"  # type: ignore[attr-defined]
    rows = pa.table({"row_id": ["r0", "r1", "r2", "r3"], "text": ["x", "y", "z", "b2"],
                     "label": ["B", "A", "A", "B"]})  # fmt: skip
    res = refine(
        rows,
        RefineSettings(min_words=1, near_dup=False, cartography=CartographySettings(enabled=False),
                       resample="none", label_check=settings),
        labels=["A", "B"], seed_texts=["a1", "a2", "b1", "b2"], seed_labels=["A", "A", "B", "B"],
        teacher=teacher,
    )  # fmt: skip
    assert res.kept.column("row_id").to_pylist() == ["r1", "r2", "r3"]
    removed = res.removed.to_pylist()
    assert [(r["row_id"], r["reason"]) for r in removed] == [("r0", "label_check:A")]
    assert json.loads(removed[0]["label_check_scores"]) == {"A": 0.75, "B": -2.0}
    info = res.stats["label_check"]
    assert (info["method"], info["model"], info["kept"]) == ("teacher_likelihood", "fake-gguf", 3)


# Teacher log-likelihoods (A, B) for the centroid seeds and rows above (scorer: both).
RAW_BOTH = {
    "a1": (-1.0, -3.0), "a2": (-1.0, -2.5), "a3": (-1.5, -2.0),
    "b1": (-3.0, -1.0), "b2": (-2.5, -1.0), "b3": (-2.0, -1.2),
    "x1": (-1.0, -4.0), "x2": (-4.0, -1.0), "x3": (-1.0, -4.0),
}  # fmt: skip


def _both_teacher(texts: Sequence[str], names: Sequence[str]) -> np.ndarray:
    order = [["A", "B"].index(n) for n in names]
    return np.array([RAW_BOTH[t] for t in texts], dtype=np.float64)[:, order]


def _flat_teacher(texts: Sequence[str], names: Sequence[str]) -> np.ndarray:
    return np.zeros((len(texts), len(names)))  # reads nothing: the seeds 3/6 right


def _scored(
    scorer: str, teacher: lc.LabelScorer = _both_teacher, **settings: float
) -> lc.LabelCheck:
    return lc.check_labels(
        ["x1", "x2", "x3"], ["B", "A", "A"], seed_texts=SEEDS, seed_labels=SEED_LABELS,
        label_names=["A", "B"], settings=LabelCheckSettings(enabled=True, scorer=scorer,
                                                            **settings),
        embed=embed, teacher=teacher,
    )  # fmt: skip


def test_scorer_both_drops_only_the_rows_both_scorers_flag() -> None:
    centroid, teacher, both = _scored("centroid"), _scored("teacher"), _scored("both")
    # x1 (as B) reads as A to both; x2 (as A) only to the teacher reads as B; x3 (as A)
    # only to the centroids.
    assert centroid.keep.tolist() == [False, True, False]
    assert teacher.keep.tolist() == [False, False, True]
    assert both.keep.tolist() == [False, True, True]
    slack = np.maximum(centroid.margin + centroid.tolerance, teacher.margin + teacher.tolerance)
    np.testing.assert_allclose(both.margin, slack)
    assert both.tolerance == 0.0 and (both.margin >= 0).tolist() == both.keep.tolist()
    np.testing.assert_allclose(both.scores, teacher.scores)
    assert both.predicted == teacher.predicted == ["A", "B", "A"]
    assert both.tolerance_from == (
        f"both: centroid {centroid.tolerance:.4g} (seed_flag_rate 0.1 over 6 seeds), "
        f"teacher {teacher.tolerance:.4g} (seed_flag_rate 0.1 over 6 seeds)"
    )
    assert both.skipped is None


def test_scorer_both_uses_the_other_scorer_where_one_is_skipped() -> None:
    # The centroids classify the seeds 4/6 right (below 0.75), the teacher 6/6.
    both = _scored("both", min_seed_accuracy=0.75)
    teacher = _scored("teacher", min_seed_accuracy=0.75)
    assert both.skipped is None and both.keep.tolist() == teacher.keep.tolist()
    assert both.tolerance_from == (
        "teacher only (the other was skipped): seed_flag_rate 0.1 over 6 seeds"
    )
    none = _scored("both", _flat_teacher, min_seed_accuracy=0.75)
    assert none.keep.tolist() == [True, True, True]
    assert none.skipped == (
        "centroid: the seeds classify each other only 67% right (leave-one-out, "
        "min_seed_accuracy 0.75): the embeddings do not separate the labels; teacher: the "
        "seeds classify each other only 50% right (leave-one-out, min_seed_accuracy 0.75): "
        "the teacher's scores do not separate the labels"
    )


def test_scorer_both_needs_a_teacher_and_names_both_methods() -> None:
    settings = LabelCheckSettings(enabled=True, scorer="both")
    with pytest.raises(ConfigError) as err:
        lc.check_labels(["x1"], ["A"], seed_texts=SEEDS, seed_labels=SEED_LABELS,
                        label_names=["A", "B"], settings=settings, embed=embed)  # fmt: skip
    assert str(err.value).startswith("refine.label_check.scorer is 'both' but no teacher")


def test_the_refine_summary_names_the_scorers() -> None:
    from synthesizrr.refine.core import _check_method

    teacher = FakeTeacher()
    teacher.model = "fake-gguf"  # type: ignore[attr-defined]
    assert _check_method(LabelCheckSettings(), None) == {
        "method": "seed_centroid", "model": "minilm"}  # fmt: skip
    assert _check_method(LabelCheckSettings(scorer="both"), teacher) == {
        "method": "seed_centroid+teacher_likelihood", "model": "minilm+fake-gguf"}  # fmt: skip


def test_scorer_and_teacher_enter_the_fingerprint_only_when_set() -> None:
    assert "scorer" not in LabelCheckSettings().fingerprint_dump()
    dump = LabelCheckSettings(scorer="teacher", teacher="qwen2.5-coder-0.5b").fingerprint_dump()
    assert dump["scorer"] == "teacher" and dump["teacher"] == "qwen2.5-coder-0.5b"


def test_the_default_checks_where_the_seeds_allow_it_and_says_why_not_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``enabled: null`` (the default): the check runs when every label has a seed and
    some label two; otherwise every row is kept and the summary says why (no error)."""
    monkeypatch.setattr(lc, "embed_texts", embed)
    rows = pa.table({"row_id": ["r0", "r1", "r2", "r3", "r4"],
                     "text": ["x1", "x2", "x3", "x1 x1", "x2 x2"],
                     "label": ["B", "A", "A", "A", "B"]})  # fmt: skip
    settings = RefineSettings(min_words=1, near_dup=False, resample="none",
                              cartography=CartographySettings(enabled=False))  # fmt: skip
    assert settings.label_check.enabled is None
    on = refine(rows, settings, labels=["A", "B"], seed_texts=SEEDS, seed_labels=SEED_LABELS)
    assert on.kept.column("row_id").to_pylist() == ["r1", "r3", "r4"]  # as with enabled: true
    assert on.stats["label_check"]["status"] == "done"
    cases = {
        "no seeds were passed": {},
        "no seed example of label(s) ['B']; the check builds one centroid per label from "
        "the seeds": {"seed_texts": ["a1", "a2"], "seed_labels": ["A", "A"]},
        "fewer than 2 seeds have a label with another seed, so the tolerance cannot be "
        "calibrated on the seeds": {"seed_texts": ["a1", "b1"], "seed_labels": ["A", "B"]},
    }  # fmt: skip
    for reason, seeds in cases.items():
        off = refine(rows, settings, labels=["A", "B"], **seeds)
        assert off.stats["label_check"] == {"status": "skipped", "reason": reason}
        assert off.kept.num_rows == 5
        assert off.removed.column_names == ["row_id", "text", "label", "reason"]
    fixed = settings.model_copy(
        update={"label_check": LabelCheckSettings(margin=0.0)}
    )  # a fixed tolerance needs no calibration: one seed per label is enough
    res = refine(rows, fixed, labels=["A", "B"], seed_texts=["a1", "b1"], seed_labels=["A", "B"])
    assert res.stats["label_check"]["status"] == "done"
    off = settings.model_copy(update={"label_check": LabelCheckSettings(enabled=False)})
    assert refine(rows, off, labels=["A", "B"]).stats["label_check"] == {"status": "disabled"}


def test_a_label_the_check_would_empty_keeps_its_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lc, "embed_texts", embed)
    # Both B rows read as A (x1 sits on A's centroid side); dropping them would leave B
    # without rows and fail the run, so B keeps them; A's row that reads as B still goes.
    rows = pa.table({"row_id": ["r0", "r1", "r2", "r3"], "text": ["x1", "x1 x1", "x3", "x1"],
                     "label": ["B", "B", "A", "A"]})  # fmt: skip
    settings = RefineSettings(min_words=1, dedup=False, near_dup=False, resample="none",
                              cartography=CartographySettings(enabled=False))  # fmt: skip
    res = refine(rows, settings, labels=["A", "B"], seed_texts=SEEDS, seed_labels=SEED_LABELS)
    assert res.kept.column("row_id").to_pylist() == ["r0", "r1", "r3"]
    assert [(r["row_id"], r["reason"]) for r in res.removed.to_pylist()] == [
        ("r2", "label_check:B")
    ]
    info = res.stats["label_check"]
    assert info["spared_labels"] == ["B"] and info["kept"] == 3


def test_seed_shortfall_counts_what_each_scorer_can_calibrate_on() -> None:
    one_each = (["A", "B"], ["A", "B"])
    centroid = lc.seed_shortfall(*one_each, LabelCheckSettings())
    assert centroid is not None and centroid[0].startswith("fewer than 2 seeds")
    # the teacher calibrates a label with one seed on that seed: two seeds are enough
    assert lc.seed_shortfall(*one_each, LabelCheckSettings(scorer="teacher")) is None
    assert lc.seed_shortfall(*one_each, LabelCheckSettings(margin=0.1)) is None
    assert lc.seed_shortfall(["A"], ["A", "B"], LabelCheckSettings(margin=0.1)) == (
        "no seed example of label(s) ['B']; the check builds one centroid per label from the seeds",
        "give every label seeds, or set refine.label_check.enabled to false",
    )
