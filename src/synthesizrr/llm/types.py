"""Value objects of the backend contract: a request, its messages, and a response.

A request is hashed into a cache key from everything that changes the answer (model,
messages or prompt, sampling parameters, seed, sample index) and nothing else: no API
key, no endpoint. Repeated samples of one prompt differ by ``sample_index``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Message(_Frozen):
    """One chat turn."""

    role: Literal["system", "user", "assistant"]
    content: str


class LLMRequest(_Frozen):
    """One completion to make: chat ``messages`` or a raw ``prompt`` (exactly one)."""

    messages: tuple[Message, ...] | None = None
    prompt: str | None = None
    max_tokens: int = Field(..., gt=0, description="cap on new tokens")
    temperature: float = Field(default=0.95, ge=0.0, le=2.0)
    top_p: float = Field(default=0.9, gt=0.0, le=1.0)
    top_k: int | None = Field(
        default=None, ge=0, description="top-k cut (0: off); None: the backend's own default"
    )
    min_p: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="min-p cut (0.0: off); None: the backend's default",
    )
    stop: tuple[str, ...] = ()
    seed: int | None = Field(
        default=None, description="sampling seed; None: derived from the cache key"
    )
    sample_index: int = Field(
        default=0, ge=0, description="distinguishes repeated samples of one prompt"
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> LLMRequest:
        if (self.messages is None) == (self.prompt is None):
            raise ValueError("LLMRequest needs exactly one of 'messages' (chat) or 'prompt'")
        if self.messages is not None and not self.messages:
            raise ValueError("LLMRequest.messages is empty; give at least one message")
        return self

    @property
    def is_chat(self) -> bool:
        return self.messages is not None

    def canonical(self, model_id: str) -> dict[str, Any]:
        """Everything that changes the answer, as plain JSON types.

        ``top_k`` and ``min_p`` appear only when set, so a request that leaves them to the
        backend keeps the key it had before they existed.
        """
        out: dict[str, Any] = {
            "model": model_id,
            "messages": None
            if self.messages is None
            else [[m.role, m.content] for m in self.messages],
            "prompt": self.prompt,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "stop": list(self.stop),
            "seed": self.seed,
            "sample_index": self.sample_index,
        }
        if self.top_k is not None:
            out["top_k"] = self.top_k
        if self.min_p is not None:
            out["min_p"] = self.min_p
        return out

    def canonical_json(self, model_id: str) -> str:
        return json.dumps(
            self.canonical(model_id), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )

    def cache_key(self, model_id: str) -> str:
        """sha256 hex of the canonical JSON of this request for ``model_id``."""
        return hashlib.sha256(self.canonical_json(model_id).encode("utf-8")).hexdigest()

    def effective_seed(self, model_id: str) -> int:
        """``seed`` if set, else a 31-bit seed derived from the cache key (reproducible)."""
        if self.seed is not None:
            return self.seed
        return int(self.cache_key(model_id)[:8], 16) & 0x7FFFFFFF

    def text_for_counting(self) -> str:
        """All prompt text, for token estimates."""
        if self.prompt is not None:
            return self.prompt
        return "\n".join(m.content for m in self.messages or ())


class LLMResponse(_Frozen):
    """What a backend returns for one request."""

    text: str
    finish_reason: str = Field(
        default="stop", description="'stop', 'length', or the server's value"
    )
    prompt_tokens: int = Field(default=0, ge=0)
    completion_tokens: int = Field(default=0, ge=0)
    model: str = ""
