from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from synthesizrr.distill import StudentSettings, sample_like, train_and_evaluate
from synthesizrr.distill.evaluate import encode_labels, score
from synthesizrr.errors import InputDataError


def test_import_is_light(heavy_after_import: Callable[[list[str], set[str]], list[str]]) -> None:
    heavy = {"torch", "sklearn", "transformers", "datasketch", "faiss", "spacy", "llama_cpp",
             "sentence_transformers"}  # fmt: skip
    assert heavy_after_import(["synthesizrr.distill", "synthesizrr.refine"], heavy) == []


def test_settings_defaults_and_signature() -> None:
    s = StudentSettings()
    assert (s.kind, s.model, s.seeds, s.lr, s.batch_size, s.epochs) == (
        "embed_lr",
        "minilm",
        [0, 1, 2],
        2e-5,
        32,
        6,
    )
    assert (s.warmup_ratio, s.max_length, s.C) == (0.06, 512, 1.0)
    assert s.signature() == "kind:embed_lr|model:minilm|C:1|cw:balanced|seed:0|boot:100"
    t = StudentSettings(kind="transformer", seeds=[5], max_length=64)
    assert t.signature() == (
        "kind:transformer|model:minilm|lr:2e-05|bs:32|ep:6|wu:0.06|wd:0|maxlen:64|seeds:5"
    )
    assert (
        StudentSettings(kind="tfidf_lr", C=10).signature()
        == "kind:tfidf_lr|C:10|cw:balanced|seed:0|boot:100"
    )
    assert (s.seed_dependent, t.seed_dependent) == (False, True)


def test_settings_reject_bad_values() -> None:
    with pytest.raises(ValidationError, match="at least one seed"):
        StudentSettings(seeds=[])
    with pytest.raises(ValidationError, match="distinct"):
        StudentSettings(seeds=[1, 1])
    with pytest.raises(ValidationError, match="Extra inputs"):
        StudentSettings(learning_rate=0.1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        StudentSettings(kind="svm")  # type: ignore[arg-type]


def test_sample_like_exact_counts_order_and_seed() -> None:
    texts = [f"t{i}" for i in range(20)]
    labels = ["a" if i % 2 else "b" for i in range(20)]
    x, y = sample_like(texts, labels, {"a": 3, "b": 2}, seed=0)
    assert len(x) == 5 and y.count("a") == 3 and y.count("b") == 2
    assert [int(t[1:]) for t in x] == sorted(int(t[1:]) for t in x)
    assert all(labels[int(t[1:])] == lab for t, lab in zip(x, y, strict=True))
    assert (x, y) == sample_like(texts, labels, {"b": 2, "a": 3}, seed=0)
    assert x != sample_like(texts, labels, {"a": 3, "b": 2}, seed=1)[0]


def test_sample_like_shortfall() -> None:
    texts, labels = ["x", "y", "z"], ["a", "a", "b"]
    assert sample_like(texts, labels, {"a": 5, "b": 0}, seed=0) == (["x", "y"], ["a", "a"])
    with pytest.raises(InputDataError, match="asked for 5 real rows but only 2 exist"):
        sample_like(texts, labels, {"a": 5}, seed=0, strict=True)


def test_score_matches_hand_computation() -> None:
    acc, f1, cm = score(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 3)
    assert acc == 0.75
    # label 0: p=1 r=.5 f=2/3; label 1: p=2/3 r=1 f=.8; label 2 absent from both
    assert f1 == pytest.approx((2 / 3 + 0.8) / 2)
    assert cm.tolist() == [[1, 1, 0], [0, 2, 0], [0, 0, 0]]


def test_unknown_label_is_named() -> None:
    with pytest.raises(InputDataError, match=r"train_labels\[1\] is 'Weather'"):
        encode_labels(["World", "Weather"], ["World", "Sports"], "train_labels")
    with pytest.raises(InputDataError, match="train_texts has 2 rows but train_labels has 1"):
        train_and_evaluate(StudentSettings(), ["a", "b"], ["x"], ["a"], ["x"], labels=["x"])


def test_tfidf_student_on_handmade_data_is_exact() -> None:
    train = ["goal team match"] * 3 + ["stock market shares"] * 3
    labels = ["sports"] * 3 + ["business"] * 3
    test = ["team goal", "market stock", "shares"]
    rep = train_and_evaluate(
        StudentSettings(kind="tfidf_lr", seeds=[0, 1]),
        train,
        labels,
        test,
        ["sports", "business", "business"],
        labels=["sports", "business", "world"],
    )
    assert rep.accuracy_mean == 1.0 and rep.accuracy_std is None
    assert rep.confusion == [[1, 0, 0], [0, 2, 0], [0, 0, 0]]
    assert rep.train_label_counts == {"sports": 3, "business": 3, "world": 0}
    # deterministic: trained once, a bootstrap interval instead of std over seeds
    assert [s.seed for s in rep.per_seed] == [0]
    assert (rep.accuracy_ci, rep.macro_f1_ci, rep.bootstrap) == ((1.0, 1.0), (1.0, 1.0), 100)
    assert rep.signature == "kind:tfidf_lr|C:1|cw:balanced|seed:0|boot:100|n_train:6|n_test:3"
    assert rep.to_dict()["model"] == "tfidf"


def test_single_label_training_predicts_that_label() -> None:
    rep = train_and_evaluate(
        StudentSettings(kind="tfidf_lr", seeds=[0]),
        ["goal team", "match coach"],
        ["x", "x"],
        ["goal team", "stock market"],
        ["x", "y"],
        labels=["x", "y"],
    )
    assert rep.accuracy_mean == 0.5
    assert rep.confusion == [[1, 0], [1, 0]]


def test_bootstrap_pieces_are_exact() -> None:
    from synthesizrr.distill.bootstrap import stratified_resample
    from synthesizrr.metrics.intervals import normal_interval

    # sd([0.4, 0.6], ddof=1) = 0.141421...; 1.96 * sd = 0.277180...
    assert normal_interval(0.5, [0.4, 0.6]) == pytest.approx((0.2228200, 0.7771800), abs=1e-6)
    y = np.array([0, 0, 0, 1, 1, 2])
    rows = stratified_resample(y, np.random.default_rng(0))
    assert np.bincount(y[rows]).tolist() == [3, 2, 1]  # every label keeps its count
    assert rows.tolist() == sorted(rows.tolist())
    again = stratified_resample(y, np.random.default_rng(0))
    assert rows.tolist() == again.tolist()


def test_bootstrap_interval_matches_a_hand_loop() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from synthesizrr.distill.bootstrap import stratified_resample

    words = ["goal", "team", "match", "stock", "market", "shares", "coach", "bank"]
    rng = np.random.default_rng(3)
    train = [" ".join(rng.choice(words, 3)) for _ in range(24)]
    labels = ["s" if sum(w in t for w in ("goal", "team", "match", "coach")) > 1 else "b"
              for t in train]  # fmt: skip
    labels[:3] = ["b", "s", "b"]  # label noise, so resamples differ
    test = [" ".join(rng.choice(words, 2)) for _ in range(20)]
    gold = ["s" if any(w in t for w in ("goal", "team")) else "b" for t in test]
    settings = StudentSettings(kind="tfidf_lr", bootstrap=30, seeds=[4, 5])
    rep = train_and_evaluate(settings, train, labels, test, gold, labels=["s", "b"])
    y = np.array([0 if lab == "s" else 1 for lab in labels])
    y_test = np.array([0 if lab == "s" else 1 for lab in gold])
    draws = np.random.default_rng(4)
    accs = []
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    x = vec.fit_transform(train)  # the vocabulary of every training row, fit once
    for _ in range(30):  # from scratch: the warm start must not change the solution
        rows = stratified_resample(y, draws)
        clf = LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced")
        clf.fit(x[rows], y[rows])
        accs.append(float((clf.predict(vec.transform(test)) == y_test).mean()))
    half = 1.959963984540054 * np.std(accs, ddof=1)
    assert rep.accuracy_ci == pytest.approx((rep.accuracy_mean - half, rep.accuracy_mean + half),
                                            abs=1e-12)  # fmt: skip
    assert half > 0
    assert rep.bootstrap == 30 and rep.accuracy_std is None and len(rep.per_seed) == 1


def test_seed_dependent_student_reports_std_and_no_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from synthesizrr.distill import evaluate as ev

    class Fake:
        def __init__(self, seed_box: list[int]) -> None:
            self.box = seed_box

        def fit(self, texts: list[str], y: np.ndarray, seed: int) -> None:
            self.box.append(seed)

        def predict_proba(self, texts: list[str]) -> np.ndarray:
            seed = self.box[-1]
            out = np.zeros((len(texts), 2), dtype=np.float32)
            out[: seed + 1, 0] = 1.0  # seed s gets s+1 of the 4 rows right
            out[seed + 1 :, 1] = 1.0
            return out

    seen: list[int] = []
    monkeypatch.setattr(ev, "make_student", lambda *a, **k: Fake(seen))
    settings = StudentSettings(kind="transformer", seeds=[0, 1, 2])
    rep = train_and_evaluate(settings, ["a", "b"], ["x", "y"], ["a"] * 4, ["x"] * 4,
                             labels=["x", "y"])  # fmt: skip
    assert seen == [0, 1, 2]
    assert rep.accuracy_mean == pytest.approx(0.5)
    assert rep.accuracy_std == pytest.approx(np.std([0.25, 0.5, 0.75]))
    assert (rep.accuracy_ci, rep.bootstrap) == (None, 0)


def test_balanced_class_weight_keeps_a_lopsided_set_from_tilting_the_student() -> None:
    """12 rows of one label, 2 of the other: unweighted, every test text goes to the larger
    label; ``class_weight: balanced`` weighs each label by the inverse of its count."""
    train = [f"goal team match player{i}" for i in range(12)]
    train += ["stock market shares", "bank profit rises"]
    labels = ["sports"] * 12 + ["business"] * 2
    test = [
        "market news today",
        "profit news",
        "team news",
        "shares news",
        "goal news",
        "bank news",
    ]
    truth = ["business", "business", "sports", "business", "sports", "business"]

    def run(class_weight: str | None) -> Any:
        settings = StudentSettings(
            kind="tfidf_lr", seeds=[0], bootstrap=0, class_weight=class_weight
        )
        return train_and_evaluate(
            settings, train, labels, test, truth, labels=["sports", "business"]
        )

    plain, balanced = run(None), run("balanced")
    assert plain.confusion == [[2, 0], [4, 0]] and plain.accuracy_mean == pytest.approx(1 / 3)
    assert balanced.confusion == [[2, 0], [0, 4]] and balanced.accuracy_mean == 1.0
    assert plain.signature == "kind:tfidf_lr|C:1|seed:0|boot:0|n_train:14|n_test:6"
    assert balanced.signature == "kind:tfidf_lr|C:1|cw:balanced|seed:0|boot:0|n_train:14|n_test:6"
    with pytest.raises(ValidationError, match="class_weight"):
        StudentSettings(class_weight="inverse")  # type: ignore[arg-type]


def test_class_weight_defaults_to_balanced_and_every_value_enters_the_fingerprint() -> None:
    """The default moved from null to balanced (bench/distill/STUDENT_SETTINGS.md): a run
    evaluated unweighted must evaluate again, so the field is always in the fingerprint."""
    assert StudentSettings().class_weight == "balanced"
    assert StudentSettings().fingerprint_dump()["class_weight"] == "balanced"
    assert StudentSettings(class_weight=None).fingerprint_dump()["class_weight"] is None
