"""Mean pairwise cosine similarity within and between labels, exact in O(n * dim).

For unit vectors the sum over ordered pairs i != j of v_i . v_j is
|sum v|^2 - sum |v_i|^2, and the mean over pairs (a in A, b in B) is
(sum_A v) . (sum_B v) / (|A| |B|): no sampling and no n x n matrix is needed.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from synthesizrr.metrics.base import Metric, MetricInputs, MetricResult, register


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


def mean_pairwise_cosine(x: np.ndarray) -> float | None:
    """Mean cosine over distinct pairs (i < j) of the rows of ``x``; None below 2 rows."""
    n = x.shape[0]
    if n < 2:
        return None
    u = _unit(x)
    s = u.sum(axis=0)
    return float((s @ s - np.einsum("ij,ij->", u, u)) / (n * (n - 1)))


def mean_cross_cosine(a: np.ndarray, b: np.ndarray) -> float | None:
    """Mean cosine over all pairs (row of ``a``, row of ``b``); None if either is empty."""
    if a.shape[0] == 0 or b.shape[0] == 0:
        return None
    return float(_unit(a).sum(axis=0) @ _unit(b).sum(axis=0) / (a.shape[0] * b.shape[0]))


@register
class Cosine(Metric):
    """Headline = mean over labels of the intra-label mean pairwise cosine (lower: diverse).

    Details: ``intra`` per label, ``inter`` per label pair ("A|B", sorted), their macro
    means ``intra_mean`` / ``inter_mean`` (lower inter: more separable), and ``overall``
    (all texts, labels ignored). Without labels only ``overall`` is computed (headline).
    """

    name = "cosine"
    higher_is_better = False

    def signature_fields(self) -> dict[str, str]:
        return {"emb": self.settings.embedder, "pairs": "all", "mean": "macro"}

    def _compute(self, inputs: MetricInputs) -> MetricResult:
        vecs = self.cache.encode(inputs.texts, progress=inputs.progress)
        overall = mean_pairwise_cosine(vecs)
        if inputs.labels is None:
            return self.result(overall, {"overall": overall})
        rows: dict[str, list[int]] = defaultdict(list)
        for i, lab in enumerate(inputs.labels):
            rows[lab].append(i)
        names = sorted(rows)
        intra = {lab: mean_pairwise_cosine(vecs[rows[lab]]) for lab in names}
        inter = {
            f"{a}|{b}": mean_cross_cosine(vecs[rows[a]], vecs[rows[b]])
            for k, a in enumerate(names)
            for b in names[k + 1 :]
        }
        intra_vals = [v for v in intra.values() if v is not None]
        inter_vals = [v for v in inter.values() if v is not None]
        intra_mean = float(np.mean(intra_vals)) if intra_vals else None
        details = {
            "intra": intra,
            "inter": inter,
            "intra_mean": intra_mean,
            "inter_mean": float(np.mean(inter_vals)) if inter_vals else None,
            "overall": overall,
        }
        return self.result(intra_mean, details)
