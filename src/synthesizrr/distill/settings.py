"""Settings of the distillation stage: which student, its hyperparameters, which seeds."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from synthesizrr.settings_base import StrictModel

StudentKind = Literal["embed_lr", "tfidf_lr", "transformer"]


class StudentSettings(StrictModel):
    """One student, trained once per seed and evaluated on the real test set.

    Defaults follow the paper's fine-tuning recipe (lr 2e-5, effective batch 32, 6 epochs,
    6% warm-up, max length 512) for ``kind="transformer"``; the pipeline's default student
    is ``embed_lr`` (frozen MiniLM sentence embeddings + logistic regression), which is
    fast on CPU.
    """

    kind: StudentKind = Field(
        default="embed_lr",
        description="Student type: 'embed_lr' (frozen sentence embeddings + logistic "
        "regression), 'tfidf_lr' (TF-IDF word/bigram features + logistic regression) or "
        "'transformer' (fine-tune an HF encoder end to end).",
    )
    model: str = Field(
        default="minilm",
        description="Encoder for 'embed_lr' and 'transformer': 'minilm' (bundled "
        "all-MiniLM-L6-v2), a local model folder, or a hub name such as "
        "'microsoft/deberta-v3-large' (needs a reachable hub or a local cache). "
        "Ignored by 'tfidf_lr'.",
    )
    seeds: list[int] = Field(
        default_factory=lambda: [0, 1, 2],
        description="One training run per seed; the report gives mean and std over them.",
    )
    lr: float = Field(
        default=2e-5, gt=0, description="Peak learning rate (AdamW) for 'transformer'."
    )
    batch_size: int = Field(
        default=32, ge=1, description="Effective batch size for 'transformer' (paper: 32)."
    )
    micro_batch_size: int | None = Field(
        default=None,
        ge=1,
        description="Rows per forward pass for 'transformer'; gradients are accumulated to "
        "reach batch_size. None: equal to batch_size (no accumulation).",
    )
    epochs: int = Field(
        default=6, ge=1, description="Training epochs for 'transformer' (paper: 6)."
    )
    warmup_ratio: float = Field(
        default=0.06, ge=0, le=1, description="Fraction of steps with linear warm-up (paper: 6%)."
    )
    weight_decay: float = Field(
        default=0.0, ge=0, description="AdamW weight decay for 'transformer'."
    )
    max_length: int = Field(
        default=512,
        ge=8,
        description="Token truncation length for 'transformer' (paper: 512; lower it on CPU).",
    )
    bootstrap: int = Field(
        default=100,
        ge=0,
        description="For students that do not vary with the seed ('embed_lr', 'tfidf_lr'): "
        "train once and report a 95% interval over this many stratified bootstrap resamples "
        "of the training rows (0 or 1: no interval). 'transformer' reports std over seeds.",
    )
    C: float = Field(
        default=1.0,
        gt=0,
        description="Inverse L2 regularization strength of the logistic regression.",
    )
    max_iter: int = Field(
        default=1000, ge=1, description="Iteration cap of the logistic regression."
    )
    class_weight: Literal["balanced"] | None = Field(
        default="balanced",
        description="'balanced' (default): the logistic regression weighs each label "
        "inversely to its count in the training rows, so a lopsided set (30 rows of one "
        "label, 15 of the other) does not tilt the student towards the larger label "
        "(measured in bench/distill/STUDENT_SETTINGS.md); null: every row weighs the same "
        "(or its synthetic_weight).",
    )

    @field_validator("seeds")
    @classmethod
    def _seeds_nonempty(cls, value: list[int]) -> list[int]:
        if not value:
            raise ValueError("seeds must list at least one seed, e.g. [0, 1, 2]")
        if len(set(value)) != len(value):
            raise ValueError(f"seeds must be distinct, got {value}")
        return value

    @property
    def seed_dependent(self) -> bool:
        """Whether training runs differ by seed (only 'transformer'; L-BFGS is deterministic)."""
        return self.kind == "transformer"

    def signature(self) -> str:
        """A sacrebleu-style signature of the settings that change a score."""
        parts = [f"kind:{self.kind}"]
        if self.kind != "tfidf_lr":
            parts.append(f"model:{self.model}")
        if self.kind == "transformer":
            parts += [
                f"lr:{self.lr:g}",
                f"bs:{self.batch_size}",
                f"ep:{self.epochs}",
                f"wu:{self.warmup_ratio:g}",
                f"wd:{self.weight_decay:g}",
                f"maxlen:{self.max_length}",
            ]
        else:
            parts.append(f"C:{self.C:g}")
            if self.class_weight is not None:
                parts.append(f"cw:{self.class_weight}")
        if self.seed_dependent:
            parts.append("seeds:" + ",".join(str(s) for s in self.seeds))
        else:
            parts.append(f"seed:{self.seeds[0]}|boot:{self.bootstrap}")
        return "|".join(parts)
