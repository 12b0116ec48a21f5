"""95% bootstrap intervals of the text metrics, and of the difference between two sets.

A metric's value is one number for one synthetic set; how much it would move with another
draw of the same size decides whether two methods differ. Each metric that can says so:
``Metric.bootstrap(stat, n)`` draws ``settings.bootstrap`` resamples of the set's ``n``
items with replacement (``numpy.random.default_rng(settings.seed)``), evaluates ``stat``
on each, and the result carries the normal bootstrap interval ``value -+ 1.96 * sd``
(``sd``: standard deviation of the replicates, ddof 1) and ``sd`` itself. The normal
interval rather than percentiles: a resample with replacement holds ~63% distinct texts,
which biases set-level statistics (entity entropy, distinct-n fall; the replicates sit
below the value), while their spread still measures the sampling noise.

Two sets of different methods are independent samples, so the interval of a difference
of values is ``(a - b) -+ 1.96 * sqrt(sd_a^2 + sd_b^2)`` (:func:`difference_interval`).

Hand-written: a dozen lines over numpy; ``scipy.stats.bootstrap`` resamples a statistic of
whole arrays and would recompute what each metric prepares once (n-gram tables, entity
lists, features).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

#: The two-sided 95% point of the standard normal.
Z95 = 1.959963984540054


def replicate(
    stat: Callable[[np.ndarray], float], n: int, resamples: int, seed: int
) -> list[float]:
    """``stat(indices)`` for ``resamples`` draws of ``n`` indices in [0, n), with replacement."""
    rng = np.random.default_rng(seed)
    return [float(stat(rng.integers(0, n, size=n))) for _ in range(resamples)]


def replicate_sd(replicates: Sequence[float]) -> float:
    """Standard deviation (ddof 1) of the replicates."""
    return float(np.std(np.asarray(replicates, dtype=np.float64), ddof=1))


def normal_interval(point: float, replicates: Sequence[float]) -> tuple[float, float]:
    """``point -+ 1.96 * sd(replicates)`` (ddof 1): the normal 95% bootstrap interval."""
    sd = replicate_sd(replicates)
    return point - Z95 * sd, point + Z95 * sd


def difference_interval(a: float, sd_a: float, b: float, sd_b: float) -> tuple[float, float]:
    """95% interval of ``a - b`` for independent estimates with bootstrap sds ``sd_a``, ``sd_b``."""
    half = Z95 * math.sqrt(sd_a * sd_a + sd_b * sd_b)
    return a - b - half, a - b + half


def excludes_zero(interval: Sequence[float] | None) -> bool:
    """Whether a difference's interval lies wholly on one side of zero."""
    return interval is not None and (interval[0] > 0 or interval[1] < 0)
