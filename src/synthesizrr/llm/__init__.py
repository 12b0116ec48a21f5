"""LLM backends behind one contract (:class:`LLMBackend`), chosen by name in the config.

Built in: ``llamacpp`` (in-process GGUF, the embedded default), ``openai`` (any
OpenAI-compatible server), ``litellm`` (hosted providers), ``transformers`` and ``vllm``
(optional extras) and ``fake`` (:class:`synthesizrr.testing.FakeLLM`). Plugins register
under the ``synthesizrr.backends`` entry-point group. Heavy libraries are imported only
when their backend is chosen.
"""

from __future__ import annotations

from synthesizrr.llm.base import LLMBackend
from synthesizrr.llm.registry import (
    ENTRY_POINT_GROUP,
    available_backends,
    backend_class,
    get_backend,
    register_backend,
)
from synthesizrr.llm.settings import (
    LiteLLMOptions,
    LlamaCppOptions,
    LLMSettings,
    OpenAIOptions,
    TransformersOptions,
    VLLMOptions,
)
from synthesizrr.llm.types import LLMRequest, LLMResponse, Message

__all__ = [
    "ENTRY_POINT_GROUP",
    "LLMBackend",
    "LLMRequest",
    "LLMResponse",
    "LLMSettings",
    "LiteLLMOptions",
    "LlamaCppOptions",
    "Message",
    "OpenAIOptions",
    "TransformersOptions",
    "VLLMOptions",
    "available_backends",
    "backend_class",
    "get_backend",
    "register_backend",
]
