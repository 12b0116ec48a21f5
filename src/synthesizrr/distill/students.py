"""The student contract and its three implementations.

A student maps texts to label probabilities: ``fit(texts, y, seed, sample_weight=None)``
with integer labels ``0..n_labels-1`` (and optionally one non-negative weight per row),
then ``predict_proba(texts) -> float32 (n, n_labels)``. Students are
registered by kind in :data:`STUDENTS`; the evaluation loop never branches on the kind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from synthesizrr.distill.settings import StudentSettings
from synthesizrr.embeddings import embed
from synthesizrr.errors import require

log = logging.getLogger(__name__)


class Student(Protocol):
    """What every student kind implements."""

    def fit(
        self,
        texts: Sequence[str],
        y: np.ndarray,
        seed: int,
        sample_weight: np.ndarray | None = None,
    ) -> None: ...

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray: ...


def _full_proba(proba: np.ndarray, classes: np.ndarray, n_labels: int) -> np.ndarray:
    """Spread a classifier's columns (its seen classes) into all ``n_labels`` columns."""
    out = np.zeros((proba.shape[0], n_labels), dtype=np.float32)
    out[:, classes] = proba
    return out


class _LogRegStudent:
    """Logistic regression over features from ``_features``; one class seen -> constant."""

    def __init__(self, settings: StudentSettings, n_labels: int) -> None:
        self.settings = settings
        self.n_labels = n_labels
        self._clf: Any = None
        self._constant: int | None = None

    def _features(self, texts: Sequence[str], *, fit: bool) -> Any:
        raise NotImplementedError

    def _lr_args(self, seed: int) -> dict[str, Any]:
        s = self.settings
        return {"C": s.C, "max_iter": s.max_iter, "random_state": seed,
                "class_weight": s.class_weight}  # fmt: skip

    def fit(
        self,
        texts: Sequence[str],
        y: np.ndarray,
        seed: int,
        sample_weight: np.ndarray | None = None,
    ) -> None:
        lm = require("sklearn.linear_model", "student", "The logistic-regression student")
        classes = np.unique(y)
        if len(classes) < 2:
            log.warning("Student trained on one label only (%s): it predicts that label", classes)
            self._constant = int(classes[0]) if len(classes) else 0
            return
        self._constant = None
        x = self._features(texts, fit=True)
        self._clf = lm.LogisticRegression(**self._lr_args(seed))
        self._clf.fit(x, y, sample_weight=sample_weight)

    def resample_predictor(
        self,
        texts: Sequence[str],
        y: np.ndarray,
        test_texts: Sequence[str],
        seed: int,
        sample_weight: np.ndarray | None = None,
    ) -> Callable[[np.ndarray], np.ndarray]:
        """``predict(rows) -> test labels`` of this student refit on training rows ``rows``.

        Features are computed once (the tf-idf vocabulary from all of ``texts``); each call
        refits only the logistic regression, warm-started from the fit on every row. The
        L2-regularized objective is strictly convex, so the warm start changes the time to
        converge, not the solution (up to the solver's tolerance).
        """
        lm = require("sklearn.linear_model", "student", "The logistic-regression student")
        x, x_test = self._features(texts, fit=True), self._features(test_texts, fit=False)
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        full = lm.LogisticRegression(**self._lr_args(seed)).fit(x, y, sample_weight=w)

        def predict(rows: np.ndarray) -> np.ndarray:
            clf = lm.LogisticRegression(**self._lr_args(seed), warm_start=True)
            clf.coef_, clf.intercept_ = full.coef_.copy(), full.intercept_.copy()
            clf.fit(x[rows], y[rows], sample_weight=None if w is None else w[rows])
            return np.asarray(clf.predict(x_test))

        return predict

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if self._constant is not None:
            out = np.zeros((len(texts), self.n_labels), dtype=np.float32)
            out[:, self._constant] = 1.0
            return out
        if self._clf is None:
            raise RuntimeError("predict_proba called before fit")
        proba = self._clf.predict_proba(self._features(texts, fit=False))
        return _full_proba(proba, self._clf.classes_, self.n_labels)


class TfidfLRStudent(_LogRegStudent):
    """TF-IDF over word unigrams and bigrams (sublinear tf, min_df 1) + logistic regression."""

    def __init__(self, settings: StudentSettings, n_labels: int) -> None:
        super().__init__(settings, n_labels)
        self._vec: Any = None

    def _features(self, texts: Sequence[str], *, fit: bool) -> Any:
        if fit:
            fe = require("sklearn.feature_extraction.text", "student", "The tfidf_lr student")
            self._vec = fe.TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
            return self._vec.fit_transform(list(texts))
        return self._vec.transform(list(texts))


class EmbedLRStudent(_LogRegStudent):
    """Frozen sentence embeddings (cached per process) + logistic regression."""

    def __init__(self, settings: StudentSettings, n_labels: int, *, progress: bool = False):
        super().__init__(settings, n_labels)
        self.progress = progress

    def _features(self, texts: Sequence[str], *, fit: bool) -> Any:
        return embed(texts, self.settings.model, progress=self.progress)


def _transformer(settings: StudentSettings, n_labels: int, progress: bool) -> Student:
    from synthesizrr.distill.transformer import TransformerClassifier

    return TransformerClassifier(settings, n_labels)


#: kind -> factory(settings, n_labels, progress) -> Student
STUDENTS: dict[str, Callable[[StudentSettings, int, bool], Student]] = {
    "tfidf_lr": lambda s, n, p: TfidfLRStudent(s, n),
    "embed_lr": lambda s, n, p: EmbedLRStudent(s, n, progress=p),
    "transformer": _transformer,
}


def make_student(settings: StudentSettings, n_labels: int, *, progress: bool = False) -> Student:
    """A fresh, untrained student of ``settings.kind``."""
    return STUDENTS[settings.kind](settings, n_labels, progress)
