"""Prompt modes and rendering.

Each mode builds the in-context part differently (METHOD.md step 2):

- ``retricl``: k shots, each a retrieved document of another same-label seed paired with
  that seed's text as the answer, laid out exactly like the final prompt.
- ``non_retricl``: the document plus up to 32 same-label seed texts as plain examples.
- ``fewgen``: no document; the instruction plus 0..32 same-label seed texts, as turns (the
  paper's layout) or ``layout: listed`` (the examples as one list, the instruction once).
- ``zerogen``: no document, no shots; label-conditioned generation.

Chat models get alternating user/assistant turns (the backend applies the model's chat
template); completion models get one raw text ending with the output prefix. Documents and
seed texts are inserted by concatenation, never through ``str.format``, so braces, Jinja
syntax or end-of-turn tokens inside untrusted text stay literal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import ClassVar

from pydantic import Field, model_validator

from synthesizrr.prompts.task import TaskSettings
from synthesizrr.settings_base import StrictModel


class PromptMode(str, Enum):
    RETRICL = "retricl"
    NON_RETRICL = "non_retricl"
    FEWGEN = "fewgen"
    ZEROGEN = "zerogen"

    @property
    def uses_documents(self) -> bool:
        return self in (PromptMode.RETRICL, PromptMode.NON_RETRICL)


class PromptLayout(str, Enum):
    TURNS = "turns"
    LISTED = "listed"


class PromptSettings(StrictModel):
    """How prompts are built."""

    # Added after run directories existed; their defaults build the prompts of before.
    fingerprinted_when_set: ClassVar[frozenset[str]] = frozenset({"layout", "shot_groups"})

    mode: PromptMode = Field(
        PromptMode.RETRICL, description="retricl | non_retricl | fewgen | zerogen"
    )
    shots: int = Field(
        3, ge=0, le=64, description="in-context examples (retricl: 0 or 3; non_retricl/fewgen: 32)"
    )
    system_prompt: str | None = Field(None, description="optional system message for chat models")
    max_document_chars: int = Field(
        2500, gt=0, description="documents longer than this are cut (at a word boundary)"
    )
    max_shot_chars: int | None = Field(
        None,
        gt=0,
        description="in-context example texts (seed texts shown as answers) longer than "
        "this are cut at a word boundary; null keeps them whole. 32 shots of long texts "
        "(IMDb reviews, news articles) do not fit a small model's context otherwise.",
    )
    layout: PromptLayout = Field(
        PromptLayout.TURNS,
        description="fewgen shots as turns (the paper's: one user/assistant pair per shot) or "
        "listed (the examples once, as a list, then the instruction once: far fewer tokens)",
    )
    shot_groups: int = Field(
        4,
        ge=1,
        description="consecutive prompts of one label that share one seeded shot draw (each "
        "keeps its own document and sampling seed); 1: a draw per prompt. Shared shots are a "
        "shared prompt prefix, evaluated once by the embedded teacher. Default 4: on AG News "
        "(227 rows each) no diversity or label-fidelity loss against 1 "
        "(bench/generation/SHOT_GROUPS.md)",
    )

    @model_validator(mode="after")
    def _layout_fits_mode(self) -> PromptSettings:
        if self.layout is PromptLayout.LISTED and self.mode is not PromptMode.FEWGEN:
            raise ValueError(
                f"prompt.layout 'listed' applies to mode fewgen only, not '{self.mode.value}' "
                "(non_retricl always lists its examples; retricl shots carry documents): "
                "set layout: turns or mode: fewgen"
            )
        return self


@dataclass(frozen=True)
class Shot:
    """One in-context example: an optional document and the answer text."""

    answer: str
    document: str | None = None


@dataclass(frozen=True)
class RenderedPrompt:
    """A prompt in both shapes; the backend's ``is_chat`` picks one."""

    messages: tuple[tuple[str, str], ...]
    text: str


def _cut(text: str, limit: int | None) -> str:
    """``text`` with whitespace normalised, cut at a word boundary to ``limit`` (None: whole)."""
    text = " ".join(text.split())
    if limit is None or len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[: space if space > limit // 2 else limit]


def _block(task: TaskSettings, document: str | None, instruction: str) -> str:
    if document is None:
        return instruction
    return f"{task.document_header}\n{document}\n\n{instruction}"


def render(
    task: TaskSettings,
    settings: PromptSettings,
    *,
    label: str,
    document: str | None,
    shots: Sequence[Shot] = (),
) -> RenderedPrompt:
    """Render one prompt for ``label``; ``document`` is None for FewGen/ZeroGen."""
    mode = settings.mode
    limit = settings.max_document_chars
    doc = _cut(document, limit) if document is not None and mode.uses_documents else None
    instruction = task.instruction_for(label, with_document=doc is not None)
    prefix = task.output_prefix
    shot_limit = settings.max_shot_chars
    system = (("system", settings.system_prompt),) if settings.system_prompt else ()

    listed = mode is PromptMode.NON_RETRICL or settings.layout is PromptLayout.LISTED
    if mode is PromptMode.RETRICL or (mode is PromptMode.FEWGEN and shots and not listed):
        # Shots laid out exactly like the final prompt: user turn, then the answer.
        turns: list[tuple[str, str]] = []
        parts: list[str] = []
        for shot in shots:
            shot_doc = _cut(shot.document, limit) if shot.document is not None else None
            user = _block(task, shot_doc, instruction)
            answer = _cut(shot.answer, shot_limit)
            turns += [("user", user), ("assistant", answer)]
            parts.append(f"{user}\n{prefix} {answer}")
        final = _block(task, doc, instruction)
        parts.append(f"{final}\n{prefix}")
        return RenderedPrompt(messages=(*system, *turns, ("user", final)), text="\n\n".join(parts))

    if listed and shots:  # the examples once, as a list, then the instruction once
        header = task.example_header_for(label)
        examples = "\n".join(f"{prefix} {_cut(s.answer, shot_limit)}" for s in shots)
        body = f"{header}\n{examples}\n\n{_block(task, doc, instruction)}"
        return RenderedPrompt(messages=(*system, ("user", body)), text=f"{body}\n{prefix}")

    body = _block(task, doc, instruction)
    return RenderedPrompt(messages=(*system, ("user", body)), text=f"{body}\n{prefix}")
