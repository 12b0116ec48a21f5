"""Dataset cartography: training dynamics of a scorer, and the per-label confidence cut.

A scorer returns ``probs`` of shape (epochs, n_rows, n_labels): its predicted distribution
for every training row after every epoch (in-sample, as in the paper). Scorers are
registered by name in :data:`SCORERS`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthesizrr.embeddings import embed
from synthesizrr.errors import require
from synthesizrr.refine.settings import CartographySettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingRows:
    """What a scorer trains on: the texts, their label indices, how many labels, a seed."""

    texts: Sequence[str]
    y: np.ndarray
    n_labels: int
    seed: int
    progress: bool = False


#: ``scorer(settings, rows) -> probs (epochs, rows, labels)``, each row's gold-label odds.
Scorer = Callable[[CartographySettings, TrainingRows], np.ndarray]


def embed_mlp_dynamics(cfg: CartographySettings, rows: TrainingRows) -> np.ndarray:
    """Frozen embeddings + a torch MLP (or linear) head trained with Adam, mini-batches."""
    texts, y, n_labels, seed, progress = rows.texts, rows.y, rows.n_labels, rows.seed, rows.progress
    torch = require("torch", "embed", "The cartography scorer")
    x = torch.from_numpy(embed(texts, cfg.model, progress=progress))
    yt = torch.as_tensor(y, dtype=torch.long)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    dim = x.shape[1]
    head: Any
    if cfg.hidden_size:
        head = torch.nn.Sequential(
            torch.nn.Linear(dim, cfg.hidden_size),
            torch.nn.ReLU(),
            torch.nn.Dropout(0.1),
            torch.nn.Linear(cfg.hidden_size, n_labels),
        )
    else:
        head = torch.nn.Linear(dim, n_labels)
    opt = torch.optim.Adam(head.parameters(), lr=cfg.lr or 1e-3)
    probs = np.zeros((cfg.epochs, len(texts), n_labels), dtype=np.float32)
    for epoch in range(cfg.epochs):
        head.train()
        order = torch.randperm(len(texts), generator=gen)
        for start in range(0, len(texts), cfg.batch_size):
            idx = order[start : start + cfg.batch_size]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(head(x[idx]), yt[idx])
            loss.backward()
            opt.step()
        head.eval()
        with torch.no_grad():
            probs[epoch] = torch.softmax(head(x), dim=-1).numpy()
    return probs


def transformer_dynamics(cfg: CartographySettings, rows: TrainingRows) -> np.ndarray:
    """Fine-tune an HF encoder (paper recipe) and predict all rows after every epoch."""
    texts, y, n_labels, seed = rows.texts, rows.y, rows.n_labels, rows.seed
    from synthesizrr.distill.settings import StudentSettings
    from synthesizrr.distill.transformer import TransformerClassifier

    settings = StudentSettings(
        kind="transformer",
        model=cfg.model,
        seeds=[seed],
        epochs=cfg.epochs,
        lr=cfg.lr or 2e-5,
        batch_size=cfg.batch_size,
        max_length=cfg.max_length,
    )
    probs = np.zeros((cfg.epochs, len(texts), n_labels), dtype=np.float32)

    def record(epoch: int, clf: TransformerClassifier) -> None:
        probs[epoch] = clf.predict_proba(texts)

    TransformerClassifier(settings, n_labels).fit(texts, y, seed, on_epoch_end=record)
    return probs


SCORERS: dict[str, Scorer] = {
    "embed_mlp": embed_mlp_dynamics,
    "transformer": transformer_dynamics,
}


@dataclass(frozen=True)
class DataMap:
    """Per-row training-dynamics statistics, aligned with the scored rows."""

    confidence: np.ndarray
    variability: np.ndarray
    correctness: np.ndarray


def datamap_from_probs(probs: np.ndarray, y: np.ndarray) -> DataMap:
    """Confidence, variability (population std) and correctness from (E, n, L) probs."""
    rows = np.arange(len(y))
    gold = probs[:, rows, y]  # (E, n)
    correct = probs.argmax(axis=2) == y[None, :]
    return DataMap(
        confidence=gold.mean(axis=0).astype(np.float64),
        variability=gold.std(axis=0).astype(np.float64),
        correctness=correct.mean(axis=0).astype(np.float64),
    )


def min_rows_to_filter(keep_fraction: float) -> int:
    """Fewest rows a label needs to be filtered: ``ceil(1 / (1 - keep_fraction))``.

    Below it, dropping even one row would remove more than ``1 - keep_fraction`` of the
    label. ``keep_fraction == 1`` never filters (returned as 0: every label qualifies and
    the threshold, the minimum, keeps every row).
    """
    if keep_fraction >= 1:
        return 0
    return math.ceil(1 / (1 - keep_fraction) - 1e-9)


@dataclass(frozen=True)
class Selection:
    """Which rows cartography keeps, and each label's threshold or why it was not filtered."""

    keep: np.ndarray
    thresholds: dict[int, float]
    skipped: dict[int, str]


def select_confident(confidence: np.ndarray, y: np.ndarray, keep_fraction: float) -> Selection:
    """Keep rows whose confidence reaches their label's ``1 - keep_fraction`` quantile.

    The threshold of a label is ``numpy.quantile(confidence of its rows, 1 - keep_fraction)``
    (linear interpolation), as in the original code; a row is kept when its confidence is
    at least that. Labels with fewer than :func:`min_rows_to_filter` rows are not filtered
    and are returned with the reason.
    """
    keep = np.zeros(len(y), dtype=bool)
    thresholds: dict[int, float] = {}
    skipped: dict[int, str] = {}
    need = min_rows_to_filter(keep_fraction)
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        if len(idx) < need:
            keep[idx] = True
            skipped[int(label)] = (
                f"too few rows to filter: {len(idx)} < {need} = ceil(1 / (1 - keep_fraction)); "
                "all kept"
            )
            continue
        threshold = float(np.quantile(confidence[idx], 1 - keep_fraction))
        thresholds[int(label)] = threshold
        keep[idx] = confidence[idx] >= threshold
    return Selection(keep, thresholds, skipped)
