"""Task definitions, prompt modes, rendering and in-context example selection."""

from synthesizrr.prompts.render import PromptMode, PromptSettings, RenderedPrompt, Shot, render
from synthesizrr.prompts.task import TaskSettings, load_preset, preset_names

__all__ = [
    "PromptMode",
    "PromptSettings",
    "RenderedPrompt",
    "Shot",
    "TaskSettings",
    "load_preset",
    "preset_names",
    "render",
]
