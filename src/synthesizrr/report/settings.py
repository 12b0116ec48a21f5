"""Settings of the report stage."""

from __future__ import annotations

from pydantic import Field

from synthesizrr._model import StrictModel


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


class CardSettings(StrictModel):
    """Metadata of the dataset card (``dataset/README.md``) beyond what the run records."""

    license: str | None = Field(
        default=None,
        description="Hub license id of the dataset (e.g. cc-by-4.0); unset: the card says so",
    )
    language: list[str] = Field(
        default_factory=lambda: ["en"], min_length=1, description="ISO 639-1 codes of the texts"
    )
    pretty_name: str | None = Field(default=None, description="default: '<name> (synthetic, ...)'")
    source_datasets: list[str] | None = Field(
        default=None, description="Hub ids of the sources; default: the seed and corpus paths"
    )
