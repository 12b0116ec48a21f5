from __future__ import annotations

import csv
import gzip
import itertools
from pathlib import Path

import numpy as np
import pytest

from synthesizrr.errors import ModelNotAvailableError
from synthesizrr.metrics import MetricsSettings, get_metric, mauve_from_features
from synthesizrr.testing import FakeEmbedder


def gaussian(text: str) -> np.ndarray:
    """'p...' and 'q...' texts: standard normal; 'far...' texts: mean shifted by 8."""
    rng = np.random.default_rng(int(text.split("-")[1]) + (10_000 if text[0] == "q" else 0))
    return rng.normal(size=12) + (8.0 if text.startswith("far") else 0.0)


def gaussian_embedder() -> FakeEmbedder:
    return FakeEmbedder(12, name="minilm", features=gaussian)


def test_identical_distributions_score_high_disjoint_low() -> None:
    rng = np.random.default_rng(0)
    p = rng.normal(size=(300, 12))
    same = mauve_from_features(p, rng.normal(size=(300, 12)))
    far = mauve_from_features(p, rng.normal(size=(300, 12)) + 8.0)
    assert same > 0.9
    assert far < 0.1


def test_metric_overall_and_per_label_with_equal_sizes() -> None:
    real = [f"p-{i}" for i in range(200)]
    real_labels = ["a", "b"] * 100
    synth = [f"q-{i}" for i in range(60)] + [f"far-{i}" for i in range(60)]
    labels = ["a"] * 60 + ["b"] * 60
    cache = gaussian_embedder().cached()
    result = get_metric("mauve", MetricsSettings(seed=1), cache=cache).compute(
        synth, labels, real_texts=real, real_labels=real_labels
    )
    assert result.details["n_samples"] == 120
    assert result.details["per_label_n"] == {"a": 60, "b": 60}
    assert result.details["per_label"]["a"] > 0.9
    assert result.details["per_label"]["b"] < 0.1
    assert result.details["skipped_labels"] == {}
    again = get_metric("mauve", MetricsSettings(seed=1), cache=cache).compute(
        synth, labels, real_texts=real, real_labels=real_labels
    )
    assert again == result  # seeded


def test_small_labels_are_listed_not_scored() -> None:
    cache = gaussian_embedder().cached()
    result = get_metric("mauve", MetricsSettings(mauve_min_samples=10), cache=cache).compute(
        [f"q-{i}" for i in range(25)],
        ["a"] * 20 + ["b"] * 5,
        real_texts=[f"p-{i}" for i in range(40)],
        real_labels=["a", "b"] * 20,
    )
    assert set(result.details["per_label"]) == {"a"}
    assert result.details["skipped_labels"] == {"b": "20 real, 5 synthetic texts"}


def test_too_few_texts_overall_is_skipped_by_default() -> None:
    cache = gaussian_embedder().cached()
    result = get_metric("mauve", cache=cache).compute(
        [f"q-{i}" for i in range(21)], ["a"] * 21,
        real_texts=[f"p-{i}" for i in range(40)], real_labels=["a"] * 40,
    )  # fmt: skip
    assert result.value is None
    assert "MAUVE needs >= 50 texts per side" in result.details["skipped"]


def test_gpt2_features_offline_fail_with_model_not_available(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    metric = get_metric(
        "mauve", MetricsSettings(mauve_features="gpt2-not-cached-anywhere", mauve_min_samples=10)
    )
    with pytest.raises(ModelNotAvailableError, match="gpt2-not-cached-anywhere"):
        metric.compute(["a text"] * 12, real_texts=["b text"] * 12)


@pytest.mark.slow
def test_real_minilm_news_vs_news_and_reviews(shared_data: Path) -> None:
    """About 1-2 minutes on 2 busy cores (300 MiniLM embeddings)."""
    with (shared_data / "ag_news" / "test.csv").open(newline="") as fh:
        news = [r["text"] for r in csv.DictReader(fh)][:200]
    with gzip.open(shared_data / "imdb" / "test.csv.gz", "rt", newline="") as fh:
        reviews = [r["text"][:600] for r in itertools.islice(csv.DictReader(fh), 100)]
    metric = get_metric("mauve")
    same = metric.compute(news[100:], real_texts=news[:100]).value
    other = metric.compute(reviews, real_texts=news[:100]).value
    assert same is not None and other is not None
    assert same > 0.9
    assert other < 0.1


def test_real_side_is_one_pool_of_max_samples() -> None:
    fake = gaussian_embedder()
    cache = fake.cached()
    settings = MetricsSettings(mauve_max_samples=40, mauve_min_samples=10)
    result = get_metric("mauve", settings, cache=cache).compute(
        [f"q-{i}" for i in range(100)],
        ["a", "b"] * 50,
        real_texts=[f"p-{i}" for i in range(500)],
        real_labels=["a", "b"] * 250,
    )
    real_sent = [t for t in fake.texts if t.startswith("p-")]
    assert len(real_sent) == len(set(real_sent)) == 40
    assert result.details["real_pool"] == 40
    assert result.details["n_samples"] == 40
    assert sum(result.details["per_label_n"].values()) == 40
