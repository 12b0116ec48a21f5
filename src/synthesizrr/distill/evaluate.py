"""Train a student once per seed on (synthetic or real) data and score it on a real test set."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from synthesizrr.distill.settings import StudentSettings
from synthesizrr.distill.students import make_student
from synthesizrr.errors import InputDataError, require
from synthesizrr.metrics.intervals import normal_interval

log = logging.getLogger(__name__)


class SeedScore(BaseModel):
    """Scores of one training run."""

    model_config = ConfigDict(extra="forbid")

    seed: int
    accuracy: float
    macro_f1: float
    train_seconds: float = Field(0.0, description="Wall time of fit + predict.")


class StudentReport(BaseModel):
    """Accuracy and macro-F1 of one student kind over seeds, on a real test set.

    ``macro_f1`` averages F1 over the labels that occur in the test labels or the
    predictions (scikit-learn's default). ``confusion`` is the first seed's matrix,
    rows = true label, columns = predicted label, both in the order of ``labels``.
    ``*_std`` is the population standard deviation over seeds, only for students that vary
    with the seed (``transformer``); the others are trained once and carry ``*_ci``, a 95%
    bootstrap interval over their training rows (see :mod:`synthesizrr.distill.bootstrap`).
    """

    model_config = ConfigDict(extra="forbid")

    kind: str
    model: str
    n_train: int
    n_test: int
    accuracy_mean: float
    accuracy_std: float | None
    macro_f1_mean: float
    macro_f1_std: float | None
    accuracy_ci: tuple[float, float] | None = None
    macro_f1_ci: tuple[float, float] | None = None
    bootstrap: int = Field(0, description="Resamples behind the *_ci intervals (0: none).")
    per_seed: list[SeedScore]
    labels: list[str]
    confusion: list[list[int]]
    train_label_counts: dict[str, int]
    signature: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return self.model_dump(mode="json")


def encode_labels(values: Sequence[str], labels: Sequence[str], field: str) -> np.ndarray:
    """Integer ids of ``values`` in ``labels``; unknown values fail with their position."""
    index = {lab: i for i, lab in enumerate(labels)}
    out = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        j = index.get(v)
        if j is None:
            raise InputDataError(
                f"{field}[{i}] is {v!r}, which is not one of the task labels {list(labels)}.",
                fix="map the label to one of the task labels or add it to the task",
            )
        out[i] = j
    return out


def _check_labels(labels: Sequence[str]) -> list[str]:
    labs = list(labels)
    if not labs:
        raise InputDataError("labels is empty.", fix="pass the task's label names")
    dup = sorted({lab for lab in labs if labs.count(lab) > 1})
    if dup:
        raise InputDataError(f"labels has duplicates {dup}.", fix="list each label once")
    return labs


def _check_pair(texts: Sequence[str], labels: Sequence[str], name: str) -> None:
    if len(texts) != len(labels):
        raise InputDataError(
            f"{name}_texts has {len(texts)} rows but {name}_labels has {len(labels)}.",
            fix=f"pass one label per text for the {name} set",
        )
    if len(texts) == 0:
        raise InputDataError(f"The {name} set is empty.", fix=f"pass at least one {name} row")


def _check_weights(weights: Sequence[float] | None, n: int) -> np.ndarray | None:
    if weights is None:
        return None
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0):
        raise ValueError(
            f"sample_weight needs {n} finite, non-negative weights, not all zero "
            f"(got shape {w.shape})"
        )
    return w


def score(y_true: np.ndarray, y_pred: np.ndarray, n_labels: int) -> tuple[float, float, Any]:
    """(accuracy, macro-F1, confusion matrix) with the label order ``0..n_labels-1``."""
    metrics = require("sklearn.metrics", "student", "Student evaluation")
    acc = float(metrics.accuracy_score(y_true, y_pred))
    f1 = float(metrics.f1_score(y_true, y_pred, average="macro", zero_division=0))
    cm = metrics.confusion_matrix(y_true, y_pred, labels=list(range(n_labels)))
    return acc, f1, cm


class _SeedProgress:
    """A rich progress bar over seeds (only built when ``progress=True``)."""

    def __init__(self, kind: str, total: int) -> None:
        from rich.progress import Progress

        self._progress = Progress(transient=True)
        self._task = self._progress.add_task(f"student {kind}", total=total)
        self._progress.start()
        self._started = False

    def advance(self, seed: int) -> None:
        if self._started:
            self._progress.advance(self._task)
        self._started = True
        self._progress.update(self._task, description=f"student seed {seed}")

    def close(self) -> None:
        self._progress.advance(self._task)
        self._progress.stop()


@dataclass(frozen=True)
class _Split:
    """One student's training and test rows, labels as ids in the order of ``labs``."""

    labs: list[str]
    train_list: list[str]
    y_train: np.ndarray
    test_list: list[str]
    y_test: np.ndarray
    weights: np.ndarray | None = None


def _run_seed(
    settings: StudentSettings, split: _Split, seed: int, progress: bool
) -> tuple[SeedScore, list[list[int]], np.ndarray]:
    labs, train_list, y_train = split.labs, split.train_list, split.y_train
    test_list, y_test = split.test_list, split.y_test
    t0 = time.perf_counter()
    student = make_student(settings, len(labs), progress=progress)
    if split.weights is None:  # a student without weights keeps its plain fit(texts, y, seed)
        student.fit(train_list, y_train, seed)
    else:
        student.fit(train_list, y_train, seed, split.weights)
    pred = student.predict_proba(test_list).argmax(axis=1)
    acc, f1, cm = score(y_test, pred, len(labs))
    dt = time.perf_counter() - t0
    log.info(
        "student %s seed %d: accuracy %.4f macro-F1 %.4f (%.1fs)", settings.kind, seed, acc, f1, dt
    )
    scored = SeedScore(seed=seed, accuracy=acc, macro_f1=f1, train_seconds=dt)
    return scored, cm.astype(int).tolist(), pred


def train_and_evaluate(
    settings: StudentSettings,
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    test_texts: Sequence[str],
    test_labels: Sequence[str],
    *,
    labels: Sequence[str],
    progress: bool = False,
    predictions: list[np.ndarray] | None = None,
    sample_weight: Sequence[float] | None = None,
) -> StudentReport:
    """Train ``settings.kind`` once per seed; report mean/std accuracy and macro-F1.

    ``predictions``: if given, each training run's test predictions (label ids in the
    order of ``labels``) are appended to it, for paired comparisons between students.
    ``sample_weight``: one non-negative weight per training row (None: all 1); the
    bootstrap interval resamples rows together with their weights.
    """
    labs = _check_labels(labels)
    _check_pair(train_texts, train_labels, "train")
    _check_pair(test_texts, test_labels, "test")
    y_train = encode_labels(train_labels, labs, "train_labels")
    y_test = encode_labels(test_labels, labs, "test_labels")
    train_list, test_list = list(train_texts), list(test_texts)
    weights = _check_weights(sample_weight, len(train_list))
    split = _Split(labs, train_list, y_train, test_list, y_test, weights)
    per_seed: list[SeedScore] = []
    confusion: list[list[int]] = []
    seeds = settings.seeds if settings.seed_dependent else settings.seeds[:1]
    bar = _SeedProgress(settings.kind, len(seeds)) if progress else None
    try:
        for seed in seeds:
            if bar is not None:
                bar.advance(seed)
            score_seed = _run_seed(settings, split, seed, progress)
            per_seed.append(score_seed[0])
            if predictions is not None:
                predictions.append(score_seed[2])
            if not confusion:
                confusion = score_seed[1]
    finally:
        if bar is not None:
            bar.close()
    accs = np.array([s.accuracy for s in per_seed])
    f1s = np.array([s.macro_f1 for s in per_seed])
    counts = {lab: int((y_train == i).sum()) for i, lab in enumerate(labs)}
    spread: dict[str, Any] = {"accuracy_std": None, "macro_f1_std": None}
    if settings.seed_dependent:
        spread = {"accuracy_std": float(accs.std()), "macro_f1_std": float(f1s.std())}
    elif settings.bootstrap > 1:
        spread.update(_bootstrap(settings, split))
        spread["accuracy_ci"] = normal_interval(float(accs[0]), spread.pop("accs"))
        spread["macro_f1_ci"] = normal_interval(float(f1s[0]), spread.pop("f1s"))
    return StudentReport(
        kind=settings.kind,
        model=settings.model if settings.kind != "tfidf_lr" else "tfidf",
        n_train=len(train_list),
        n_test=len(test_list),
        accuracy_mean=float(accs.mean()),
        macro_f1_mean=float(f1s.mean()),
        **spread,
        per_seed=per_seed,
        labels=labs,
        confusion=confusion,
        train_label_counts=counts,
        signature=f"{settings.signature()}|n_train:{len(train_list)}|n_test:{len(test_list)}",
    )


def _bootstrap(settings: StudentSettings, split: _Split) -> dict[str, Any]:
    """Resampled accuracies and macro-F1s of a seed-independent student, and their count."""
    labs, train_list, y_train = split.labs, split.train_list, split.y_train
    test_list, y_test = split.test_list, split.y_test
    from synthesizrr.distill.bootstrap import bootstrap_scores

    student = make_student(settings, len(labs))
    fast = getattr(student, "resample_predictor", None)
    predict = None
    if fast is not None and len(np.unique(y_train)) > 1:
        predict = fast(train_list, y_train, test_list, settings.seeds[0], split.weights)

    def fit_score(rows: np.ndarray) -> tuple[float, float]:
        if predict is not None:
            pred = predict(rows)
        else:
            fresh = make_student(settings, len(labs))
            args = [[train_list[i] for i in rows], y_train[rows], settings.seeds[0]]
            if split.weights is not None:
                args.append(split.weights[rows])
            fresh.fit(*args)
            pred = fresh.predict_proba(test_list).argmax(axis=1)
        acc, f1, _ = score(y_test, pred, len(labs))
        return acc, f1

    # Small fits: BLAS threads only contend (one resample was ~20x slower with them).
    threadpoolctl = require("threadpoolctl", "student", "The bootstrap interval")
    t0 = time.perf_counter()
    with threadpoolctl.threadpool_limits(limits=1):
        accs, f1s = bootstrap_scores(y_train, fit_score, settings.bootstrap, settings.seeds[0])
    log.info(
        "student %s: %d bootstrap resamples of the training rows, accuracy sd %.4f (%.1fs)",
        settings.kind, settings.bootstrap, float(np.std(accs, ddof=1)), time.perf_counter() - t0,
    )  # fmt: skip
    return {"accs": accs, "f1s": f1s, "bootstrap": settings.bootstrap}
