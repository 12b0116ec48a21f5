"""Label preservation: does an oracle trained on real data read the intended label?

The oracle is fit on the real train set (``embed_lr``: the shared embedder + logistic
regression; ``tfidf_lr``: word 1-2-gram tf-idf + logistic regression; ``transformer``: the
encoder ``oracle_model`` fine-tuned on the train set, the stronger and slower choice) and
predicts a label for each synthetic text; the score is the share of predictions equal to
the intended label, overall and per intended label. Synthetic labels absent from the
train set count as wrong and are listed under ``unknown_labels``.

A label-preservation number means little without the oracle's own quality, so every
result carries ``oracle_accuracy``: the oracle's accuracy on held-out real rows, the real
test set where one is given (``oracle_heldout: "test"``), else 5-fold stratified
cross-validation over the train set (``"cv5"``; the transformer oracle is not refit per
fold, so it reports only against a test set).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from synthesizrr.errors import require
from synthesizrr.metrics.base import Metric, MetricInputs, MetricResult, register

log = logging.getLogger(__name__)

#: texts -> predicted labels of a fitted oracle.
Predictor = Callable[[list[str]], np.ndarray]


@register
class LabelPreservation(Metric):
    """Headline = oracle accuracy against the intended labels (higher is better)."""

    name = "label_preservation"
    higher_is_better = True
    needs = ("labels", "train_texts", "train_labels")

    def signature_fields(self) -> dict[str, str]:
        s = self.settings
        model = {"embed_lr": s.embedder, "tfidf_lr": "none", "transformer": s.oracle_model}
        return {"oracle": s.oracle, "emb": model[s.oracle], "seed": str(s.seed)}

    def missing(self, inputs: MetricInputs) -> str | None:
        reason = super().missing(inputs)
        if reason is None and inputs.train_labels is not None and len(set(inputs.train_labels)) < 2:
            return "the real train set has fewer than 2 labels; an oracle cannot be trained"
        return reason

    def fit(self, texts: list[str], labels: list[str], progress: bool) -> Predictor:
        """The oracle fit on ``texts``/``labels``: a function texts -> predicted labels."""
        s = self.settings
        names = sorted(set(labels))
        if s.oracle == "transformer":
            from synthesizrr.distill.settings import StudentSettings
            from synthesizrr.distill.students import make_student

            student = make_student(
                StudentSettings(kind="transformer", model=s.oracle_model, seeds=[s.seed],
                                epochs=s.oracle_epochs, max_length=s.oracle_max_length),
                len(names), progress=progress,
            )  # fmt: skip
            index = {lab: i for i, lab in enumerate(names)}
            student.fit(texts, np.array([index[lab] for lab in labels]), s.seed)
            return lambda xs: np.asarray(names, dtype=object)[
                student.predict_proba(xs).argmax(axis=1)
            ]
        lm = require("sklearn.linear_model", "metrics", "The label-preservation oracle")
        clf = lm.LogisticRegression(max_iter=2000, random_state=s.seed)
        if s.oracle == "embed_lr":
            clf.fit(self.cache.encode(texts, progress=progress), np.asarray(labels))
            return lambda xs: np.asarray(clf.predict(self.cache.encode(xs, progress=progress)))
        text = require("sklearn.feature_extraction.text", "metrics", "The tf-idf oracle")
        vec = text.TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        clf.fit(vec.fit_transform(texts), np.asarray(labels))
        return lambda xs: np.asarray(clf.predict(vec.transform(xs)))

    def predict(self, inputs: MetricInputs) -> np.ndarray:
        """Oracle predictions for the synthetic texts."""
        assert inputs.train_texts is not None and inputs.train_labels is not None
        oracle = self.fit(inputs.train_texts, inputs.train_labels, inputs.progress)
        return oracle(inputs.texts)

    def oracle_quality(self, inputs: MetricInputs, oracle: Predictor) -> dict[str, Any]:
        """The oracle's accuracy on held-out real rows (see the module doc)."""
        assert inputs.train_texts is not None and inputs.train_labels is not None
        if inputs.real_texts is not None and inputs.real_labels is not None:
            pred = oracle(inputs.real_texts)
            acc = float(np.mean(pred == np.asarray(inputs.real_labels, dtype=object)))
            return {"oracle_accuracy": acc, "oracle_heldout": "test",
                    "oracle_heldout_n": len(inputs.real_texts)}  # fmt: skip
        if self.settings.oracle == "transformer":
            return {"oracle_accuracy": None, "oracle_heldout": "none (no test set)"}
        ms = require("sklearn.model_selection", "metrics", "The oracle's cross-validation")
        y = np.asarray(inputs.train_labels, dtype=object)
        folds = min(5, int(min(np.unique(y, return_counts=True)[1])))
        if folds < 2:
            return {"oracle_accuracy": None, "oracle_heldout": "none (a label has 1 row)"}
        split = ms.StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.settings.seed)
        right = 0
        texts = inputs.train_texts
        threadpoolctl = require("threadpoolctl", "metrics", "The oracle's cross-validation")
        with threadpoolctl.threadpool_limits(limits=1):  # small fits: BLAS threads contend
            for train_idx, test_idx in split.split(np.zeros(len(y)), y):
                fold = self.fit([texts[i] for i in train_idx], [str(y[i]) for i in train_idx],
                                False)  # fmt: skip
                right += int(np.sum(fold([texts[i] for i in test_idx]) == y[test_idx]))
        return {"oracle_accuracy": right / len(y), "oracle_heldout": f"cv{folds}",
                "oracle_heldout_n": len(y)}  # fmt: skip

    def _compute(self, inputs: MetricInputs) -> MetricResult:
        assert inputs.labels is not None and inputs.train_labels is not None
        assert inputs.train_texts is not None
        oracle = self.fit(inputs.train_texts, inputs.train_labels, inputs.progress)
        pred = oracle(inputs.texts)
        gold = np.asarray(inputs.labels)
        correct = pred == gold
        per_label = {lab: float(correct[gold == lab].mean()) for lab in sorted(set(inputs.labels))}
        known = set(inputs.train_labels)
        unknown = Counter(lab for lab in inputs.labels if lab not in known)
        details: dict[str, Any] = {
            "overall": float(correct.mean()),
            **self.oracle_quality(inputs, oracle),
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
        hits = correct.astype(np.float64)
        reps = self.bootstrap(lambda idx: float(hits[idx].mean()), int(hits.size))
        return self.result(details["overall"], details, replicates=reps)
