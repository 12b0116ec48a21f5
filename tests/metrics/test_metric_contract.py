from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import ValidationError

from synthesizrr.errors import ConfigError, InputDataError
from synthesizrr.metrics import (
    METRIC_NAMES,
    METRICS,
    MetricResult,
    MetricsSettings,
    compute_metrics,
    get_metric,
)
from synthesizrr.testing import FakeEmbedder

SIGNATURES = {
    "self_bleu": "self_bleu|n:1-5|smooth:method1|tok:ws-lower|sample:all|version:0.1.0",
    "entity_entropy": "entity_entropy|ner:en_core_web_sm|norm:strip|log:2|version:0.1.0",
    "mauve": "mauve|feat:smollm2-last|max:1000|scale:1|buckets:auto|ref:label-matched|kmeans:5"
    "|seed:0|version:0.1.0",
    "label_preservation": "label_preservation|oracle:embed_lr|emb:minilm|seed:0|version:0.1.0",
    "cosine": "cosine|emb:minilm|pairs:all|mean:macro|version:0.1.0",
    "distinct_n": "distinct_n|n:1-4|tok:ws-lower|scope:corpus|version:0.1.0",
    "doc_reuse": "doc_reuse|unit:doc_id|version:0.1.0",
}


def test_registry_and_default_signatures_are_stable() -> None:
    assert set(METRICS) == set(METRIC_NAMES) == set(SIGNATURES)
    for name, sig in SIGNATURES.items():
        assert get_metric(name).signature() == sig
    changed = MetricsSettings(mauve_features="minilm", mauve_scaling=5.0, mauve_num_buckets=25,
                              mauve_kmeans_seeds=1, seed=7)  # fmt: skip
    assert get_metric("mauve", changed).signature() == (
        "mauve|feat:minilm|max:1000|scale:5|buckets:25|ref:label-matched|kmeans:1|seed:7"
        "|version:0.1.0"
    )


def test_settings_reject_unknown_metric_and_keys() -> None:
    with pytest.raises(ValidationError, match="unknown metric 'bleu' at metrics\\[1\\]"):
        MetricsSettings(metrics=["self_bleu", "bleu"])
    with pytest.raises(ValidationError, match="extra"):
        MetricsSettings(self_bleu_n=4)  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="Unknown metric 'bleu'"):
        get_metric("bleu")


def test_input_errors_name_the_argument() -> None:
    metric = get_metric("distinct_n")
    with pytest.raises(InputDataError, match="texts has 2 entries but labels has 1"):
        metric.compute(["a", "b"], ["x"])
    with pytest.raises(InputDataError, match=r"texts\[1\] is int \(5\), expected str"):
        metric.compute(["a", 5])  # type: ignore[list-item]
    with pytest.raises(InputDataError, match="single string"):
        metric.compute("abc")
    with pytest.raises(InputDataError, match="texts is empty"):
        metric.compute([])
    with pytest.raises(InputDataError, match=r"doc_ids\[0\] is int"):
        metric.compute(["a"], doc_ids=[3])  # type: ignore[list-item]


def test_compute_metrics_skips_missing_inputs_and_shares_embeddings() -> None:
    texts = [f"synthetic text number {i}" for i in range(30)]
    labels = ["a", "b", "c"] * 10
    train = [f"real train text {i}" for i in range(30)]
    settings = MetricsSettings(metrics=["cosine", "label_preservation", "mauve", "doc_reuse"])
    fake = FakeEmbedder(name="minilm")
    cache = fake.cached()
    results = compute_metrics(
        settings, texts, labels, train_texts=train, train_labels=labels, cache=cache
    )
    assert list(results) == ["cosine", "label_preservation", "mauve", "doc_reuse"]
    assert results["mauve"].details == {"skipped": "no real_texts given"}
    assert results["mauve"].value is None and results["mauve"].skipped
    assert results["doc_reuse"].details == {"skipped": "no doc_ids given"}
    assert results["cosine"].value is not None
    assert results["label_preservation"].value is not None
    assert sorted(fake.texts) == sorted(texts + train)  # every text embedded exactly once
    assert cache.n_encoded == 60


def test_result_serializes() -> None:
    result = get_metric("distinct_n", MetricsSettings(distinct_max_n=1)).compute(["a b a"])
    assert result.to_dict() == {
        "name": "distinct_n",
        "value": 2 / 3,
        "details": {"1": 2 / 3, "total_1": 3},
        "signature": "distinct_n|n:1-1|tok:ws-lower|scope:corpus|version:0.1.0",
        "higher_is_better": True,
        "ci": None,
    }
    assert MetricResult.model_validate(result.to_dict()) == result
    assert (
        str(result)
        == "distinct_n = 0.6667 (distinct_n|n:1-1|tok:ws-lower|scope:corpus|version:0.1.0)"
    )


def test_import_is_light(heavy_after_import: Callable[[list[str], set[str]], list[str]]) -> None:
    heavy = {"torch", "llama_cpp", "faiss", "spacy", "ray", "sklearn", "transformers", "mauve",
             "nltk"}  # fmt: skip
    assert heavy_after_import(["synthesizrr.metrics"], heavy) == []
