from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from synthesizrr.metrics import MetricsSettings, get_metric
from synthesizrr.testing import FakeEmbedder


def test_tfidf_oracle_on_real_ag_news(
    ag_train: tuple[list[str], list[str]], ag_test: tuple[list[str], list[str]]
) -> None:
    texts, labels = ag_test[0][:300], ag_test[1][:300]
    settings = MetricsSettings(oracle="tfidf_lr")
    result = get_metric("label_preservation", settings).compute(
        texts, labels, train_texts=ag_train[0], train_labels=ag_train[1]
    )
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    clf = LogisticRegression(max_iter=2000, random_state=0)
    clf.fit(vec.fit_transform(ag_train[0]), ag_train[1])
    pred = clf.predict(vec.transform(texts))
    gold = np.array(labels)
    assert result.value == float(np.mean(pred == gold))
    for lab in set(labels):
        assert result.details["per_label"][lab] == float(np.mean(pred[gold == lab] == lab))
    assert result.value > 0.6  # a real oracle reads real test texts mostly right
    assert result.signature == "label_preservation|oracle:tfidf_lr|emb:none|seed:0|version:0.1.0"


def test_embed_oracle_and_unknown_labels() -> None:
    train = [f"train {i}" for i in range(40)]
    train_labels = ["x", "y"] * 20
    cache = FakeEmbedder(name="minilm").cached()
    fake = FakeEmbedder()
    synth = train[:6]  # the oracle has seen these, so it predicts their train labels
    result = get_metric("label_preservation", cache=cache).compute(
        synth, ["x", "y", "x", "z", "y", "x"], train_texts=train, train_labels=train_labels
    )
    clf = LogisticRegression(max_iter=2000, random_state=0)
    clf.fit(fake.encode(train), train_labels)
    pred = clf.predict(fake.encode(synth))
    expected = np.mean(pred == np.array(["x", "y", "x", "z", "y", "x"]))
    assert result.value == pytest.approx(expected, abs=0)
    assert result.details["per_label"]["z"] == 0.0
    assert result.details["unknown_labels"] == {"z": 1}


def test_one_label_train_set_is_skipped() -> None:
    result = get_metric("label_preservation").compute(
        ["a"], ["x"], train_texts=["b", "c"], train_labels=["x", "x"]
    )
    assert result.value is None
    assert "fewer than 2 labels" in result.details["skipped"]
