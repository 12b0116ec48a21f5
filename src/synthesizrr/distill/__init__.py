"""Students: train a classifier on a (synthetic) dataset and evaluate it on real test data.

``train_and_evaluate(settings, train_texts, train_labels, test_texts, test_labels,
labels=...) -> StudentReport``. Student kinds: ``embed_lr`` (default; frozen MiniLM
embeddings + logistic regression), ``tfidf_lr`` and ``transformer`` (fine-tune an HF
encoder with the paper's recipe). ``sample_like`` draws the gold reference's real training
set; :func:`synthesizrr.distill.baselines.seeds_baseline` trains the same student on the
seeds alone and on seeds + synthetic rows (the uplift a user decides on). Importing this
package does not import torch, transformers or scikit-learn.
"""

from __future__ import annotations

from synthesizrr.distill.evaluate import SeedScore, StudentReport, train_and_evaluate
from synthesizrr.distill.sampling import downsample_indices, sample_like
from synthesizrr.distill.settings import StudentKind, StudentSettings

__all__ = [
    "SeedScore",
    "StudentKind",
    "StudentReport",
    "StudentSettings",
    "downsample_indices",
    "sample_like",
    "train_and_evaluate",
]
