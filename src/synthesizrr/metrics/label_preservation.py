"""Label preservation: does an oracle trained on real data read the intended label?

The oracle is fit on the real train set (``embed_lr``: the shared embedder + logistic
regression; ``tfidf_lr``: word 1-2-gram tf-idf + logistic regression) and predicts a
label for each synthetic text; the score is the share of predictions equal to the
intended label, overall and per intended label. Synthetic labels absent from the train
set count as wrong and are listed under ``unknown_labels``.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import numpy as np

from synthesizrr.errors import require
from synthesizrr.metrics.base import Metric, MetricInputs, MetricResult, register

log = logging.getLogger(__name__)


@register
class LabelPreservation(Metric):
    """Headline = oracle accuracy against the intended labels (higher is better)."""

    name = "label_preservation"
    higher_is_better = True
    needs = ("labels", "train_texts", "train_labels")

    def signature_fields(self) -> dict[str, str]:
        s = self.settings
        emb = s.embedder if s.oracle == "embed_lr" else "none"
        return {"oracle": s.oracle, "emb": emb, "seed": str(s.seed)}

    def missing(self, inputs: MetricInputs) -> str | None:
        reason = super().missing(inputs)
        if reason is None and inputs.train_labels is not None and len(set(inputs.train_labels)) < 2:
            return "the real train set has fewer than 2 labels; an oracle cannot be trained"
        return reason

    def predict(self, inputs: MetricInputs) -> np.ndarray:
        """Oracle predictions for the synthetic texts."""
        assert inputs.train_texts is not None and inputs.train_labels is not None
        lm = require("sklearn.linear_model", "metrics", "The label-preservation oracle")
        clf = lm.LogisticRegression(max_iter=2000, random_state=self.settings.seed)
        if self.settings.oracle == "embed_lr":
            x_train = self.cache.encode(inputs.train_texts, progress=inputs.progress)
            x_synth = self.cache.encode(inputs.texts, progress=inputs.progress)
        else:
            text = require("sklearn.feature_extraction.text", "metrics", "The tf-idf oracle")
            vec = text.TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
            x_train = vec.fit_transform(inputs.train_texts)
            x_synth = vec.transform(inputs.texts)
        clf.fit(x_train, np.asarray(inputs.train_labels))
        return np.asarray(clf.predict(x_synth))

    def _compute(self, inputs: MetricInputs) -> MetricResult:
        assert inputs.labels is not None and inputs.train_labels is not None
        pred = self.predict(inputs)
        gold = np.asarray(inputs.labels)
        correct = pred == gold
        per_label = {lab: float(correct[gold == lab].mean()) for lab in sorted(set(inputs.labels))}
        known = set(inputs.train_labels)
        unknown = Counter(lab for lab in inputs.labels if lab not in known)
        details: dict[str, Any] = {
            "overall": float(correct.mean()),
            "per_label": per_label,
            "predicted": dict(sorted(Counter(str(p) for p in pred).items())),
            "unknown_labels": dict(sorted(unknown.items())),
            "n_train": len(inputs.train_labels),
        }
        if unknown:
            log.warning(
                "label_preservation: labels %s are not in the real train set; counted wrong",
                sorted(unknown),
            )
        return self.result(details["overall"], details)
