"""The one contract every backend implements.

A backend turns an :class:`LLMRequest` into an :class:`LLMResponse` with one async method,
``agenerate``. Everything else (cache, dedupe, budgets, concurrency) lives in
:mod:`synthesizrr.generation.engine`. Backends register by name in
:mod:`synthesizrr.llm.registry` (built-in table plus the ``synthesizrr.backends``
entry-point group) and build themselves from :class:`LLMSettings` in ``from_settings``.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import ValidationError

from synthesizrr.errors import ConfigError
from synthesizrr.llm.settings import LLMSettings
from synthesizrr.llm.types import LLMRequest, LLMResponse
from synthesizrr.settings_base import StrictModel


class NoOptions(StrictModel):
    """A backend without options of its own."""


class LLMBackend(abc.ABC):
    """Turns requests into responses. Subclasses implement ``agenerate`` (and ideally
    ``from_settings``, ``count_tokens``, ``describe`` and ``close``)."""

    #: Registered name (``llm.backend`` in the config).
    name: ClassVar[str] = "base"
    #: The backend's own options model (validated from ``llm.plugin_options`` for plugins).
    Options: ClassVar[type[StrictModel]] = NoOptions

    #: Identifies the model in cache keys: requests to another model never share a cache row.
    model_id: str
    #: True: requests carry ``messages``; False: raw ``prompt`` completion.
    is_chat: bool
    #: Requests the engine may keep in flight at once.
    concurrency: int = 1
    #: Requests the engine hands over together in one :meth:`agenerate_many` call
    #: (consecutive requests of its todo list); 1: one ``agenerate`` call each.
    batch_size: int = 1

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> LLMBackend:
        """Build from the run config (override; the default takes no arguments)."""
        return cls()

    @classmethod  # noqa: B027 - an optional hook
    def preflight(cls, settings: LLMSettings, *, send: bool) -> None:
        """Cheap checks run before the pipeline's first stage: the model file exists, the
        server listens. Raise the typed error with the fix. ``send`` is False for a dry
        run, which sends nothing (check files only). The default checks nothing."""

    @classmethod
    def for_estimate(cls, settings: LLMSettings) -> LLMBackend:
        """A backend that counts tokens for ``generate --dry-run`` and sends nothing, so it
        needs no API key. The default is :meth:`from_settings`."""
        return cls.from_settings(settings)

    @classmethod
    def plugin_options(cls, settings: LLMSettings) -> StrictModel:
        """``settings.plugin_options`` validated by this backend's ``Options`` model."""
        try:
            return cls.Options.model_validate(settings.plugin_options)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            fields = ", ".join(cls.Options.model_fields) or "none"
            raise ConfigError(
                f"llm.plugin_options for backend '{cls.name}' are invalid ({problems}); "
                f"valid options: {fields}.",
                fix="fix or remove the named keys under llm.plugin_options",
            ) from exc

    @abc.abstractmethod
    async def agenerate(self, request: LLMRequest) -> LLMResponse:
        """One completion. Raise :class:`~synthesizrr.errors.BackendError` when it fails
        after the backend's own retries."""

    async def agenerate_many(self, requests: Sequence[LLMRequest]) -> list[LLMResponse | Exception]:
        """Several completions at once (up to :attr:`batch_size`), one result per request
        in order: its response, or the exception that request alone failed with. The default
        calls :meth:`agenerate` for each in turn."""
        out: list[LLMResponse | Exception] = []
        for request in requests:
            try:
                out.append(await self.agenerate(request))
            except Exception as exc:  # this request's failure, recorded by the engine
                out.append(exc)
        return out

    def generate(self, request: LLMRequest) -> LLMResponse:
        """Synchronous convenience wrapper (no cache; use the engine for real runs)."""
        return asyncio.run(self.agenerate(request))

    def count_tokens(self, text: str) -> int:
        """Prompt tokens of ``text``; the default is the chars/4 rule of thumb."""
        return max(1, (len(text) + 3) // 4) if text else 0

    def count_request_tokens(self, request: LLMRequest) -> int:
        """Prompt tokens of a whole request (4 tokens of chat framing per message)."""
        if request.messages is None:
            return self.count_tokens(request.prompt or "")
        return sum(self.count_tokens(m.content) + 4 for m in request.messages)

    def describe(self) -> dict[str, Any]:
        """What the run manifest records about this backend (never a secret)."""
        return {"backend": self.name, "model_id": self.model_id, "chat": self.is_chat}

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (connections, model memory)."""

    def __enter__(self) -> LLMBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
