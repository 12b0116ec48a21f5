"""The practitioner's baseline: the same student on the seeds alone, and on seeds + synthetic.

A user of this tool has the seeds (the few real labeled rows) and nothing else labeled.
What decides whether the synthetic rows are worth having is whether a student trained on
seeds + synthetic rows beats the same student trained on the seeds alone, on real test
data. :func:`seeds_baseline` trains both and reports the difference (the *uplift*) with a
95% interval.

The interval is a paired percentile bootstrap over the **test rows**: both students
predict every test row; each of ``resamples`` resamples draws the test rows with
replacement (``numpy.random.default_rng(seed)``) and takes the difference of the two
mean correctness values. The training rows are held fixed (the seeds the user has, the
synthetic rows this run made), so the interval answers "with these seeds and these rows,
how sure is the test set that the uplift is not zero". Where a student is trained once
per seed, a row's correctness is the fraction of seeds that got it right.

In the seeds + synthetic student each seed weighs 1 and each synthetic row
``synthetic_weight``: a few real rows are worth more than many noisy generated ones.
``"auto"`` picks the weight from :data:`WEIGHT_GRID` by cross-validation **on the seeds
alone** (:func:`choose_synthetic_weight`; the test set never decides it), so the reported
uplift is that of a choice a user without test labels could make too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from synthesizrr.distill.evaluate import StudentReport, encode_labels, train_and_evaluate
from synthesizrr.distill.settings import StudentSettings
from synthesizrr.distill.students import make_student
from synthesizrr.errors import require

#: Resamples of the paired bootstrap.
RESAMPLES = 1000
#: The synthetic rows' weights ``"auto"`` chooses among (each seed weighs 1).
WEIGHT_GRID = (0.1, 0.25, 0.5, 1.0)
#: The default weight of a synthetic row beside a seed: measured in
#: ``bench/distill/SYNTHETIC_WEIGHT.md`` (8 runs: mean uplift +2.7 points at 0.5 vs +2.2
#: at 1; a poor set costs the seeds less).
DEFAULT_SYNTHETIC_WEIGHT = 0.5
#: Most folds of the seeds' cross-validation.
MAX_FOLDS = 5


class WeightChoice(BaseModel):
    """How the synthetic rows' weight was chosen, and each candidate's held-out accuracy.

    ``cv_accuracy`` and ``cv_log_loss`` map each weight of the grid (and ``0``: the seeds
    alone) to the accuracy and the mean log loss on held-out seeds, pooled over ``folds``
    stratified folds of the seeds; the weight with the lowest log loss is chosen.
    ``reason`` says why no cross-validation ran, where it did not.
    """

    model_config = ConfigDict(extra="forbid")

    weight: float
    method: Literal["fixed", "cross_validated"]
    folds: int | None = None
    cv_accuracy: dict[str, float] | None = None
    cv_log_loss: dict[str, float] | None = None
    reason: str | None = None


class SeedsBaseline(BaseModel):
    """The seeds-only and seeds + synthetic students and the uplift between them.

    ``uplift_vs_seeds_only`` = accuracy(seeds + synthetic) - accuracy(seeds only);
    ``synthetic_only_vs_seeds_only`` = accuracy(synthetic only, the run's student) -
    accuracy(seeds only), where the run's student was trained. ``synthetic_weight``: the
    weight of each synthetic row in the seeds + synthetic student and how it was chosen.
    ``*_ci`` are 95% paired bootstrap intervals over the test rows (see the module
    docstring; ``interval`` says it in words). ``verdict`` is one sentence a user can act on.
    """

    model_config = ConfigDict(extra="forbid")

    seeds_only: StudentReport
    seeds_plus_synthetic: StudentReport
    seeds_only_accuracy: float
    seeds_plus_synthetic_accuracy: float
    synthetic_only_accuracy: float | None
    uplift_vs_seeds_only: float
    uplift_vs_seeds_only_ci: tuple[float, float]
    synthetic_only_vs_seeds_only: float | None
    synthetic_only_vs_seeds_only_ci: tuple[float, float] | None
    synthetic_weight: WeightChoice
    #: The same student on the seeds + as many real rows as synthetic ones (same label mix,
    #: same weight), where real train rows other than the seeds were given: what rows as
    #: good as real ones would add, the ceiling to read ``uplift_vs_seeds_only`` against.
    seeds_plus_real: StudentReport | None = None
    seeds_plus_real_accuracy: float | None = None
    real_uplift_vs_seeds_only: float | None = None
    real_uplift_vs_seeds_only_ci: tuple[float, float] | None = None
    resamples: int
    interval: str
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return self.model_dump(mode="json")


def row_correctness(predictions: Sequence[np.ndarray], y_test: np.ndarray) -> np.ndarray:
    """Per test row, the fraction of training runs (seeds) that predicted it right."""
    if not predictions:
        raise ValueError("row_correctness needs the predictions of at least one training run")
    return np.mean([np.asarray(p) == y_test for p in predictions], axis=0)


def paired_bootstrap(
    correct_a: np.ndarray, correct_b: np.ndarray, resamples: int, seed: int
) -> tuple[float, tuple[float, float]]:
    """``mean(a) - mean(b)`` and its 95% percentile interval over resampled test rows."""
    a, b = np.asarray(correct_a, dtype=np.float64), np.asarray(correct_b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError(
            f"paired_bootstrap needs two equal, non-empty rows, got {a.shape}, {b.shape}"
        )
    diff = a - b
    rng = np.random.default_rng(seed)
    means = np.empty(resamples, dtype=np.float64)
    chunk = max(1, 2_000_000 // len(diff))  # bound the index matrix to ~16 MB
    for start in range(0, resamples, chunk):
        n = min(chunk, resamples - start)
        means[start : start + n] = diff[rng.integers(0, len(diff), size=(n, len(diff)))].mean(
            axis=1
        )
    low, high = np.percentile(means, [2.5, 97.5])
    return float(diff.mean()), (float(low), float(high))


def _points(v: float) -> str:
    return f"{v * 100:+.1f}"


def _ci_words(ci: tuple[float, float]) -> str:
    return f"95% CI {_points(ci[0])} to {_points(ci[1])}"


def real_ceiling_sentence(uplift: float, ci: tuple[float, float], n_real: int) -> str:
    """What as many real rows add to the seeds: the most synthetic rows could be expected to."""
    span = f"{_points(uplift)} points to the seeds ({_ci_words(ci)})"
    if ci[0] > 0:
        return f"As many real rows ({n_real}) would add {span}."
    return (
        f"Even as many real rows ({n_real}) add {span}: with this student and these seeds, "
        "rows of this number cannot be told to help, synthetic or real."
    )


def verdict(uplift: float, ci: tuple[float, float]) -> str:
    """One plain sentence on what the uplift and its interval say."""
    span = f"{_points(uplift)} points, {_ci_words(ci)}"
    if ci[0] > 0:
        return f"The synthetic rows help: seeds + synthetic beats the seeds alone ({span})."
    if ci[1] < 0:
        return (
            f"The synthetic rows hurt: seeds + synthetic is worse than the seeds alone "
            f"({span}). Train on the seeds alone, or fix the data before using it."
        )
    return (
        f"No clear difference: seeds + synthetic vs the seeds alone is {span}; the interval "
        "includes zero, so this test set cannot tell whether the synthetic rows help."
    )


def choose_synthetic_weight(
    settings: StudentSettings,
    seeds: tuple[Sequence[str], Sequence[str]],
    synthetic: tuple[Sequence[str], Sequence[str]],
    *,
    labels: Sequence[str],
    grid: Sequence[float] = WEIGHT_GRID,
    seed: int = 0,
) -> WeightChoice:
    """The weight of the grid whose seeds + synthetic student predicts held-out seeds best.

    Stratified k-fold over the seeds (k = the smallest label's seed count, at most
    :data:`MAX_FOLDS`): each fold's student trains on the other seeds (weight 1) and every
    synthetic row (weight ``w``) and predicts the fold's seeds. The weight with the lowest
    mean log loss of the held-out seeds' labels wins: with a few seeds per fold accuracy
    moves in steps of 1/len(seeds) and ties, the log loss tells close students apart. A
    tie goes to the larger weight (the synthetic rows are what the run is for).
    Students that vary with the seed (``transformer``) would need k x len(grid) fine-tunes:
    for them, and where a label has fewer than 2 seeds, the weight is 1 and ``reason``
    says why.
    """
    labs = list(labels)
    y_seed = encode_labels(seeds[1], labs, "seed_labels")
    counts = np.bincount(y_seed, minlength=len(labs))
    folds = int(min(MAX_FOLDS, counts[counts > 0].min())) if len(y_seed) else 0
    reason = None
    if settings.seed_dependent:
        reason = f"the {settings.kind} student would need {len(grid)} x k fine-tunes"
    elif folds < 2 or len(np.unique(y_seed)) < 2:
        reason = "cross-validation needs 2 seeds of every label and 2 labels"
    if reason is not None:
        return WeightChoice(weight=1.0, method="fixed", reason=reason)
    model_selection = require("sklearn.model_selection", "student", "Choosing the weight")
    kfold = model_selection.StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(kfold.split(np.zeros(len(y_seed)), y_seed))
    seed_texts, syn_texts = list(seeds[0]), list(synthetic[0])
    y_syn = encode_labels(synthetic[1], labs, "synthetic_labels")
    accuracy: dict[str, float] = {}
    log_loss: dict[str, float] = {}
    for w in (0.0, *grid):
        n_syn = len(syn_texts) if w > 0 else 0  # weight 0: the seeds alone
        correct, nll = 0, 0.0
        for train_idx, test_idx in splits:
            texts = [seed_texts[i] for i in train_idx] + syn_texts[:n_syn]
            y = np.concatenate([y_seed[train_idx], y_syn[:n_syn]])
            weights = np.concatenate([np.ones(len(train_idx)), np.full(n_syn, w)])
            student = make_student(settings, len(labs))
            student.fit(texts, y, seed, weights)
            proba = student.predict_proba([seed_texts[i] for i in test_idx])
            truth = y_seed[test_idx]
            correct += int((proba.argmax(axis=1) == truth).sum())
            nll -= float(np.log(np.clip(proba[np.arange(len(truth)), truth], 1e-6, 1.0)).sum())
        accuracy[f"{w:g}"] = correct / len(y_seed)
        log_loss[f"{w:g}"] = nll / len(y_seed)
    best = min(grid, key=lambda w: (log_loss[f"{w:g}"], -w))
    return WeightChoice(weight=float(best), method="cross_validated", folds=folds,
                        cv_accuracy=accuracy, cv_log_loss=log_loss)  # fmt: skip


def seeds_baseline(
    settings: StudentSettings,
    seeds: tuple[Sequence[str], Sequence[str]],
    synthetic: tuple[Sequence[str], Sequence[str]],
    test: tuple[Sequence[str], Sequence[str]],
    *,
    labels: Sequence[str],
    synthetic_predictions: Sequence[np.ndarray] | None = None,
    synthetic_weight: float | Literal["auto"] = DEFAULT_SYNTHETIC_WEIGHT,
    real: tuple[Sequence[str], Sequence[str]] | None = None,
    resamples: int = RESAMPLES,
    seed: int = 0,
    progress: bool = False,
) -> SeedsBaseline:
    """Train the student on ``seeds`` and on ``seeds + synthetic``; score both on ``test``.

    Each argument pair is (texts, labels). ``synthetic_predictions``: the test predictions
    of the run's student (trained on the synthetic rows alone), one array per training
    seed, as :func:`~synthesizrr.distill.train_and_evaluate` collects them; with them the
    synthetic-only student is compared with the seeds-only one too. ``synthetic_weight``:
    each synthetic row's weight in the seeds + synthetic student (seeds weigh 1), or
    ``"auto"`` (:func:`choose_synthetic_weight`). ``real``: real train rows that are not
    seeds, as many as the synthetic ones in the same label mix; with them the same student
    is also trained on seeds + real rows (at the synthetic rows' weight), the ceiling of
    the uplift.
    """
    labs = list(labels)
    y_test = encode_labels(test[1], labs, "test_labels")
    if synthetic_weight == "auto":
        choice = choose_synthetic_weight(settings, seeds, synthetic, labels=labs, seed=seed)
    else:
        choice = WeightChoice(weight=float(synthetic_weight), method="fixed")
    both = (list(seeds[0]) + list(synthetic[0]), list(seeds[1]) + list(synthetic[1]))

    def weights(extra: int) -> list[float] | None:  # None, weight 1: the plain fit, bit for bit
        return None if choice.weight == 1.0 else [1.0] * len(seeds[0]) + [choice.weight] * extra

    fits = [(seeds, None), (both, weights(len(synthetic[0])))]
    has_real = real is not None and len(real[0]) > 0
    if real is not None and has_real:
        with_real = (list(seeds[0]) + list(real[0]), list(seeds[1]) + list(real[1]))
        fits.append((with_real, weights(len(real[0]))))
    reports: list[StudentReport] = []
    correct: list[np.ndarray] = []
    for (texts, labels_), sample_weight in fits:
        preds: list[np.ndarray] = []
        rep = train_and_evaluate(settings, texts, labels_, test[0], test[1], labels=labs,
                                 progress=progress, predictions=preds,
                                 sample_weight=sample_weight)  # fmt: skip
        reports.append(rep)
        correct.append(row_correctness(preds, y_test))
    uplift, ci = paired_bootstrap(correct[1], correct[0], resamples, seed)
    syn_acc = syn_diff = syn_ci = None
    if synthetic_predictions:
        syn = row_correctness(synthetic_predictions, y_test)
        syn_acc = float(syn.mean())
        syn_diff, syn_ci = paired_bootstrap(syn, correct[0], resamples, seed)
    real_rep = real_up = real_ci = None
    said = verdict(uplift, ci)
    if has_real:
        real_rep = reports[2]
        real_up, real_ci = paired_bootstrap(correct[2], correct[0], resamples, seed)
        said += " " + real_ceiling_sentence(real_up, real_ci, real_rep.n_train - len(seeds[0]))
    return SeedsBaseline(
        seeds_only=reports[0],
        seeds_plus_synthetic=reports[1],
        seeds_only_accuracy=reports[0].accuracy_mean,
        seeds_plus_synthetic_accuracy=reports[1].accuracy_mean,
        synthetic_only_accuracy=syn_acc,
        uplift_vs_seeds_only=uplift,
        uplift_vs_seeds_only_ci=ci,
        synthetic_only_vs_seeds_only=syn_diff,
        synthetic_only_vs_seeds_only_ci=syn_ci,
        synthetic_weight=choice,
        seeds_plus_real=real_rep,
        seeds_plus_real_accuracy=real_rep.accuracy_mean if real_rep is not None else None,
        real_uplift_vs_seeds_only=real_up,
        real_uplift_vs_seeds_only_ci=real_ci,
        resamples=resamples,
        interval=f"95% paired bootstrap over the {len(y_test)} test rows ({resamples} "
        "resamples); training rows fixed",
        verdict=said,
    )
