from __future__ import annotations

import itertools

import numpy as np
import pytest

from synthesizrr.metrics import (
    MetricsSettings,
    get_metric,
    mean_cross_cosine,
    mean_pairwise_cosine,
)
from synthesizrr.testing import FakeEmbedder


def test_distinct_n_exact() -> None:
    texts = ["the cat sat", "The cat ran", "a dog"]
    # ws-lower unigrams: the cat sat the cat ran a dog -> 6 unique / 8
    # bigrams: the-cat sat? (the cat)(cat sat)(the cat)(cat ran)(a dog) -> 4 unique / 5
    # trigrams: (the cat sat)(the cat ran) -> 2/2; 4-grams: none -> None
    result = get_metric("distinct_n").compute(texts)
    assert result.details == {
        "1": 6 / 8,
        "total_1": 8,
        "2": 4 / 5,
        "total_2": 5,
        "3": 1.0,
        "total_3": 2,
        "4": None,
        "total_4": 0,
    }
    assert result.value is None
    two = get_metric("distinct_n", MetricsSettings(distinct_max_n=2, tokenizer="ws"))
    assert two.compute(texts).value == 5 / 5  # case kept: "The cat" differs from "the cat"
    assert two.signature() == "distinct_n|n:1-2|tok:ws|scope:corpus|version:0.1.0"


def test_cosine_helpers_equal_brute_force_numpy() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(23, 8))
    y = rng.normal(size=(11, 8))
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    w = y / np.linalg.norm(y, axis=1, keepdims=True)
    pairs = [u[i] @ u[j] for i, j in itertools.combinations(range(23), 2)]
    assert mean_pairwise_cosine(x) == pytest.approx(np.mean(pairs), abs=1e-12)
    assert mean_cross_cosine(x, y) == pytest.approx((u @ w.T).mean(), abs=1e-12)
    assert mean_pairwise_cosine(x[:1]) is None
    assert mean_cross_cosine(x[:0], y) is None


def test_cosine_metric_per_label_exact() -> None:
    texts = [f"text {i}" for i in range(9)]
    labels = ["a", "b", "c"] * 3
    cache = FakeEmbedder().cached()
    result = get_metric("cosine", cache=cache).compute(texts, labels)
    v = FakeEmbedder().encode(texts).astype(np.float64)
    sim = v @ v.T
    lab = np.array(labels)

    def intra(name: str) -> float:
        idx = np.nonzero(lab == name)[0]
        return float(np.mean([sim[i, j] for i, j in itertools.combinations(idx, 2)]))

    for name in "abc":
        assert result.details["intra"][name] == pytest.approx(intra(name), abs=1e-6)
    ab = sim[np.ix_(lab == "a", lab == "b")].mean()
    assert result.details["inter"]["a|b"] == pytest.approx(ab, abs=1e-6)
    assert set(result.details["inter"]) == {"a|b", "a|c", "b|c"}
    assert result.value == pytest.approx(np.mean([intra(n) for n in "abc"]), abs=1e-6)


def test_doc_reuse_exact() -> None:
    doc_ids = ["d1", "d1", "d2", None, "d3", "d3", "d3"]
    labels = ["x", "y", "x", "x", "x", "x", "x"]
    result = get_metric("doc_reuse").compute(["t"] * 7, labels, doc_ids=doc_ids)
    assert result.value == 2 / 3
    assert result.details == {
        "n_rows_with_doc": 6,
        "n_docs": 3,
        "n_docs_reused": 2,
        "rows_per_doc": 2.0,
        "max_rows_per_doc": 3,
        "rows_on_reused_docs": 5 / 6,
        "docs_multi_label": 1 / 3,
    }


def test_doc_reuse_skipped_without_documents() -> None:
    metric = get_metric("doc_reuse")
    assert metric.compute(["a", "b"]).details == {"skipped": "no doc_ids given"}
    fewgen = metric.compute(["a", "b"], doc_ids=[None, None])
    assert fewgen.value is None
    assert "no row has a document id" in fewgen.details["skipped"]
