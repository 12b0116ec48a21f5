"""Settings of the generate stage: prompts, sampling, the teacher and its budget."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from synthesizrr.llm.settings import LLMSettings
from synthesizrr.prompts import PromptSettings
from synthesizrr.settings_base import StrictModel


class Prices(StrictModel):
    """Price table of the teacher, per 1,000 tokens (any currency)."""

    prompt_per_1k: float = Field(..., ge=0, description="price of 1,000 prompt tokens")
    completion_per_1k: float = Field(..., ge=0, description="price of 1,000 completion tokens")

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return prompt_tokens / 1000 * self.prompt_per_1k + (
            completion_tokens / 1000 * self.completion_per_1k
        )


class EngineSettings(StrictModel):
    """Budgets and retry policy of the generation requests."""

    max_requests: int | None = Field(
        default=None,
        ge=0,
        description="stop after this many distinct requests sent (cache included)",
    )
    max_cost: float | None = Field(
        default=None, ge=0, description="stop before the cost could exceed this (needs prices)"
    )
    prices: Prices | None = Field(default=None, description="price table for cost and the dry run")
    retry_failed_only: bool = Field(
        default=False,
        description="send only requests that failed before; never-sent ones are skipped",
    )
    abort_after_failures: int | None = Field(
        default=10, ge=1, description="abort when this many requests in a row fail (None: never)"
    )

    @model_validator(mode="after")
    def _cost_needs_prices(self) -> EngineSettings:
        if self.max_cost is not None and self.prices is None:
            raise ValueError(
                f"max_cost={self.max_cost} needs a price table: set prices.prompt_per_1k and "
                "prices.completion_per_1k"
            )
        return self


class GenerationSettings(StrictModel):
    """Task inversion: prompts, the teacher and its budget."""

    # Budgets decide when to stop, not what is generated.
    not_fingerprinted: ClassVar[frozenset[str]] = frozenset({"budget"})
    # Added after run directories existed: in the fingerprint only when set.
    fingerprinted_when_set: ClassVar[frozenset[str]] = frozenset(
        {"feedback_rounds", "feedback_budget", "feedback_holdout", "feedback_smoothing"}
    )

    prompt: PromptSettings = Field(default_factory=PromptSettings)
    per_label: int = Field(100, gt=0, description="generations requested per label")
    temperature: float = Field(0.95, ge=0.0, le=2.0)
    top_p: float = Field(0.9, gt=0.0, le=1.0)
    top_k: int = Field(
        0, ge=0, description="top-k cut (0: off, so nucleus sampling alone runs as configured)"
    )
    min_p: float = Field(0.0, ge=0.0, le=1.0, description="min-p cut (0.0: off)")
    min_words: int = Field(3, ge=1, description="parsed texts with fewer words are dropped")
    llm: LLMSettings = Field(default_factory=LLMSettings)
    budget: EngineSettings = Field(default_factory=EngineSettings)
    feedback_rounds: int = Field(
        0,
        ge=0,
        description="rounds of student feedback (generation/feedback.py): a student trained "
        "on the rows so far is scored on held-out seeds, and feedback_budget more rows are "
        "generated for the labels it gets wrong, from documents not used yet",
    )
    feedback_budget: int = Field(
        0, ge=0, description="extra generations per feedback round, over all labels"
    )
    feedback_holdout: float = Field(
        0.4,
        gt=0,
        lt=1,
        description="fraction of each label's seeds held out to score the feedback student; "
        "held-out seeds are neither retrieval queries nor shots of any generation",
    )

    feedback_smoothing: float = Field(
        0.0,
        ge=0,
        description="added to every label's error count before the round's budget is split "
        "in proportion to the errors (0: the errors alone; 1: add-one)",
    )

    @model_validator(mode="after")
    def _feedback_needs_budget(self) -> GenerationSettings:
        if self.feedback_rounds and not self.feedback_budget:
            raise ValueError(
                f"feedback_rounds={self.feedback_rounds} needs feedback_budget > 0 (the extra "
                "generations per round), or set feedback_rounds to 0"
            )
        if self.feedback_rounds and not self.prompt.mode.uses_documents:
            raise ValueError(
                f"feedback_rounds={self.feedback_rounds} needs a retrieval mode (the round "
                f"draws documents not used yet), not prompt.mode {self.prompt.mode.value!r}"
            )
        return self
