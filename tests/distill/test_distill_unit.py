from __future__ import annotations

from collections.abc import Callable

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
    assert s.signature() == "kind:embed_lr|model:minilm|C:1|seeds:0,1,2"
    t = StudentSettings(kind="transformer", seeds=[5], max_length=64)
    assert t.signature() == (
        "kind:transformer|model:minilm|lr:2e-05|bs:32|ep:6|wu:0.06|wd:0|maxlen:64|seeds:5"
    )
    assert StudentSettings(kind="tfidf_lr", C=10).signature() == "kind:tfidf_lr|C:10|seeds:0,1,2"


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
    assert rep.accuracy_mean == 1.0 and rep.accuracy_std == 0.0
    assert rep.confusion == [[1, 0, 0], [0, 2, 0], [0, 0, 0]]
    assert rep.train_label_counts == {"sports": 3, "business": 3, "world": 0}
    assert [s.seed for s in rep.per_seed] == [0, 1]
    assert rep.signature == "kind:tfidf_lr|C:1|seeds:0,1|n_train:6|n_test:3"
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
