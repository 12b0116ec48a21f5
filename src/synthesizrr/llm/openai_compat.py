"""Any OpenAI-compatible server: OpenAI, vLLM, Ollama, llama.cpp server, TGI.

Async, with a per-request timeout, retries with exponential backoff and full jitter
(``Retry-After`` honoured), and requests-per-minute / tokens-per-minute limits. The
engine bounds concurrency (``llm.concurrency``). The API key is read from the environment
variable named by ``llm.api_key_env`` and is never logged, described or cached.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from typing import Any, ClassVar

from synthesizrr.errors import BackendError, ConfigError, require
from synthesizrr.llm.base import LLMBackend
from synthesizrr.llm.reach import check_reachable
from synthesizrr.llm.retry import RateLimiter, RetryableError, parse_retry_after, with_retries
from synthesizrr.llm.settings import LLMSettings, OpenAIOptions
from synthesizrr.llm.types import LLMRequest, LLMResponse
from synthesizrr.settings_base import StrictModel

#: HTTP statuses worth another try.
RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
_NO_KEY = "sk-no-key-required"


def sampling_extras(req: LLMRequest) -> dict[str, Any]:
    """``top_k`` / ``min_p`` of ``req`` that are set, for servers that take them."""
    out: dict[str, Any] = {}
    if req.top_k is not None:
        out["top_k"] = req.top_k
    if req.min_p is not None:
        out["min_p"] = req.min_p
    return out


def api_key_from_env(settings: LLMSettings, *, default_env: str | None) -> str | None:
    """The key from ``settings.api_key_env`` (or ``default_env``); never from the config."""
    name = settings.api_key_env or default_env
    if name is None:
        return None
    value = os.environ.get(name)
    if value is None and settings.api_key_env is not None:
        raise ConfigError(
            f"No API key found: llm.api_key_env names the environment variable '{name}', "
            "which is not set.",
            fix=f"export {name}=<your key> (or set llm.api_key_env to the variable that holds it)",
        )
    return value


def connection_error_text(exc: BaseException, base_url: str | None) -> str:
    """``APIConnectionError: connection refused to 127.0.0.1:9``: the root cause (the
    socket error under the SDK's "Connection error.") and the host it could not reach."""
    from urllib.parse import urlsplit

    reason = str(exc)
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and (cause.strerror or cause.errno):
            # asyncio's ConnectionRefusedError says "Connect call failed (...)" as strerror
            errno = cause.errno if isinstance(cause.errno, int) and cause.errno > 0 else None
            reason = (os.strerror(errno) if errno else str(cause.strerror)).lower()
            break
        text = str(cause).strip()
        if cause is not exc and text:
            reason = text[0].lower() + text[1:]
        cause = cause.__cause__ or cause.__context__
    url = urlsplit(base_url or "https://api.openai.com/v1")
    host = url.hostname or "?"
    port = url.port or (443 if url.scheme == "https" else 80)
    return f"{type(exc).__name__}: {reason.rstrip('.')} to {host}:{port}"


class OpenAIBackend(LLMBackend):
    """Chat or completion requests to an OpenAI-compatible endpoint."""

    name = "openai"
    Options: ClassVar[type[StrictModel]] = OpenAIOptions

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        chat: bool = True,
        concurrency: int = 4,
        timeout_s: float = 120.0,
        max_retries: int = 5,
        rpm: int | None = None,
        tpm: int | None = None,
        organization: str | None = None,
        options: OpenAIOptions | None = None,
    ) -> None:
        self.model = model
        self.model_id = model
        self.base_url = base_url
        self.is_chat = chat
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.rpm, self.tpm = rpm, tpm
        self.options = options or OpenAIOptions()
        self._api_key = api_key or _NO_KEY
        self._organization = organization
        self._rng = random.Random()
        # The HTTP client and the rate limiter belong to one event loop each.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Any = None
        self._limiter: RateLimiter | None = None
        self._clients: list[Any] = []

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> OpenAIBackend:
        key = api_key_from_env(
            settings, default_env="OPENAI_API_KEY" if settings.base_url is None else None
        )
        if key is None and settings.base_url is None:
            raise ConfigError(
                "No API key found for llm.backend 'openai' at api.openai.com: OPENAI_API_KEY "
                "is not set and llm.api_key_env is empty.",
                fix="export OPENAI_API_KEY=<key>, or set llm.base_url to your own server",
            )
        org = None
        if settings.openai.organization_env:
            org = os.environ.get(settings.openai.organization_env)
        return cls(
            settings.model,
            base_url=settings.base_url,
            api_key=key,
            chat=True if settings.chat is None else settings.chat,
            concurrency=settings.concurrency,
            timeout_s=settings.timeout_s,
            max_retries=settings.max_retries,
            rpm=settings.rpm,
            tpm=settings.tpm,
            organization=org,
            options=settings.openai,
        )

    @classmethod
    def preflight(cls, settings: LLMSettings, *, send: bool) -> None:
        if not send:
            return
        cls.from_settings(settings)  # the API key check; builds no connection
        check_reachable(
            settings.base_url or "https://api.openai.com/v1", timeout_s=min(settings.timeout_s, 5.0)
        )

    @classmethod
    def for_estimate(cls, settings: LLMSettings) -> OpenAIBackend:
        """The dry run counts tokens and sends nothing: no API key needed."""
        chat = True if settings.chat is None else settings.chat
        return cls(settings.model, base_url=settings.base_url, chat=chat, options=settings.openai)

    def _for_loop(self) -> tuple[Any, RateLimiter]:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._client is None or self._limiter is None:
            openai = require("openai", "openai", "The 'openai' LLM backend")
            self._client = openai.AsyncOpenAI(
                api_key=self._api_key,
                base_url=self.base_url,
                organization=self._organization,
                timeout=self.timeout_s,
                max_retries=0,  # retries are ours: jitter, Retry-After, one policy everywhere
            )
            self._clients.append(self._client)
            self._limiter = RateLimiter(self.rpm, self.tpm)
            self._loop = loop
        return self._client, self._limiter

    async def agenerate(self, request: LLMRequest) -> LLMResponse:
        client, limiter = self._for_loop()
        await limiter.acquire(self.count_request_tokens(request) + request.max_tokens)
        try:
            return await with_retries(
                lambda: self._once(client, request),
                max_retries=self.max_retries,
                base_s=self.options.backoff_base_s,
                max_s=self.options.backoff_max_s,
                what=f"request to {self.base_url or 'api.openai.com'} (model {self.model})",
                rng=self._rng,
            )
        except Exception as exc:
            # Servers may quote the key in an error; the message goes to the ledger and logs.
            if self._redact(str(exc)) == str(exc):
                raise
            if isinstance(exc, BackendError):
                message, fix = exc.message, exc.fix
            else:
                message, fix = f"{type(exc).__name__}: {exc}", None
            raise BackendError(self._redact(message), fix=fix) from None

    def _redact(self, text: str) -> str:
        """``text`` without the API key (servers may quote it in error messages)."""
        key = self._api_key
        if key == _NO_KEY or len(key) < 8:
            return text
        return text.replace(key, "<redacted API key>")

    async def _once(self, client: Any, req: LLMRequest) -> LLMResponse:
        import openai

        params: dict[str, Any] = dict(
            model=self.model,
            max_tokens=req.max_tokens,
            temperature=req.temperature,
            top_p=req.top_p,
            seed=req.effective_seed(self.model_id),
        )
        if req.stop:
            params["stop"] = list(req.stop)
        extra = sampling_extras(req) if self.base_url else {}
        if extra:  # vLLM, llama.cpp and Ollama servers read these; api.openai.com has none
            params["extra_body"] = extra
        try:
            if req.messages is not None:
                msgs = [{"role": m.role, "content": m.content} for m in req.messages]
                out = await client.chat.completions.create(messages=msgs, **params)
                choice = out.choices[0]
                text = choice.message.content or ""
            else:
                out = await client.completions.create(prompt=req.prompt, **params)
                choice = out.choices[0]
                text = choice.text or ""
        except openai.APIStatusError as exc:
            status = exc.status_code
            message = self._redact(exc.message)
            if status in RETRY_STATUSES:
                retry_after = parse_retry_after(exc.response.headers.get("retry-after"))
                raise RetryableError(f"HTTP {status}: {message}", retry_after) from exc
            raise BackendError(
                f"{self.base_url or 'api.openai.com'} refused the request for model "
                f"'{self.model}': HTTP {status}: {message}",
                fix="check llm.model (the server's model name), llm.api_key_env and the "
                "request size (llm.n_ctx / max_new_tokens)",
            ) from exc
        except openai.APITimeoutError as exc:
            raise RetryableError(self._redact(f"{type(exc).__name__}: {exc}")) from exc
        except openai.APIConnectionError as exc:
            raise RetryableError(self._redact(connection_error_text(exc, self.base_url))) from exc
        usage = out.usage
        return LLMResponse(
            text=text,
            finish_reason=choice.finish_reason or "stop",
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            model=str(out.model or self.model),
        )

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "base_url": self.base_url,
            "concurrency": self.concurrency,
            "timeout_s": self.timeout_s,
            "max_retries": self.max_retries,
            "rpm": self.rpm,
            "tpm": self.tpm,
        }

    def close(self) -> None:
        clients, self._clients = self._clients, []
        self._client = None
        self._loop = None
        for c in clients:
            with contextlib.suppress(Exception):  # best effort: its loop may be gone
                asyncio.run(c.close())
