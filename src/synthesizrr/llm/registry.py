"""Backends by name: the built-in table plus the ``synthesizrr.backends`` entry points.

A plugin package registers its backend class in its own ``pyproject.toml``::

    [project.entry-points."synthesizrr.backends"]
    mybackend = "my_package.backend:MyBackend"

and users pick it with ``llm.backend: mybackend``. Nothing is imported until chosen.
"""

from __future__ import annotations

import difflib
import importlib
from importlib.metadata import entry_points

from synthesizrr.errors import ConfigError
from synthesizrr.llm.base import LLMBackend
from synthesizrr.llm.settings import LLMSettings

ENTRY_POINT_GROUP = "synthesizrr.backends"

#: name -> "module:Class"; imported only when the backend is chosen.
BUILTIN_BACKENDS: dict[str, str] = {
    "llamacpp": "synthesizrr.llm.llamacpp:LlamaCppBackend",
    "openai": "synthesizrr.llm.openai_compat:OpenAIBackend",
    "litellm": "synthesizrr.llm.litellm_backend:LiteLLMBackend",
    "transformers": "synthesizrr.llm.transformers_backend:TransformersBackend",
    "vllm": "synthesizrr.llm.vllm_backend:VLLMBackend",
    "fake": "synthesizrr.testing:FakeLLM",
}

_registered: dict[str, type[LLMBackend]] = {}


def register_backend(name: str, cls: type[LLMBackend]) -> None:
    """Register a backend class in this process (tests, notebooks); entry points are the
    way for installed plugins."""
    _registered[name] = cls


def _plugins() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available_backends() -> list[str]:
    """Every name ``llm.backend`` accepts."""
    return sorted({*BUILTIN_BACKENDS, *_plugins(), *_registered})


def _load(target: str, name: str) -> type[LLMBackend]:
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    cls = getattr(module, attr)
    if not (isinstance(cls, type) and issubclass(cls, LLMBackend)):
        raise ConfigError(
            f"llm.backend '{name}' points at {target}, which is not an LLMBackend subclass.",
            fix="register a subclass of synthesizrr.llm.LLMBackend",
        )
    return cls


def backend_class(name: str) -> type[LLMBackend]:
    """The class registered under ``name`` (process registrations, then built-ins, then
    entry points)."""
    if name in _registered:
        return _registered[name]
    target = BUILTIN_BACKENDS.get(name) or _plugins().get(name)
    if target is None:
        choices = available_backends()
        close = difflib.get_close_matches(name, choices, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ConfigError(
            f"llm.backend '{name}' is not a known backend (choices: {', '.join(choices)}).{hint}",
            fix="set llm.backend to one of the choices, or install the plugin that provides it",
        )
    return _load(target, name)


def get_backend(settings: LLMSettings) -> LLMBackend:
    """Build the backend that ``settings.backend`` names."""
    return backend_class(settings.backend).from_settings(settings)
