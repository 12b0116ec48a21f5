"""A local Hugging Face causal LM through ``transformers`` (extra: transformers).

Calls are serialized and run in a worker thread; chat requests use the tokenizer's chat
template. Offline: the model must be a local folder or already in the HF cache.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, ClassVar

from synthesizrr.errors import ModelNotAvailableError, require
from synthesizrr.llm.base import LLMBackend
from synthesizrr.llm.settings import LLMSettings, TransformersOptions
from synthesizrr.llm.types import LLMRequest, LLMResponse
from synthesizrr.models import check_local_model
from synthesizrr.settings_base import StrictModel


class TransformersBackend(LLMBackend):
    name = "transformers"
    Options: ClassVar[type[StrictModel]] = TransformersOptions
    tokenizer_name = "hf"

    def __init__(self, settings: LLMSettings) -> None:
        tf = require("transformers", "transformers", "The 'transformers' LLM backend")
        self._torch = require("torch", "transformers", "The 'transformers' LLM backend")
        opts = settings.transformers
        try:
            self._tok = tf.AutoTokenizer.from_pretrained(settings.model)
            self._model = tf.AutoModelForCausalLM.from_pretrained(
                settings.model, torch_dtype=opts.dtype
            ).to(opts.device)
        except OSError as exc:
            raise ModelNotAvailableError(
                f"transformers cannot load llm.model '{settings.model}' offline: {exc}",
                fix="set llm.model to a local model folder (or pre-download it to the HF cache)",
            ) from exc
        self._model.eval()
        self.device = opts.device
        self.model_id = f"transformers:{settings.model}"
        has_template = getattr(self._tok, "chat_template", None) is not None
        self.is_chat = has_template if settings.chat is None else settings.chat
        self.concurrency = 1
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> TransformersBackend:
        return cls(settings)

    @classmethod
    def preflight(cls, settings: LLMSettings, *, send: bool) -> None:
        check_local_model(settings.model, "llm.model")

    async def agenerate(self, request: LLMRequest) -> LLMResponse:
        return await asyncio.to_thread(self._generate_sync, request)

    def _generate_sync(self, req: LLMRequest) -> LLMResponse:
        torch = self._torch
        if req.messages is not None:
            msgs = [{"role": m.role, "content": m.content} for m in req.messages]
            ids = self._tok.apply_chat_template(
                msgs, add_generation_prompt=True, return_tensors="pt"
            )
        else:
            ids = self._tok(req.prompt, return_tensors="pt").input_ids
        ids = ids.to(self.device)
        kwargs: dict[str, Any] = dict(max_new_tokens=req.max_tokens)
        if req.temperature > 0:
            kwargs.update(do_sample=True, temperature=req.temperature, top_p=req.top_p)
            # transformers applies top_k=50 unless told otherwise; 0 turns it off.
            if req.top_k is not None:
                kwargs["top_k"] = req.top_k
            if req.min_p:
                kwargs["min_p"] = req.min_p
        else:
            kwargs.update(do_sample=False)
        if req.stop:
            kwargs.update(stop_strings=list(req.stop), tokenizer=self._tok)
        with self._lock, torch.no_grad():
            torch.manual_seed(req.effective_seed(self.model_id))
            out = self._model.generate(ids, **kwargs)
        new = out[0, ids.shape[1] :]
        text = self._tok.decode(new, skip_special_tokens=True)
        for s in req.stop:
            text = text.split(s, 1)[0]
        eos = self._tok.eos_token_id
        finished = len(new) < req.max_tokens or (eos is not None and int(new[-1]) == eos)
        return LLMResponse(
            text=text,
            finish_reason="stop" if finished else "length",
            prompt_tokens=int(ids.shape[1]),
            completion_tokens=int(len(new)),
            model=self.model_id,
        )

    def count_tokens(self, text: str) -> int:
        return len(self._tok(text, add_special_tokens=False).input_ids) if text else 0
