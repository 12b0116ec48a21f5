"""MAUVE (similarity to human text; higher is better) over embedding features.

p = real test texts, q = synthetic texts; both sides get the same size (the smaller
count, at most ``mauve_max_samples``), sampled without replacement with ``seed``;
computed overall and per label. The real side is first cut to one seeded uniform pool of
``mauve_max_samples`` texts shared by the overall and the per-label comparisons, so a
large test set costs at most that many embeddings (per-label sizes are then bounded by
the pool's texts of that label). Features come from the bundled MiniLM by default
(through the shared embedding cache) or from a transformers model by name (the paper:
GPT-2 XL; mauve-text's convention: the last token's final hidden state).

mauve-text needs faiss (k-means) and scikit-learn (PCA). ``num_buckets='auto'`` is
max(2, round(n/10)); k-means needs at least as many points as buckets, so labels with
fewer than ``mauve_min_samples`` texts on a side are listed under ``skipped_labels``.
Scaling factor: mauve-text's default 5 (the paper used 1; set ``mauve_scaling``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from synthesizrr.errors import ModelNotAvailableError, require
from synthesizrr.metrics.base import Metric, MetricInputs, MetricResult, register
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


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


def transformers_features(
    model_name: str, texts: Sequence[str], *, max_length: int = 1024
) -> np.ndarray:
    """Last-token final hidden state of a transformers model for each text (CPU)."""
    transformers = require("transformers", "transformers", "MAUVE features from a transformer")
    torch = require("torch", "transformers", "MAUVE features from a transformer")
    offline = _hub_offline()
    try:
        tok = transformers.AutoTokenizer.from_pretrained(model_name, local_files_only=offline)
        model = transformers.AutoModel.from_pretrained(model_name, local_files_only=offline)
    except Exception as exc:  # offline hub, unknown name, bad folder
        raise ModelNotAvailableError(
            f"MAUVE feature model '{model_name}' (metrics.mauve_features) could not be "
            f"loaded ({type(exc).__name__}).",
            fix="set metrics.mauve_features to 'minilm' (bundled), to a local model folder, "
            "or run where the Hugging Face hub is reachable",
        ) from exc
    model.eval()
    rows = []
    with torch.no_grad():
        for text in texts:
            ids = tok(text, return_tensors="pt", truncation=True, max_length=max_length)
            hidden = model(**ids).last_hidden_state
            rows.append(hidden[0, -1].float().numpy())
    return np.stack(rows).astype(np.float32)


@register
class Mauve(Metric):
    """Headline = MAUVE of all synthetic vs all real texts; ``per_label`` in details."""

    name = "mauve"
    higher_is_better = True
    needs = ("real_texts",)

    def signature_fields(self) -> dict[str, str]:
        s = self.settings
        return {
            "feat": s.mauve_features,
            "max": str(s.mauve_max_samples),
            "scale": f"{s.mauve_scaling:g}",
            "buckets": str(s.mauve_num_buckets),
            "seed": str(s.seed),
        }

    def features(self, texts: list[str], progress: bool) -> np.ndarray:
        name = self.settings.mauve_features
        if name == self.cache.model:
            return self.cache.encode(texts, progress=progress)
        if name in EMBEDDED_EMBEDDERS:
            from synthesizrr.embeddings import embed

            return embed(texts, name, self.settings.embed_backend, progress=progress)
        return transformers_features(name, texts)

    def _pair(
        self, real: list[str], synth: list[str], rng: np.random.Generator, progress: bool
    ) -> tuple[float, int]:
        n = min(len(real), len(synth), self.settings.mauve_max_samples)
        p_idx = np.sort(rng.choice(len(real), size=n, replace=False))
        q_idx = np.sort(rng.choice(len(synth), size=n, replace=False))
        p = self.features([real[i] for i in p_idx], progress)
        q = self.features([synth[i] for i in q_idx], progress)
        s = self.settings
        score = mauve_from_features(
            p, q, scaling=s.mauve_scaling, num_buckets=s.mauve_num_buckets, seed=s.seed
        )
        return score, n

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
        # so at most mauve_max_samples real texts are embedded (a uniform subset of the
        # pool restricted to one label is a uniform sample of that label's real texts)
        pool = np.sort(
            rng.choice(len(real), size=min(len(real), s.mauve_max_samples), replace=False)
        )
        real = [real[i] for i in pool]
        real_labels = None if inputs.real_labels is None else [inputs.real_labels[i] for i in pool]
        overall, n = self._pair(real, synth, rng, inputs.progress)
        details: dict[str, Any] = {"overall": overall, "n_samples": n, "real_pool": len(real)}
        if inputs.labels is not None and real_labels is not None:
            per_label: dict[str, float] = {}
            sizes: dict[str, int] = {}
            skipped: dict[str, str] = {}
            for lab in sorted(set(inputs.labels)):
                r = [t for t, lb in zip(real, real_labels, strict=True) if lb == lab]
                q = [t for t, lb in zip(synth, inputs.labels, strict=True) if lb == lab]
                if min(len(r), len(q)) < s.mauve_min_samples:
                    skipped[lab] = f"{len(r)} real, {len(q)} synthetic texts"
                    continue
                per_label[lab], sizes[lab] = self._pair(r, q, rng, inputs.progress)
            details.update(per_label=per_label, per_label_n=sizes, skipped_labels=skipped)
            if per_label:
                details["per_label_mean"] = float(np.mean(list(per_label.values())))
        return self.result(overall, details)
