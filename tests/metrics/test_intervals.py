"""Bootstrap intervals of the text metrics (synthesizrr.metrics.intervals)."""

from __future__ import annotations

import numpy as np
import pytest

from synthesizrr.metrics import MetricsSettings, get_metric
from synthesizrr.metrics.entities import EntityEntropy, entity_entropies
from synthesizrr.metrics.intervals import (
    Z95,
    difference_interval,
    excludes_zero,
    normal_interval,
    replicate,
)
from synthesizrr.metrics.self_bleu import self_bleu_scores

TEXTS = [
    "the cat sat on the mat today",
    "a dog ran in the park today",
    "the cat ran on the mat",
    "stocks fell sharply in early trading",
    "the team won the final match",
    "oil prices rose on supply fears",
    "the cat sat on the mat today",
    "a new phone was shown at the fair",
]


def test_replicate_draws_indices_with_replacement_from_the_seeded_generator() -> None:
    seen: list[np.ndarray] = []
    reps = replicate(lambda idx: seen.append(idx) or float(idx.sum()), 5, 3, seed=7)
    rng = np.random.default_rng(7)
    expected = [rng.integers(0, 5, size=5) for _ in range(3)]
    assert [list(s) for s in seen] == [list(e) for e in expected]
    assert reps == [float(e.sum()) for e in expected]


def test_normal_and_difference_intervals() -> None:
    lo, hi = normal_interval(0.5, [0.4, 0.6])
    sd = float(np.std([0.4, 0.6], ddof=1))
    assert (lo, hi) == pytest.approx((0.5 - Z95 * sd, 0.5 + Z95 * sd), abs=1e-12)
    lo, hi = difference_interval(0.5, 0.03, 0.4, 0.04)
    assert (lo, hi) == pytest.approx((0.1 - Z95 * 0.05, 0.1 + Z95 * 0.05), abs=1e-12)
    assert excludes_zero([0.01, 0.2]) and excludes_zero([-0.3, -0.01])
    assert not excludes_zero([-0.01, 0.2]) and not excludes_zero(None)


def test_self_bleu_interval_resamples_hypotheses_against_fixed_references() -> None:
    settings = MetricsSettings(bootstrap=50, seed=3)
    result = get_metric("self_bleu", settings).compute(TEXTS)
    top = self_bleu_scores([t.split() for t in TEXTS], 5)[:, -1]
    reps = replicate(lambda idx: float(top[idx].mean()), len(TEXTS), 50, seed=3)
    sd = float(np.std(reps, ddof=1))
    assert result.details["bootstrap"] == {"resamples": 50, "sd": pytest.approx(sd, abs=1e-15)}
    assert result.ci == pytest.approx([result.value - Z95 * sd, result.value + Z95 * sd])
    assert result.value == pytest.approx(float(top.mean()))


def test_no_interval_when_resampling_is_off_or_the_set_is_too_small() -> None:
    off = get_metric("self_bleu", MetricsSettings(bootstrap=0)).compute(TEXTS)
    assert off.ci is None and "bootstrap" not in off.details
    one = get_metric("self_bleu", MetricsSettings(bootstrap=1)).compute(TEXTS)
    assert one.ci is None


class _Entities(EntityEntropy):
    """Entity entropy over a fixed entity list per text (no spaCy)."""

    ENTS = {i: [(f"E{i % 3}", "ORG")] + ([("Paris", "GPE")] if i % 2 else []) for i in range(8)}

    def extract(self, texts, progress=False):  # type: ignore[no-untyped-def]
        return [self.ENTS[TEXTS.index(t) if TEXTS.count(t) == 1 else 0] for t in texts]


def test_entity_entropy_interval_recomputes_the_entropy_of_each_resample() -> None:
    metric = _Entities(MetricsSettings(bootstrap=40, seed=1))
    result = metric.compute(TEXTS)
    ents = metric.extract(TEXTS)
    reps = replicate(lambda idx: entity_entropies([ents[i] for i in idx])["overall"], 8, 40, 1)
    sd = float(np.std(reps, ddof=1))
    assert result.value == pytest.approx(entity_entropies(ents)["overall"])
    assert result.details["bootstrap"]["sd"] == pytest.approx(sd)
    assert result.ci == pytest.approx([result.value - Z95 * sd, result.value + Z95 * sd])
