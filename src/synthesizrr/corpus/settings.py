"""Settings of the corpus stage (reading documents and cutting them into passages)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from synthesizrr._model import StrictModel
from synthesizrr.corpus.readers import check_encoding


class CorpusSettings(StrictModel):
    """Where the unlabeled corpus is and how its documents become passages.

    Tokens here are whitespace-separated words. Defaults follow the paper: documents under
    20 tokens are dropped, longer ones are cut at the last sentence end inside a 400-token
    window.
    """

    path: str = Field(
        description="The corpus: one file, a glob (data/*.jsonl.gz) or a folder. Relative "
        "paths are resolved against the config file's folder."
    )
    format: Literal["auto", "jsonl", "csv", "parquet"] = Field(
        default="auto",
        description="File format; 'auto' tells it from the file name (.jsonl/.json/.ndjson, "
        ".csv/.tsv, .parquet/.pq, each optionally .gz).",
    )
    encoding: str = Field(
        default="utf-8",
        description="Text encoding of JSON Lines and CSV files (any Python codec name: utf-8, "
        "latin-1, cp1252, utf-16 ...). Bytes that do not decode become U+FFFD and are counted "
        "per file in the corpus stats ('replaced'). Parquet text is always UTF-8.",
    )
    text_field: str = Field(default="text", description="Field holding the document text.")
    title_field: str | None = Field(
        default=None, description="Field holding a title, kept beside each passage (optional)."
    )
    id_field: str | None = Field(
        default="id",
        description="Field holding a document id. Where it is null or absent the id is "
        "'<file name>:<line or row number>'.",
    )
    min_tokens: int = Field(
        default=20, ge=1, description="Drop passages with fewer tokens (paper: 20)."
    )
    max_tokens: int = Field(
        default=400,
        ge=1,
        description="Token window: longer documents are cut at the last sentence end inside "
        "the window, or hard at the window where no sentence end leaves min_tokens (paper: 400).",
    )
    split: Literal["truncate", "windows"] = Field(
        default="truncate",
        description="'truncate' keeps the first window of each document (paper); 'windows' "
        "cuts the whole document into consecutive windows, one passage each.",
    )
    dedup: bool = Field(
        default=True,
        description="Drop passages whose text (whitespace-normalized) equals an earlier one.",
    )
    limit: int | None = Field(
        default=None, ge=1, description="Read only the first N documents (for quick runs)."
    )
    sample_fraction: float | None = Field(
        default=None,
        gt=0.0,
        le=1.0,
        description="Keep this fraction of documents, chosen by a stable hash of their position "
        "(streams; spreads a quick run over the whole corpus instead of its first N documents).",
    )

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        return check_encoding(value)
