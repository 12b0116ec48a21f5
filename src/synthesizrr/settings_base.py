"""Base class of every typed settings model: unknown keys are rejected."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Settings value object: ``extra="forbid"``, validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)
