"""A 95% bootstrap interval of a student's test scores over its training rows.

``embed_lr`` and ``tfidf_lr`` are deterministic (L-BFGS logistic regression does not use
its seed), so training them once per seed gives std 0.000, which says nothing. What does
vary is the training data: each of ``settings.bootstrap`` resamples draws, within each
label, as many training rows as the label has, with replacement (a stratified bootstrap:
every label keeps its count, so no resample loses a label); a fresh student is fit on the
resample and scored on the same test set. The interval is the normal bootstrap interval
around the score of the student trained on every row: ``score +- 1.96 * sd``, ``sd`` the
standard deviation (ddof 1) of the resampled scores. (Percentiles of the resampled scores
would sit below the score: a resample holds only ~63% distinct rows, so its students are
weaker.) The resamples are drawn from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

log = logging.getLogger(__name__)

#: ``fit_score(train_rows) -> (accuracy, macro_f1)`` for one resample of the training rows.
FitScore = Callable[[np.ndarray], tuple[float, float]]


def stratified_resample(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Row indices of one stratified bootstrap resample of labels ``y`` (ascending)."""
    parts = []
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        parts.append(rng.choice(idx, size=len(idx), replace=True))
    return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def bootstrap_scores(
    y_train: np.ndarray, fit_score: FitScore, resamples: int, seed: int
) -> tuple[list[float], list[float]]:
    """(accuracies, macro-F1s) of students fit on ``resamples`` stratified resamples."""
    rng = np.random.default_rng(seed)
    accs, f1s = [], []
    for _ in range(resamples):
        acc, f1 = fit_score(stratified_resample(y_train, rng))
        accs.append(acc)
        f1s.append(f1)
    return accs, f1s
