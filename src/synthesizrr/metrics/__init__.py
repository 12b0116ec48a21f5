"""Dataset quality metrics under one contract (sacrebleu-style).

    from synthesizrr.metrics import MetricsSettings, compute_metrics, get_metric
    results = compute_metrics(MetricsSettings(), texts, labels, real_texts=..., ...)
    results["self_bleu"].value, results["self_bleu"].signature

Metrics (:data:`METRICS`): self_bleu, entity_entropy, mauve, label_preservation, cosine,
distinct_n, doc_reuse. Importing this package loads only numpy and pydantic; spaCy,
torch, mauve, faiss and scikit-learn are imported when a metric runs.
"""

from __future__ import annotations

from synthesizrr.metrics.base import (
    METRICS,
    Metric,
    MetricInputs,
    MetricResult,
    check_inputs,
    get_metric,
    register,
)
from synthesizrr.metrics.compute import compute_metrics
from synthesizrr.metrics.cosine import Cosine, mean_cross_cosine, mean_pairwise_cosine
from synthesizrr.metrics.distinct import DistinctN
from synthesizrr.metrics.doc_reuse import DocReuse
from synthesizrr.metrics.entities import EntityEntropy, entity_entropies, shannon_entropy
from synthesizrr.metrics.label_preservation import LabelPreservation
from synthesizrr.metrics.mauve_score import Mauve, mauve_from_features
from synthesizrr.metrics.self_bleu import SelfBleu, self_bleu_nltk, self_bleu_scores
from synthesizrr.metrics.settings import METRIC_NAMES, MetricsSettings

__all__ = [
    "METRICS",
    "METRIC_NAMES",
    "Cosine",
    "DistinctN",
    "DocReuse",
    "EntityEntropy",
    "LabelPreservation",
    "Mauve",
    "Metric",
    "MetricInputs",
    "MetricResult",
    "MetricsSettings",
    "SelfBleu",
    "check_inputs",
    "compute_metrics",
    "entity_entropies",
    "get_metric",
    "mauve_from_features",
    "mean_cross_cosine",
    "mean_pairwise_cosine",
    "register",
    "self_bleu_nltk",
    "self_bleu_scores",
    "shannon_entropy",
]
