"""Seed-only label check: does a generated row read as its intended label?

Every label's centroid is the normalized mean of its seed embeddings. A row's *margin* is
the cosine similarity to its intended label's centroid minus the highest similarity to
any other label's centroid; the row fails when its margin is below ``-tolerance``.

The tolerance is calibrated on the seeds alone (never the real train set beyond them):
each seed is scored against centroids built without it (leave-one-out), and the
tolerance is set so that a fraction ``seed_flag_rate`` of the seeds would fail. A row that
reads as typically as a seed of its label passes; one that reads like another label
fails. A cosine tolerance does not depend on how many seeds there are (probabilities of a
classifier trained on the seeds sharpen as seeds are added), so it transfers across runs;
``margin`` fixes it by hand instead. When the seeds themselves are classified no better
than ``min_seed_accuracy`` (leave-one-out), the embeddings do not separate the labels
(MiniLM on sentence sentiment) and the check keeps every row, saying why.

With ``scorer: teacher`` the scores are a GGUF teacher's log-likelihoods of each label
name as the answer to "which label fits this text" (:mod:`.teacher_scores`), calibrated on
the seeds: the label-balanced mean of the seeds' scores is subtracted (each seed's own
calibration is built without it), then margins and the tolerance are as above. Sentence
embeddings barely separate sentiment; a 0.5B instruct teacher reads it well.

With ``scorer: both`` a row fails only when both scorers, each with its own calibrated
tolerance, flag it: two views that err on different rows (the embeddings on sentiment, the
teacher on topics) agree on few correct rows, so the check drops fewer good ones.

Written by hand because no library offers leave-one-out nearest-centroid margins; the
embeddings come from :func:`synthesizrr.embeddings.embed` (the cached door).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from synthesizrr.embeddings import embed as embed_texts
from synthesizrr.errors import ConfigError, InputDataError
from synthesizrr.refine.settings import LabelCheckSettings

log = logging.getLogger(__name__)

Embed = Callable[..., np.ndarray]

#: (texts, label names) -> (n, labels) scores of each label, in the order of the names
#: (``scorer: teacher``; :class:`~synthesizrr.refine.teacher_scores.TeacherScorer`).
LabelScorer = Callable[[Sequence[str], Sequence[str]], np.ndarray]

#: What separates the labels, per scorer (for the message when the seeds say it does not).
_WHAT = {"centroid": "embeddings", "teacher": "teacher's scores"}


@dataclass
class LabelCheck:
    """Per row: ``keep``, ``margin`` and ``scores`` (cosine to each label's centroid, in
    label order); the ``tolerance`` used and how it was chosen; the seeds' own
    leave-one-out accuracy (near chance: the embeddings do not separate the labels)."""

    keep: np.ndarray
    margin: np.ndarray
    scores: np.ndarray
    predicted: list[str]
    tolerance: float
    tolerance_from: str
    seed_loo_accuracy: float | None
    skipped: str | None = None  # why the check kept every row


def _margins(scores: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Score of the intended label minus the best score of any other label."""
    rows = np.arange(len(y))
    own = scores[rows, y]
    other = scores.copy()
    other[rows, y] = -np.inf
    return own - other.max(axis=1)


def _normalize(v: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(norm > 0, norm, 1.0)


def _leave_one_out(vecs: np.ndarray, y: np.ndarray, sums: np.ndarray) -> np.ndarray:
    """(n, L) cosine of each seed to every centroid, its own label's built without it."""
    scores = vecs @ _normalize(sums).T
    counts = np.bincount(y, minlength=sums.shape[0])
    for i, k in enumerate(y):
        scores[i, k] = float(_normalize(sums[k] - vecs[i]) @ vecs[i]) if counts[k] > 1 else np.nan
    return scores


def _calibrate(raw: np.ndarray, y: np.ndarray, n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    """Teacher scores of the seeds, calibrated leave-one-out, and the calibration itself.

    The calibration is the label-balanced mean score of the seeds (the mean over labels of
    each label's seed mean): subtracting it removes a prior for short or frequent label
    names (contextual calibration, with the seeds as the content-free reference). Each seed
    is calibrated by the mean built without it; a label with one seed keeps it in."""
    sums = np.stack([raw[y == k].sum(axis=0) for k in range(n_labels)])
    counts = np.bincount(y, minlength=n_labels).astype(np.float64)
    means = sums / counts[:, None]
    bias = means.mean(axis=0)
    loo = np.empty_like(raw)
    for i, k in enumerate(y):
        # Replacing label k's mean by the one without seed i moves the balanced mean by
        # the difference over the number of labels.
        own = (sums[k] - raw[i]) / (counts[k] - 1) if counts[k] > 1 else means[k]
        loo[i] = raw[i] - (bias + (own - means[k]) / n_labels)
    return loo, bias


def _either(centroid: LabelCheck, teacher: LabelCheck) -> LabelCheck:
    """``scorer: both``: a row is kept when either check keeps it. A scorer whose seeds do
    not separate the labels is left out; with both left out, every row is kept.

    ``margin`` is the larger slack (margin + tolerance) of the two, so the combined
    tolerance is 0; ``scores`` and ``predicted`` are the teacher's."""
    if centroid.skipped and teacher.skipped:
        return LabelCheck(
            keep=np.ones_like(teacher.keep), margin=teacher.margin, scores=teacher.scores,
            predicted=teacher.predicted, tolerance=0.0, tolerance_from="both skipped",
            seed_loo_accuracy=teacher.seed_loo_accuracy,
            skipped=f"centroid: {centroid.skipped}; teacher: {teacher.skipped}",
        )  # fmt: skip
    if centroid.skipped or teacher.skipped:
        used, name = (teacher, "teacher") if centroid.skipped else (centroid, "centroid")
        return replace(
            used, tolerance_from=f"{name} only (the other was skipped): {used.tolerance_from}"
        )
    slack = np.maximum(centroid.margin + centroid.tolerance, teacher.margin + teacher.tolerance)
    return LabelCheck(
        keep=centroid.keep | teacher.keep,
        margin=slack,
        scores=teacher.scores,
        predicted=teacher.predicted,
        tolerance=0.0,
        tolerance_from=f"both: centroid {centroid.tolerance:.4g} ({centroid.tolerance_from}), "
        f"teacher {teacher.tolerance:.4g} ({teacher.tolerance_from})",
        seed_loo_accuracy=teacher.seed_loo_accuracy,
    )


def seed_shortfall(
    seed_labels: Sequence[str], label_names: Sequence[str], settings: LabelCheckSettings
) -> tuple[str, str] | None:
    """(what is missing, the fix) when these seeds cannot run the check, else None: every
    label needs a seed, and, unless ``margin`` fixes the tolerance, two seeds must be
    scorable leave-one-out to calibrate it (a centroid seed needs another of its label).
    ``check_labels`` raises on it; ``enabled: null`` skips the check instead."""
    counts = Counter(seed_labels)
    missing = [lab for lab in label_names if counts[lab] == 0]
    if missing:
        return (
            f"no seed example of label(s) {missing}; the check builds one centroid per "
            "label from the seeds",
            "give every label seeds, or set refine.label_check.enabled to false",
        )
    scorable = (
        len(seed_labels)
        if settings.scorer == "teacher"  # a label with one seed keeps it in its calibration
        else sum(c for c in counts.values() if c > 1)
    )
    if settings.margin is None and scorable < 2:
        return (
            "fewer than 2 seeds have a label with another seed, so the tolerance cannot be "
            "calibrated on the seeds",
            "use at least 2 seeds per label, or set refine.label_check.margin",
        )
    return None


def check_labels(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    seed_texts: Sequence[str],
    seed_labels: Sequence[str],
    label_names: Sequence[str],
    settings: LabelCheckSettings,
    progress: bool = False,
    embed: Embed | None = None,
    teacher: LabelScorer | None = None,
) -> LabelCheck:
    """Score ``texts`` (intended ``labels``) against the seeds' label centroids, or with
    ``teacher`` ((texts, label_names) -> (n, labels) log-likelihoods, in the order of
    ``label_names``) when ``settings.scorer`` is 'teacher', or both ('both': a row fails
    only when both flag it)."""
    names = list(label_names)
    index = {lab: i for i, lab in enumerate(names)}
    short = seed_shortfall(seed_labels, names, settings)
    if short is not None:
        raise InputDataError(f"refine.label_check: {short[0]}.", fix=short[1])
    if settings.scorer != "centroid" and teacher is None:
        raise ConfigError(
            f"refine.label_check.scorer is '{settings.scorer}' but no teacher scorer was passed.",
            fix="pass teacher= (synthesizrr.refine.teacher_scores.TeacherScorer)",
        )
    if settings.scorer == "both":
        one = {
            kind: check_labels(
                texts, labels, seed_texts=seed_texts, seed_labels=seed_labels,
                label_names=names, settings=settings.model_copy(update={"scorer": kind}),
                progress=progress, embed=embed, teacher=teacher,
            )
            for kind in ("centroid", "teacher")
        }  # fmt: skip
        return _either(one["centroid"], one["teacher"])
    seed_y = np.array([index[lab] for lab in seed_labels], dtype=np.int64)
    row_scores: Callable[[], np.ndarray]
    if settings.scorer == "teacher":
        assert teacher is not None
        raw_seeds = teacher(list(seed_texts), names)
        loo, bias = _calibrate(raw_seeds, seed_y, len(names))

        def row_scores() -> np.ndarray:
            return teacher(list(texts), names) - bias

    else:
        encode = embed or embed_texts
        seed_vecs = encode(list(seed_texts), settings.model, progress=progress)
        sums = np.stack([seed_vecs[seed_y == k].sum(axis=0) for k in range(len(names))])
        loo = _leave_one_out(seed_vecs, seed_y, sums)

        def row_scores() -> np.ndarray:
            vecs = encode(list(texts), settings.model, progress=progress)
            out: np.ndarray = vecs @ _normalize(sums).T
            return out

    usable = ~np.isnan(loo).any(axis=1)
    loo_acc = float((loo[usable].argmax(axis=1) == seed_y[usable]).mean()) if usable.any() else None
    if settings.margin is not None:
        tolerance, source = settings.margin, "margin"
    else:  # seed_shortfall made sure at least 2 seeds are usable
        seed_margins = _margins(loo[usable], seed_y[usable])
        tolerance = max(0.0, -float(np.quantile(seed_margins, settings.seed_flag_rate)))
        source = f"seed_flag_rate {settings.seed_flag_rate} over {int(usable.sum())} seeds"
    floor = settings.min_seed_accuracy
    floor = 1.0 / len(names) if floor is None else floor
    skipped = None
    if loo_acc is not None and loo_acc < floor:
        skipped = (
            f"the seeds classify each other only {loo_acc:.0%} right (leave-one-out, "
            f"min_seed_accuracy {floor:.2f}): the {_WHAT[settings.scorer]} do not separate "
            "the labels"
        )
        log.warning("label_check skipped: %s", skipped)
    if not len(texts):
        empty = np.zeros(0)
        return LabelCheck(
            np.zeros(0, dtype=bool), empty, empty.reshape(0, len(names)), [], tolerance,
            source, loo_acc, skipped,
        )  # fmt: skip
    y = np.array([index[lab] for lab in labels], dtype=np.int64)
    scores = row_scores()
    margin = _margins(scores, y)
    return LabelCheck(
        keep=np.ones(len(y), dtype=bool) if skipped else margin >= -tolerance,
        margin=margin,
        scores=scores,
        predicted=[names[k] for k in scores.argmax(axis=1)],
        tolerance=tolerance,
        tolerance_from=source,
        seed_loo_accuracy=loo_acc,
        skipped=skipped,
    )
