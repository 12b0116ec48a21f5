"""Offline batched generation with vLLM on a GPU (extra: vllm).

Requests arriving together are gathered (up to ``llm.vllm.batch_size``) into one
``LLM.generate`` call in a worker thread; vLLM batches them on the GPU. Set
``llm.concurrency`` to the batch size so the engine keeps enough requests in flight.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, ClassVar

from synthesizrr.errors import require
from synthesizrr.llm.base import LLMBackend
from synthesizrr.llm.settings import LLMSettings, VLLMOptions
from synthesizrr.llm.types import LLMRequest, LLMResponse
from synthesizrr.models import check_local_model
from synthesizrr.settings_base import StrictModel

_GATHER_S = 0.005


class VLLMBackend(LLMBackend):
    name = "vllm"
    Options: ClassVar[type[StrictModel]] = VLLMOptions
    tokenizer_name = "hf"

    def __init__(self, settings: LLMSettings) -> None:
        self._vllm = require("vllm", "vllm", "The 'vllm' LLM backend")
        opts = settings.vllm
        kwargs: dict[str, Any] = dict(
            model=settings.model,
            tensor_parallel_size=opts.tensor_parallel_size,
            gpu_memory_utilization=opts.gpu_memory_utilization,
        )
        if opts.max_model_len:
            kwargs["max_model_len"] = opts.max_model_len
        self._llm = self._vllm.LLM(**kwargs)
        self._tok = self._llm.get_tokenizer()
        self.batch_size = opts.batch_size
        self.model_id = f"vllm:{settings.model}"
        has_template = getattr(self._tok, "chat_template", None) is not None
        self.is_chat = has_template if settings.chat is None else settings.chat
        self.concurrency = max(settings.concurrency, opts.batch_size)
        self._lock = threading.Lock()
        self._pending: list[tuple[LLMRequest, asyncio.Future[LLMResponse]]] = []
        self._flusher: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> VLLMBackend:
        return cls(settings)

    @classmethod
    def preflight(cls, settings: LLMSettings, *, send: bool) -> None:
        check_local_model(settings.model, "llm.model")

    async def agenerate(self, request: LLMRequest) -> LLMResponse:
        fut: asyncio.Future[LLMResponse] = asyncio.get_running_loop().create_future()
        self._pending.append((request, fut))
        if len(self._pending) >= self.batch_size:
            self._start_flush(now=True)
        elif self._flusher is None or self._flusher.done():
            self._start_flush(now=False)
        return await fut

    def _start_flush(self, *, now: bool) -> None:
        batch, self._pending = (self._pending, []) if now else ([], self._pending)
        if now:
            asyncio.ensure_future(self._run(batch))
        else:
            self._flusher = asyncio.ensure_future(self._delayed())

    async def _delayed(self) -> None:
        await asyncio.sleep(_GATHER_S)
        batch, self._pending = self._pending, []
        if batch:
            await self._run(batch)

    async def _run(self, batch: list[tuple[LLMRequest, asyncio.Future[LLMResponse]]]) -> None:
        try:
            outs = await asyncio.to_thread(self._generate_sync, [r for r, _ in batch])
        except Exception as exc:
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        for (_, fut), out in zip(batch, outs, strict=True):
            if not fut.done():
                fut.set_result(out)

    def _generate_sync(self, reqs: list[LLMRequest]) -> list[LLMResponse]:
        prompts: list[Any] = []
        params = []
        for r in reqs:
            if r.messages is not None:
                msgs = [{"role": m.role, "content": m.content} for m in r.messages]
                text = self._tok.apply_chat_template(
                    msgs, tokenize=False, add_generation_prompt=True
                )
            else:
                text = r.prompt
            prompts.append(text)
            params.append(
                self._vllm.SamplingParams(
                    max_tokens=r.max_tokens,
                    temperature=r.temperature,
                    top_p=r.top_p,
                    top_k=-1 if not r.top_k else r.top_k,  # vLLM: -1 is off
                    min_p=r.min_p or 0.0,
                    stop=list(r.stop) or None,
                    seed=r.effective_seed(self.model_id),
                )
            )
        with self._lock:
            results = self._llm.generate(prompts, params, use_tqdm=False)
        out = []
        for res in results:
            c = res.outputs[0]
            out.append(
                LLMResponse(
                    text=c.text,
                    finish_reason=c.finish_reason or "stop",
                    prompt_tokens=len(res.prompt_token_ids or ()),
                    completion_tokens=len(c.token_ids),
                    model=self.model_id,
                )
            )
        return out

    def count_tokens(self, text: str) -> int:
        return len(self._tok.encode(text, add_special_tokens=False)) if text else 0
