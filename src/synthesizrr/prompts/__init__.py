"""Task definitions, prompt modes, rendering and in-context example selection."""

from synthesizrr.prompts.groups import ShotGroup, shot_groups
from synthesizrr.prompts.render import (
    PromptLayout,
    PromptMode,
    PromptSettings,
    RenderedPrompt,
    Shot,
    render,
)
from synthesizrr.prompts.task import TaskSettings, load_preset, preset_names

__all__ = [
    "PromptLayout",
    "PromptMode",
    "PromptSettings",
    "RenderedPrompt",
    "Shot",
    "ShotGroup",
    "TaskSettings",
    "load_preset",
    "preset_names",
    "render",
    "shot_groups",
]
