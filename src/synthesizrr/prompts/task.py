"""Task definitions: labels with verbalizations, document header, instructions, prefix.

A task is YAML. Built-in presets live in ``presets/*.yaml``; a config names one with
``preset:`` and overrides any field, so a new task needs only YAML.
"""

from __future__ import annotations

import string
from importlib import resources
from typing import Any, ClassVar

import yaml
from pydantic import Field, field_validator, model_validator

from synthesizrr.errors import ConfigError
from synthesizrr.settings_base import StrictModel

#: Placeholders an instruction template may use; anything else in braces is an error.
PLACEHOLDERS = frozenset({"label", "label_description"})


def preset_names() -> list[str]:
    folder = resources.files("synthesizrr.prompts") / "presets"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_preset(name: str) -> dict[str, Any]:
    names = preset_names()
    if name not in names:
        raise ConfigError(
            f"task.preset: unknown preset '{name}'; valid choices: {', '.join(names)}.",
            fix="pick one of the presets or define the task fields inline",
        )
    text = (resources.files("synthesizrr.prompts") / "presets" / f"{name}.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def _check_template(value: str) -> str:
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
    except ValueError as exc:
        raise ValueError(
            f"not a valid template ({exc}); write literal braces as {{{{ }}}}"
        ) from exc
    unknown = fields - PLACEHOLDERS
    if unknown:
        raise ValueError(
            f"unknown placeholder(s) {sorted(unknown)}; valid: {{label}}, {{label_description}}"
        )
    return value


class TaskSettings(StrictModel):
    """What to write: the label set and how to ask the teacher for one example."""

    # Added after run directories existed: in the fingerprint only when set.
    fingerprinted_when_set: ClassVar[frozenset[str]] = frozenset(
        {"override_document_label", "override_instruction", "stop"}
    )

    preset: str | None = Field(None, description="built-in task to start from")
    name: str = Field("custom", description="task name, used in the dataset card")
    description: str = Field("", description="one line about the task")
    labels: dict[str, str] = Field(
        ..., description="label name -> verbalization (what an example of the label is about)"
    )
    document_header: str = Field("Document:", description="header above the retrieved document")
    instruction: str = Field(
        ..., description="instruction after the document; may use {label} and {label_description}"
    )
    fewgen_instruction: str | None = Field(
        None, description="instruction for modes without a document (FewGen, ZeroGen)"
    )
    override_instruction: str | None = Field(
        None,
        description="instruction after the document that tells the teacher the document's "
        "own sentiment or topic does not decide the label (e.g. 'Whatever the text above "
        "says, write a {label} ...'); used instead of 'instruction' when "
        "override_document_label is true",
    )
    override_document_label: bool = Field(
        False,
        description="use override_instruction with retrieved documents, so a document "
        "retrieved for a negative seed that is itself positive still yields a negative "
        "example (off by default: earlier runs keep their prompts)",
    )
    output_prefix: str = Field("Output:", description="prefix the answer follows")
    max_new_tokens: int = Field(80, gt=0, le=8192, description="length cap of one generation")
    stop: list[str] = Field(
        default_factory=list,
        description="stop sequences of every request, chat or not (e.g. ['\\n'] for one-line "
        "answers such as headlines: a small chat model that goes on after its answer then "
        "stops there instead of running into the length cap)",
    )
    example_header: str = Field(
        "Examples of {label_description}:", description="header above plain seed examples"
    )

    @model_validator(mode="before")
    @classmethod
    def _merge_preset(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("preset"):
            base = load_preset(str(data["preset"]))
            merged = {**base, **data}
            if isinstance(data.get("labels"), dict):
                merged["labels"] = data["labels"]
            return merged
        return data

    @field_validator("labels")
    @classmethod
    def _labels_ok(cls, v: dict[str, str]) -> dict[str, str]:
        if len(v) < 2:
            raise ValueError("a classification task needs at least 2 labels")
        for name, desc in v.items():
            if not str(name).strip():
                raise ValueError("a label name is empty")
            if not isinstance(desc, str) or not desc.strip():
                raise ValueError(f"label '{name}' has no description (verbalization)")
        return v

    @field_validator("stop")
    @classmethod
    def _stops_ok(cls, v: list[str]) -> list[str]:
        if any(not s for s in v):
            raise ValueError("a stop sequence is empty; remove it or give it characters")
        return v

    @field_validator("instruction", "fewgen_instruction", "override_instruction", "example_header")
    @classmethod
    def _template_ok(cls, v: str | None) -> str | None:
        return None if v is None else _check_template(v)

    @model_validator(mode="after")
    def _override_has_instruction(self) -> TaskSettings:
        if self.override_document_label and self.override_instruction is None:
            raise ValueError(
                "override_document_label is true but the task has no override_instruction; "
                "write task.override_instruction (it may use {label} and {label_description}) "
                "or pick a preset that has one (sst2, imdb, amazon_polarity)"
            )
        return self

    @property
    def label_names(self) -> list[str]:
        return list(self.labels)

    def instruction_for(self, label: str, *, with_document: bool = True) -> str:
        if not with_document:
            template = self.fewgen_instruction or self.instruction
        elif self.override_document_label and self.override_instruction is not None:
            template = self.override_instruction
        else:
            template = self.instruction
        return template.format(label=label, label_description=self.labels[label])

    def example_header_for(self, label: str) -> str:
        return self.example_header.format(label=label, label_description=self.labels[label])
