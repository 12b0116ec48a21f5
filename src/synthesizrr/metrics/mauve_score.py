"""MAUVE (similarity to human text; higher is better) over embedding features.

p = real test texts, q = synthetic texts, both sides of equal size. With labels on both
sides the real references are *label-matched*: per label, the same number of real and
synthetic texts (the smaller count), so the overall score compares like with like;
without them one seeded uniform sample per side (``ref:unmatched`` in the signature).
The real side is first cut to one seeded uniform pool of ``mauve_max_samples`` texts
shared by the overall and the per-label comparisons. Each comparison is run with
``mauve_kmeans_seeds`` k-means seeds (seed, seed+1, ...); the value is their mean and
``std`` / ``per_kmeans_seed`` are in the details.

Features (``mauve_features``) default to 'smollm2': the embedded teacher's final hidden
state at each text's last token (the paper: GPT-2 XL, the last token's final hidden state),
so the score is not taken in the retriever's space (MiniLM picks the documents; scoring
closeness to real text with MiniLM too would favour retrieval). See
:mod:`synthesizrr.metrics.lm_features`. Other choices: 'gemma3-270m' or a .gguf path, a
transformers model name or folder (last-token hidden states the same way), or 'minilm'
(the bundled sentence encoder: ~4x faster, the retriever's own space).

mauve-text needs faiss (k-means) and scikit-learn (PCA). ``num_buckets='auto'`` is
max(2, round(n/10)); k-means needs at least as many points as buckets, so labels with
fewer than ``mauve_min_samples`` texts on a side are listed under ``skipped_labels``.
Scaling factor: 1, as in the paper (mauve-text's default is 5).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from synthesizrr.errors import require
from synthesizrr.metrics.base import Metric, MetricInputs, MetricResult, register
from synthesizrr.metrics.lm_features import last_token_features
from synthesizrr.models import EMBEDDED_EMBEDDERS

log = logging.getLogger(__name__)


def mauve_from_features(
    p: np.ndarray,
    q: np.ndarray,
    *,
    scaling: float = 5.0,
    num_buckets: int | str = "auto",
    seed: int = 0,
) -> float:
    """MAUVE between feature matrices ``p`` (real) and ``q`` (synthetic)."""
    mauve = require("mauve", "metrics", "MAUVE")
    out = mauve.compute_mauve(
        p_features=np.asarray(p, dtype=np.float32),
        q_features=np.asarray(q, dtype=np.float32),
        num_buckets=num_buckets,
        mauve_scaling_factor=scaling,
        seed=seed,
        verbose=False,
    )
    return float(out.mauve)


@register
class Mauve(Metric):
    """Headline = MAUVE of all synthetic vs (label-matched) real texts, mean over k-means
    seeds; ``per_label`` in details."""

    name = "mauve"
    higher_is_better = True
    needs = ("real_texts",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._memo: dict[str, np.ndarray] = {}
        #: "label-matched" where both sides have labels (set by each compute), else "unmatched"
        self._reference = "label-matched"

    def signature_fields(self) -> dict[str, str]:
        s = self.settings
        feat = s.mauve_features
        if feat not in EMBEDDED_EMBEDDERS and feat != s.embedder:
            feat += "-last"  # a causal LM's last-token hidden state
        return {
            "feat": feat,
            "max": str(s.mauve_max_samples),
            "scale": f"{s.mauve_scaling:g}",
            "buckets": str(s.mauve_num_buckets),
            "ref": self._reference,
            "kmeans": str(s.mauve_kmeans_seeds),
            "seed": str(s.seed),
        }

    def _encode(self, texts: list[str], progress: bool) -> np.ndarray:
        name = self.settings.mauve_features
        if name == self.cache.model:
            return self.cache.encode(texts, progress=progress)
        if name in EMBEDDED_EMBEDDERS:
            from synthesizrr.embeddings import embed

            return embed(texts, name, self.settings.embed_backend, progress=progress)
        return last_token_features(name, texts, progress=progress)

    def features(self, texts: list[str], progress: bool) -> np.ndarray:
        """Feature rows of ``texts``; each distinct text is encoded once per metric object."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if missing:
            for t, row in zip(missing, self._encode(missing, progress), strict=True):
                self._memo[t] = row
        return np.stack([self._memo[t] for t in texts]) if texts else np.zeros((0, 0))

    def _score(self, p_texts: list[str], q_texts: list[str], progress: bool) -> dict[str, Any]:
        s = self.settings
        p, q = self.features(p_texts, progress), self.features(q_texts, progress)
        runs = [
            mauve_from_features(p, q, scaling=s.mauve_scaling, num_buckets=s.mauve_num_buckets,
                                seed=s.seed + k)
            for k in range(s.mauve_kmeans_seeds)
        ]  # fmt: skip
        return {"mean": float(np.mean(runs)), "std": float(np.std(runs)), "runs": runs,
                "n": len(p_texts)}  # fmt: skip

    @staticmethod
    def _draw(texts: list[str], n: int, rng: np.random.Generator) -> list[str]:
        return [texts[i] for i in np.sort(rng.choice(len(texts), size=n, replace=False))]

    def _matched(
        self, real: list[str], real_labels: list[str], synth: list[str], labels: list[str],
        rng: np.random.Generator,
    ) -> tuple[list[str], list[str], dict[str, int]]:  # fmt: skip
        """Label-matched samples: per label min(real, synthetic) texts on each side, scaled
        down proportionally (largest remainder) where the total exceeds max_samples."""
        from synthesizrr.distill.resample import allocate

        by_r: dict[str, list[str]] = {}
        by_q: dict[str, list[str]] = {}
        for t, lab in zip(real, real_labels, strict=True):
            by_r.setdefault(lab, []).append(t)
        for t, lab in zip(synth, labels, strict=True):
            by_q.setdefault(lab, []).append(t)
        order = sorted(set(by_r) & set(by_q))
        counts = {lab: min(len(by_r[lab]), len(by_q[lab])) for lab in order}
        total = sum(counts.values())
        if total > self.settings.mauve_max_samples:
            share = {lab: c / total for lab, c in counts.items()}
            counts = allocate(self.settings.mauve_max_samples, share, order)
        p: list[str] = []
        q: list[str] = []
        for lab in order:
            p += self._draw(by_r[lab], counts[lab], rng)
            q += self._draw(by_q[lab], counts[lab], rng)
        return p, q, counts

    def _compute(self, inputs: MetricInputs) -> MetricResult:
        assert inputs.real_texts is not None
        s = self.settings
        rng = np.random.default_rng(s.seed)
        real, synth = inputs.real_texts, inputs.texts
        if min(len(real), len(synth)) < s.mauve_min_samples:
            return self.skipped(
                f"MAUVE needs >= {s.mauve_min_samples} texts per side (metrics."
                f"mauve_min_samples), got {len(real)} real and {len(synth)} synthetic"
            )
        # one uniform pool of real texts serves the overall and every per-label sample,
        # so at most mauve_max_samples real texts are embedded
        pool = np.sort(
            rng.choice(len(real), size=min(len(real), s.mauve_max_samples), replace=False)
        )
        real = [real[i] for i in pool]
        real_labels = None if inputs.real_labels is None else [inputs.real_labels[i] for i in pool]
        matched = inputs.labels is not None and real_labels is not None
        self._reference = "label-matched" if matched else "unmatched"
        if matched:
            assert inputs.labels is not None and real_labels is not None
            p, q, counts = self._matched(real, real_labels, synth, inputs.labels, rng)
            strata = np.repeat(np.arange(len(counts)), list(counts.values()))
        else:
            n = min(len(real), len(synth), s.mauve_max_samples)
            p, q = self._draw(real, n, rng), self._draw(synth, n, rng)
            strata = np.zeros(len(p), dtype=np.int64)
        if len(p) < s.mauve_min_samples:
            return self.skipped(
                f"MAUVE needs >= {s.mauve_min_samples} label-matched texts per side, got {len(p)}"
            )
        overall = self._score(p, q, inputs.progress)
        details: dict[str, Any] = {
            "overall": overall["mean"], "std": overall["std"],
            "per_kmeans_seed": overall["runs"], "n_samples": overall["n"],
            "real_pool": len(real), "reference": "label-matched" if matched else "unmatched",
        }  # fmt: skip
        if matched:
            assert inputs.labels is not None and real_labels is not None
            per_label: dict[str, float] = {}
            per_label_std: dict[str, float] = {}
            sizes: dict[str, int] = {}
            skipped: dict[str, str] = {}
            for lab in sorted(set(inputs.labels)):
                r = [t for t, lb in zip(real, real_labels, strict=True) if lb == lab]
                qq = [t for t, lb in zip(synth, inputs.labels, strict=True) if lb == lab]
                if min(len(r), len(qq)) < s.mauve_min_samples:
                    skipped[lab] = f"{len(r)} real, {len(qq)} synthetic texts"
                    continue
                n = min(len(r), len(qq), s.mauve_max_samples)
                sc = self._score(self._draw(r, n, rng), self._draw(qq, n, rng), inputs.progress)
                per_label[lab], per_label_std[lab], sizes[lab] = sc["mean"], sc["std"], n
            details.update(per_label=per_label, per_label_std=per_label_std,
                           per_label_n=sizes, skipped_labels=skipped)  # fmt: skip
            if per_label:
                details["per_label_mean"] = float(np.mean(list(per_label.values())))
        reps = self._bootstrap(p, q, strata)
        return self.result(overall["mean"], details, replicates=reps)

    def _bootstrap(self, p_texts: list[str], q_texts: list[str], strata: np.ndarray) -> Any:
        """MAUVE of ``mauve_bootstrap`` resamples: each side's texts drawn with replacement
        within each label (so the references stay label-matched), one k-means seed each
        (seed + resample number: k-means noise is part of the spread)."""
        s = self.settings
        if s.mauve_bootstrap < 2:
            return None
        from synthesizrr.distill.bootstrap import stratified_resample

        p, q = self.features(p_texts, False), self.features(q_texts, False)
        rng = np.random.default_rng(s.seed)
        reps = []
        for b in range(s.mauve_bootstrap):
            ip, iq = stratified_resample(strata, rng), stratified_resample(strata, rng)
            reps.append(mauve_from_features(p[ip], q[iq], scaling=s.mauve_scaling,
                                            num_buckets=s.mauve_num_buckets, seed=s.seed + b))  # fmt: skip
        return reps
