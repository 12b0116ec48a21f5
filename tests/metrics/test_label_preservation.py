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


def test_oracle_accuracy_on_the_test_set_beside_the_score(
    ag_train: tuple[list[str], list[str]], ag_test: tuple[list[str], list[str]]
) -> None:
    synth, synth_labels = ag_test[0][:50], ag_test[1][:50]
    real, real_labels = ag_test[0][1000:1200], ag_test[1][1000:1200]
    result = get_metric("label_preservation", MetricsSettings(oracle="tfidf_lr")).compute(
        synth, synth_labels, train_texts=ag_train[0], train_labels=ag_train[1],
        real_texts=real, real_labels=real_labels,
    )  # fmt: skip
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    clf = LogisticRegression(max_iter=2000, random_state=0)
    clf.fit(vec.fit_transform(ag_train[0]), ag_train[1])
    expected = float(np.mean(clf.predict(vec.transform(real)) == np.array(real_labels)))
    assert result.details["oracle_accuracy"] == expected
    assert (result.details["oracle_heldout"], result.details["oracle_heldout_n"]) == ("test", 200)


def test_oracle_accuracy_by_cross_validation_without_a_test_set() -> None:
    from sklearn.model_selection import StratifiedKFold

    train = [f"alpha {i}" if i % 2 else f"beta {i}" for i in range(40)]
    labels = ["x" if i % 2 else "y" for i in range(40)]
    settings = MetricsSettings(oracle="tfidf_lr")
    result = get_metric("label_preservation", settings).compute(
        train[:4], labels[:4], train_texts=train, train_labels=labels
    )
    right = 0
    y = np.array(labels)
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(40), y):
        vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        clf = LogisticRegression(max_iter=2000, random_state=0)
        clf.fit(vec.fit_transform([train[i] for i in tr]), y[tr])
        right += int(np.sum(clf.predict(vec.transform([train[i] for i in te])) == y[te]))
    assert result.details["oracle_accuracy"] == right / 40 == 1.0  # 'alpha' vs 'beta'
    assert result.details["oracle_heldout"] == "cv5"


def test_transformer_oracle_is_named_in_the_signature(monkeypatch: pytest.MonkeyPatch) -> None:
    from synthesizrr.distill import students

    class Fake:
        def fit(self, texts: list[str], y: np.ndarray, seed: int) -> None:
            self.first = {t.split()[0]: int(v) for t, v in zip(texts, y, strict=True)}

        def predict_proba(self, texts: list[str]) -> np.ndarray:
            out = np.zeros((len(texts), 2), dtype=np.float32)
            for i, t in enumerate(texts):
                out[i, self.first.get(t.split()[0], 0)] = 1.0
            return out

    made: list[object] = []
    monkeypatch.setattr(students, "make_student",
                        lambda s, n, progress=False: made.append(s) or Fake())  # fmt: skip
    settings = MetricsSettings(oracle="transformer", oracle_model="/models/deberta")
    result = get_metric("label_preservation", settings).compute(
        ["alpha new", "beta new"], ["x", "x"], train_texts=["alpha a", "beta b"],
        train_labels=["x", "y"], real_texts=["alpha c", "beta d"], real_labels=["x", "y"],
    )  # fmt: skip
    assert result.value == 0.5 and result.details["oracle_accuracy"] == 1.0
    assert result.signature.startswith(
        "label_preservation|oracle:transformer|emb:/models/deberta|seed:0|"
    )
    assert [(s.kind, s.model, s.epochs, s.max_length) for s in made] == [  # type: ignore[attr-defined]
        ("transformer", "/models/deberta", 3, 128)
    ]
