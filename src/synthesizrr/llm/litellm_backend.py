"""Hosted providers through litellm (extra: litellm). Keys come from the providers'
own environment variables (``ANTHROPIC_API_KEY`` ...) or ``llm.api_key_env``."""

from __future__ import annotations

import random
from typing import Any, ClassVar

from synthesizrr._model import StrictModel
from synthesizrr.errors import BackendError, require
from synthesizrr.llm.base import LLMBackend
from synthesizrr.llm.openai_compat import RETRY_STATUSES, api_key_from_env
from synthesizrr.llm.reach import check_reachable
from synthesizrr.llm.retry import RateLimiter, RetryableError, with_retries
from synthesizrr.llm.settings import LiteLLMOptions, LLMSettings
from synthesizrr.llm.types import LLMRequest, LLMResponse


class LiteLLMBackend(LLMBackend):
    """``litellm.acompletion`` (chat) / ``litellm.atext_completion`` (prompt)."""

    name = "litellm"
    Options: ClassVar[type[StrictModel]] = LiteLLMOptions

    def __init__(self, settings: LLMSettings) -> None:
        self._litellm = require("litellm", "litellm", "The 'litellm' LLM backend")
        self.settings = settings
        self.model_id = settings.model
        self.is_chat = True if settings.chat is None else settings.chat
        self.concurrency = settings.concurrency
        self._api_key = api_key_from_env(settings, default_env=None)
        self._limiter: RateLimiter | None = None
        self._rng = random.Random()

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> LiteLLMBackend:
        return cls(settings)

    @classmethod
    def preflight(cls, settings: LLMSettings, *, send: bool) -> None:
        if not send:
            return
        api_key_from_env(settings, default_env=None)  # a named key variable must be set
        if settings.base_url:  # a provider's own endpoint is left to the provider
            check_reachable(settings.base_url, timeout_s=min(settings.timeout_s, 5.0))

    async def agenerate(self, request: LLMRequest) -> LLMResponse:
        s = self.settings
        if self._limiter is None:
            self._limiter = RateLimiter(s.rpm, s.tpm)
        await self._limiter.acquire(self.count_request_tokens(request) + request.max_tokens)
        return await with_retries(
            lambda: self._once(request),
            max_retries=s.max_retries,
            base_s=s.litellm.backoff_base_s,
            max_s=s.litellm.backoff_max_s,
            what=f"litellm request (model {s.model})",
            rng=self._rng,
        )

    async def _once(self, req: LLMRequest) -> LLMResponse:
        lit, s = self._litellm, self.settings
        params: dict[str, Any] = dict(
            model=s.model,
            max_tokens=req.max_tokens,
            temperature=req.temperature,
            top_p=req.top_p,
            seed=req.effective_seed(self.model_id),
            timeout=s.timeout_s,
            drop_params=s.litellm.drop_params,
            num_retries=0,
        )
        if req.stop:
            params["stop"] = list(req.stop)
        if s.base_url:
            params["api_base"] = s.base_url
        if self._api_key:
            params["api_key"] = self._api_key
        try:
            if req.messages is not None:
                msgs = [{"role": m.role, "content": m.content} for m in req.messages]
                out = await lit.acompletion(messages=msgs, **params)
                text = out.choices[0].message.content or ""
            else:
                out = await lit.atext_completion(prompt=req.prompt, **params)
                text = out.choices[0].text or ""
        except Exception as exc:
            status = getattr(exc, "status_code", None)
            if status in RETRY_STATUSES or type(exc).__name__ in (
                "Timeout",
                "APIConnectionError",
                "RateLimitError",
                "ServiceUnavailableError",
                "InternalServerError",
            ):
                raise RetryableError(f"{type(exc).__name__}: {exc}") from exc
            raise BackendError(
                f"litellm request for model '{s.model}' failed: {type(exc).__name__}: {exc}",
                fix="check llm.model (provider/model), the provider's API key variable and "
                "llm.base_url",
            ) from exc
        usage = getattr(out, "usage", None)
        return LLMResponse(
            text=text,
            finish_reason=out.choices[0].finish_reason or "stop",
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            model=str(getattr(out, "model", None) or s.model),
        )

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "base_url": self.settings.base_url}
