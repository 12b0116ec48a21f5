"""Settings of the refinement (filtering) stage."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from synthesizrr.settings_base import StrictModel


class CartographySettings(StrictModel):
    """Dataset cartography (Swayamdipta et al. 2020) as used by SynthesizRR.

    A scorer is trained ``epochs`` epochs on all generations; after every epoch it predicts
    every training row. Per row: confidence = mean probability of the intended label over
    epochs, variability = its (population) standard deviation, correctness = fraction of
    epochs whose argmax is the intended label. Within each label, rows whose confidence
    reaches the label's ``1 - keep_fraction`` quantile are kept (the original code's rule);
    the threshold of every label is recorded. A label with fewer than
    ``ceil(1 / (1 - keep_fraction))`` rows is not filtered, and the refine summary says so.
    """

    enabled: bool = Field(default=True, description="Run cartography filtering.")
    epochs: int = Field(default=6, ge=1, description="Scorer training epochs (paper: 6).")
    keep_fraction: float = Field(
        default=0.83,
        gt=0,
        le=1,
        description="Per label, keep rows whose confidence is at least the label's "
        "(1 - keep_fraction) quantile (paper: 0.83).",
    )
    scorer: Literal["embed_mlp", "transformer"] = Field(
        default="embed_mlp",
        description="'embed_mlp': frozen sentence embeddings + a small torch MLP head (fast "
        "on CPU); 'transformer': fine-tune an HF encoder (paper: DistilBERT).",
    )
    model: str = Field(
        default="minilm",
        description="Encoder of the scorer: 'minilm' (bundled), a local folder or a hub name.",
    )
    hidden_size: int = Field(
        default=256, ge=0, description="Hidden units of the embed_mlp head; 0 = a linear head."
    )
    lr: float | None = Field(
        default=None,
        gt=0,
        description="Learning rate; None = 1e-3 for embed_mlp (Adam) and 2e-5 for "
        "transformer (AdamW, paper recipe).",
    )
    batch_size: int = Field(default=32, ge=1, description="Scorer batch size.")
    max_length: int = Field(
        default=128,
        ge=8,
        description="Token truncation length of the transformer scorer (CPU-sized).",
    )


class LabelCheckSettings(StrictModel):
    """Seed-only label check (:mod:`synthesizrr.refine.label_check`).

    A row fails when its score for its intended label is more than the tolerance below its
    score for another label: cosine similarity to each label's seed centroid, or (scorer
    'teacher') the teacher's seed-calibrated log-likelihood of each label name. A row whose
    intended label scores highest always passes.
    """

    # Added after run directories existed: in the fingerprint only when set.
    fingerprinted_when_set: ClassVar[frozenset[str]] = frozenset({"scorer", "teacher"})

    enabled: bool | None = Field(
        default=None,
        description="Drop rows that read as another label than intended. None (the "
        "default): on where the seeds allow it (a seed of every label, two of some label to "
        "calibrate the tolerance), else skipped with the reason in the summary; true: on, "
        "and too few seeds is an error; false: off.",
    )
    scorer: Literal["centroid", "teacher", "both"] = Field(
        default="centroid",
        description="How a row is scored against each label: 'centroid' (cosine to each "
        "label's seed centroid under 'model'), 'teacher' (a GGUF teacher's log-likelihood "
        "of each label name as the answer to 'which label fits this text', calibrated on "
        "the seeds: the mean score over each label's seeds is subtracted), or 'both' (a row "
        "fails only when both flag it, each with its own calibrated tolerance).",
    )
    teacher: str | None = Field(
        default=None,
        description="The GGUF model that scores when scorer is 'teacher' (an embedded name "
        "or a path); None: the run's generation.llm.model.",
    )
    model: str = Field(
        default="minilm", description="Sentence encoder: 'minilm' (bundled) or a local folder."
    )
    seed_flag_rate: float = Field(
        default=0.1,
        gt=0,
        lt=1,
        description="Calibrates the tolerance on the seeds: it is set so that this fraction "
        "of the seeds, each scored against centroids built without it, would fail.",
    )
    margin: float | None = Field(
        default=None,
        ge=0,
        description="Fixed cosine tolerance instead of the calibrated one (0: the intended "
        "label must be the nearest centroid).",
    )
    min_seed_accuracy: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Skip the check (drop nothing, say so in the summary) when the seeds, "
        "each scored against centroids built without it, are right less often than this: "
        "the embeddings then do not separate the labels. None: chance, 1 / number of "
        "labels; 0: never skip.",
    )


class RefineSettings(StrictModel):
    """Filtering steps, applied in order: length -> exact dup -> near dup -> label check
    -> label filter -> cartography -> resample. Every removed row is kept with its reason."""

    # Added after run directories existed: in the fingerprint only when set.
    fingerprinted_when_set: ClassVar[frozenset[str]] = frozenset({"label_check"})

    dedup: bool = Field(
        default=True,
        description="Remove exact duplicates (text compared after collapsing whitespace and "
        "case-folding); the first occurrence is kept.",
    )
    near_dup: bool = Field(
        default=True,
        description="Remove near duplicates: MinHash LSH over word 3-shingles, candidates "
        "confirmed by exact Jaccard >= near_dup_threshold; the earlier row is kept.",
    )
    near_dup_threshold: float = Field(
        default=0.9, gt=0, le=1, description="Jaccard similarity of word 3-shingle sets."
    )
    num_perm: int = Field(default=128, ge=16, description="MinHash permutations.")
    min_words: int = Field(default=3, ge=0, description="Drop texts with fewer whitespace words.")
    max_words: int | None = Field(
        default=None, ge=1, description="Drop texts with more whitespace words (None: no bound)."
    )
    cartography: CartographySettings = Field(
        default_factory=CartographySettings, description="Dataset cartography filter."
    )
    label_check: LabelCheckSettings = Field(
        default_factory=LabelCheckSettings,
        description="Seed-only check that each row reads as its intended label.",
    )
    label_filter: bool = Field(
        default=False,
        description="Drop rows whose oracle prediction differs from the intended label; the "
        "oracle is trained on real labeled data passed as oracle_texts/oracle_labels.",
    )
    oracle: Literal["embed_lr", "tfidf_lr"] = Field(
        default="embed_lr", description="Student kind used as the label-filter oracle."
    )
    resample: Literal["none", "real", "uniform"] = Field(
        default="real",
        description="Down-sample to a label distribution: 'real' (target_distribution, e.g. "
        "of the real train set), 'uniform', or 'none' (keep proportions; only target_size "
        "applies). Never up-samples.",
    )
    target_size: int | None = Field(
        default=None,
        ge=1,
        description="Upper bound on the final number of rows (None: as many as the "
        "distribution allows).",
    )
    seed: int = Field(
        default=0, description="Seed of MinHash, the cartography scorer and resampling."
    )
