"""Fine-tune an HF encoder for sequence classification on CPU (or a GPU where present).

The recipe is the paper's: AdamW, linear warm-up over ``warmup_ratio`` of the steps then
linear decay, effective batch ``batch_size`` (gradient accumulation over micro-batches),
``epochs`` passes over shuffled data, seeded. ``on_epoch_end`` lets dataset cartography
record per-epoch training dynamics with the same trainer.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from synthesizrr.distill.hf_loading import load_classifier
from synthesizrr.distill.settings import StudentSettings
from synthesizrr.errors import require

log = logging.getLogger(__name__)

EpochCallback = Callable[[int, "TransformerClassifier"], None]


class TransformerClassifier:
    """A fine-tuned encoder; ``fit`` then ``predict_proba``."""

    def __init__(self, settings: StudentSettings, n_labels: int) -> None:
        self.settings = settings
        self.n_labels = n_labels
        self._tok: Any = None
        self._model: Any = None
        self._device = "cpu"

    def _batches(self, texts: Sequence[str], order: Sequence[int], size: int) -> Any:
        for start in range(0, len(order), size):
            idx = list(order[start : start + size])
            enc = self._tok(
                [texts[i] for i in idx],
                truncation=True,
                max_length=self.settings.max_length,
                padding=True,
                return_tensors="pt",
            ).to(self._device)
            yield idx, enc

    def fit(
        self,
        texts: Sequence[str],
        y: np.ndarray,
        seed: int,
        sample_weight: np.ndarray | None = None,
        *,
        on_epoch_end: EpochCallback | None = None,
        progress: bool = False,
    ) -> None:
        torch = require("torch", "student", "The transformer student")
        transformers = require("transformers", "student", "The transformer student")
        s = self.settings
        torch.manual_seed(seed)
        self._tok, self._model = load_classifier(s.model, self.n_labels)
        self._device = "cuda" if torch.cuda.is_available() else "cpu"
        model = self._model.to(self._device)
        model.train()
        micro = min(s.micro_batch_size or s.batch_size, s.batch_size)
        steps_per_epoch = max(1, math.ceil(len(texts) / s.batch_size))
        total = steps_per_epoch * s.epochs
        opt = torch.optim.AdamW(model.parameters(), lr=s.lr, weight_decay=s.weight_decay)
        sched = transformers.get_linear_schedule_with_warmup(
            opt, int(round(s.warmup_ratio * total)), total
        )
        labels_t = torch.as_tensor(np.asarray(y), dtype=torch.long, device=self._device)
        weights_t = None
        if sample_weight is not None:
            weights_t = torch.as_tensor(
                np.asarray(sample_weight), dtype=torch.float32, device=self._device
            )
        rng = np.random.default_rng(seed)
        for epoch in range(s.epochs):
            model.train()
            order = rng.permutation(len(texts)).tolist()
            losses: list[float] = []
            for start in range(0, len(order), s.batch_size):
                batch = order[start : start + s.batch_size]
                opt.zero_grad()
                for idx, enc in self._batches(texts, batch, micro):
                    if weights_t is None:
                        out = model(**enc, labels=labels_t[idx])
                        loss = out.loss * len(idx) / len(batch)
                    else:  # each row's cross-entropy times its weight, summed over the batch
                        logits = model(**enc).logits
                        per_row = torch.nn.functional.cross_entropy(
                            logits.float(), labels_t[idx], reduction="none"
                        )
                        loss = (per_row * weights_t[idx]).sum() / len(batch)
                    loss.backward()
                    losses.append(loss.item() * len(batch) / len(idx))
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                sched.step()
            log.info(
                "transformer epoch %d/%d: mean loss %.4f",
                epoch + 1,
                s.epochs,
                float(np.mean(losses)) if losses else float("nan"),
            )
            if on_epoch_end is not None:
                on_epoch_end(epoch, self)
        model.eval()

    def predict_proba(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        torch = require("torch", "student", "The transformer student")
        if self._model is None:
            raise RuntimeError("predict_proba called before fit")
        out = np.zeros((len(texts), self.n_labels), dtype=np.float32)
        # Longest first keeps padding small; rows are written back in place.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        was_training = self._model.training
        self._model.eval()
        with torch.no_grad():
            for idx, enc in self._batches(texts, order, batch_size):
                logits = self._model(**enc).logits
                out[idx] = torch.softmax(logits.float(), dim=-1).cpu().numpy()
        if was_training:
            self._model.train()
        return out
