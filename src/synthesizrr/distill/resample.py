"""Down-sample rows to a target label distribution and/or size, seeded. Never up-samples."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def allocate(total: int, dist: dict[str, float], order: Sequence[str]) -> dict[str, int]:
    """Split ``total`` over labels by ``dist`` with the largest-remainder method.

    Ties of the fractional part go to the label listed first in ``order``.
    """
    quotas = {lab: total * dist.get(lab, 0.0) for lab in order}
    counts = {lab: math.floor(q + 1e-9) for lab, q in quotas.items()}
    left = total - sum(counts.values())
    by_remainder = sorted(order, key=lambda lab: -(quotas[lab] - counts[lab]))
    for lab in by_remainder[:left]:
        counts[lab] += 1
    return counts


def target_counts(
    available: dict[str, int],
    dist: dict[str, float],
    order: Sequence[str],
    target_size: int | None,
) -> tuple[dict[str, int], list[str]]:
    """Per-label counts to keep, and notes on what could not be honoured.

    ``dist`` is renormalized over labels that have rows. The total is the largest N with
    N * p(label) <= available(label) for every label, capped by ``target_size``.
    """
    notes: list[str] = []
    present = {lab: p for lab, p in dist.items() if p > 0 and available.get(lab, 0) > 0}
    for lab, p in dist.items():
        if p > 0 and available.get(lab, 0) == 0:
            notes.append(f"label {lab!r} has target share {p:.3f} but no rows left")
    if not present:
        return {lab: 0 for lab in order}, notes
    norm = sum(present.values())
    share = {lab: p / norm for lab, p in present.items()}
    most = min(math.floor(available[lab] / p + 1e-9) for lab, p in share.items())
    total = most
    if target_size is not None:
        if target_size > most:
            notes.append(
                f"target_size {target_size} exceeds the {most} rows the distribution allows "
                "without up-sampling; kept {most}".replace("{most}", str(most))
            )
        total = min(target_size, most)
    counts = allocate(total, share, order)
    return {lab: min(counts.get(lab, 0), available.get(lab, 0)) for lab in order}, notes


def sample_rows(labels: Sequence[str], counts: dict[str, int], seed: int) -> np.ndarray:
    """Keep mask choosing ``counts[label]`` rows per label uniformly at random, seeded."""
    rng = np.random.default_rng(seed)
    arr = np.asarray(list(labels), dtype=object)
    keep = np.zeros(len(arr), dtype=bool)
    for lab in sorted(counts):
        idx = np.flatnonzero(arr == lab)
        k = counts[lab]
        if k >= len(idx):
            keep[idx] = True
        elif k > 0:
            keep[rng.choice(idx, size=k, replace=False)] = True
    return keep
