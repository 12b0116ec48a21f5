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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from synthesizrr.distill.evaluate import StudentReport, encode_labels, train_and_evaluate
from synthesizrr.distill.settings import StudentSettings

#: Resamples of the paired bootstrap.
RESAMPLES = 1000


class SeedsBaseline(BaseModel):
    """The seeds-only and seeds + synthetic students and the uplift between them.

    ``uplift_vs_seeds_only`` = accuracy(seeds + synthetic) - accuracy(seeds only);
    ``synthetic_only_vs_seeds_only`` = accuracy(synthetic only, the run's student) -
    accuracy(seeds only), where the run's student was trained. ``*_ci`` are 95% paired
    bootstrap intervals over the test rows (see the module docstring; ``interval`` says it
    in words). ``verdict`` is one sentence a user can act on.
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


def verdict(uplift: float, ci: tuple[float, float]) -> str:
    """One plain sentence on what the uplift and its interval say."""
    span = f"{_points(uplift)} points, 95% CI {_points(ci[0])} to {_points(ci[1])}"
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


def seeds_baseline(
    settings: StudentSettings,
    seeds: tuple[Sequence[str], Sequence[str]],
    synthetic: tuple[Sequence[str], Sequence[str]],
    test: tuple[Sequence[str], Sequence[str]],
    *,
    labels: Sequence[str],
    synthetic_predictions: Sequence[np.ndarray] | None = None,
    resamples: int = RESAMPLES,
    seed: int = 0,
    progress: bool = False,
) -> SeedsBaseline:
    """Train the student on ``seeds`` and on ``seeds + synthetic``; score both on ``test``.

    Each argument pair is (texts, labels). ``synthetic_predictions``: the test predictions
    of the run's student (trained on the synthetic rows alone), one array per training
    seed, as :func:`~synthesizrr.distill.train_and_evaluate` collects them; with them the
    synthetic-only student is compared with the seeds-only one too.
    """
    labs = list(labels)
    y_test = encode_labels(test[1], labs, "test_labels")
    both = (list(seeds[0]) + list(synthetic[0]), list(seeds[1]) + list(synthetic[1]))
    reports: list[StudentReport] = []
    correct: list[np.ndarray] = []
    for texts, labels_ in (seeds, both):
        preds: list[np.ndarray] = []
        rep = train_and_evaluate(settings, texts, labels_, test[0], test[1], labels=labs,
                                 progress=progress, predictions=preds)  # fmt: skip
        reports.append(rep)
        correct.append(row_correctness(preds, y_test))
    uplift, ci = paired_bootstrap(correct[1], correct[0], resamples, seed)
    syn_acc = syn_diff = syn_ci = None
    if synthetic_predictions:
        syn = row_correctness(synthetic_predictions, y_test)
        syn_acc = float(syn.mean())
        syn_diff, syn_ci = paired_bootstrap(syn, correct[0], resamples, seed)
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
        resamples=resamples,
        interval=f"95% paired bootstrap over the {len(y_test)} test rows ({resamples} "
        "resamples); training rows fixed",
        verdict=verdict(uplift, ci),
    )
