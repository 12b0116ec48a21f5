"""Draw real examples with a given label distribution (the gold reference's training set)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from synthesizrr.errors import InputDataError

log = logging.getLogger(__name__)


def sample_like(
    real_texts: Sequence[str],
    real_labels: Sequence[str],
    label_counts: dict[str, int],
    seed: int,
    *,
    strict: bool = False,
) -> tuple[list[str], list[str]]:
    """Sample ``label_counts[label]`` real rows per label without replacement, seeded.

    The result keeps the order of the real data. Where a label has fewer real rows than
    asked, all of them are taken and a warning is logged (``strict=True`` raises
    :class:`InputDataError` instead). Labels with a count of 0 contribute nothing.
    """
    if len(real_texts) != len(real_labels):
        raise InputDataError(
            f"real_texts has {len(real_texts)} rows but real_labels has {len(real_labels)}.",
            fix="pass one label per real text",
        )
    rng = np.random.default_rng(seed)
    labels_arr = np.asarray(list(real_labels), dtype=object)
    chosen: list[np.ndarray] = []
    for label in sorted(label_counts):  # sorted: the draw does not depend on dict order
        want = label_counts[label]
        if want < 0:
            raise InputDataError(f"label_counts[{label!r}] is {want}.", fix="counts must be >= 0")
        pool = np.flatnonzero(labels_arr == label)
        if want > len(pool):
            msg = f"label {label!r}: asked for {want} real rows but only {len(pool)} exist"
            if strict:
                raise InputDataError(msg + ".", fix="lower the count or add real data")
            log.warning("%s; taking all %d", msg, len(pool))
            want = len(pool)
        if want:
            chosen.append(rng.choice(pool, size=want, replace=False))
    idx = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
    picked = [int(i) for i in idx]
    return [real_texts[i] for i in picked], [real_labels[i] for i in picked]


def downsample_indices(
    labels: Sequence[str], size: int, seed: int, order: Sequence[str]
) -> tuple[list[int], dict[str, int]]:
    """Rows (ascending) of a seeded ``size``-row sample that keeps the label proportions.

    Per-label counts split ``size`` by the labels' shares with the largest-remainder
    method (ties: the label first in ``order``); rows are drawn uniformly within each
    label. Two datasets with the same label shares get the same counts at one ``size``,
    so methods of a comparison are scored at one N. ``size >= len(labels)`` keeps all.
    """
    from collections import Counter

    from synthesizrr.distill.resample import allocate, sample_rows

    n = len(labels)
    have = Counter(labels)
    names = [lab for lab in order if have.get(lab)] + sorted(set(have) - set(order))
    if size >= n:
        return list(range(n)), {lab: have[lab] for lab in names}
    counts = allocate(size, {lab: have[lab] / n for lab in names}, names)
    keep = sample_rows(labels, counts, seed)
    return [int(i) for i in np.flatnonzero(keep)], counts
