"""Settings of the report stage."""

from __future__ import annotations

from pydantic import Field

from synthesizrr.settings_base import StrictModel


class ReportSettings(StrictModel):
    """What report.html shows; the dataset card has no settings."""

    samples_per_label: int = Field(
        default=3, ge=0, le=100, description="final rows shown beside their sources, per label"
    )
    max_passage_chars: int = Field(
        default=1500,
        ge=50,
        description="retrieved passages longer than this are cut (with a marker)",
    )
    max_datamap_points: int = Field(
        default=3000,
        ge=10,
        description="data-map points drawn at most (a seeded sample beyond that)",
    )
    examples_per_reason: int = Field(
        default=2, ge=0, le=20, description="examples shown per drop/removal reason"
    )
