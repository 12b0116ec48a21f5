"""In-process GGUF models through llama-cpp-python (the embedded, offline default).

One llama context per (path, n_ctx, threads, GPU layers) per process, loaded once and
shared; calls into it are serialized by a lock and run in a worker thread so the event
loop stays free. Chat models use the GGUF's chat template, base models raw completion.
Message contents and completion prompts are tokenized with ``special=False`` so a
document that contains ``<|im_end|>`` stays text and cannot close a turn; only the
template's own markup becomes special tokens. Sampling is seeded per request (the request's ``seed``, else
one derived from its cache key), so a rerun of a request reproduces its text. The KV state
of the messages a request shares with the previous one is kept (:mod:`.kv_reuse`), so
requests in prefix order evaluate each shared prefix once. With ``llm.llamacpp.parallel``
above 1 the engine hands over that many consecutive requests at once, decoded together as
sequences of one llama.cpp batch (:mod:`.parallel`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from synthesizrr.errors import BackendError, require
from synthesizrr.llm.base import LLMBackend
from synthesizrr.llm.kv_reuse import PrefixSlot, Segment, split_tokens
from synthesizrr.llm.parallel import ParallelDecoder, SeqJob
from synthesizrr.llm.settings import LlamaCppOptions, LLMSettings
from synthesizrr.llm.types import LLMRequest, LLMResponse
from synthesizrr.models import check_gguf, resolve_llm_path
from synthesizrr.settings_base import StrictModel

log = logging.getLogger(__name__)

#: Embedded names that are base (completion) models, not chat models.
BASE_MODELS = frozenset({"gemma3-270m", "gemma3"})

#: Private-use markers that stand in for message contents while the template renders.
_SLOT = "\ue000{}\ue001"
_SLOT_RE = re.compile("\ue000(\\d+)\ue001")

_LOAD_LOCK = threading.Lock()
_MODELS: dict[tuple[Any, ...], PrefixSlot] = {}


def load_llama(
    path: Path, *, n_ctx: int, n_threads: int | None, options: LlamaCppOptions
) -> PrefixSlot:
    """The process-wide ``Llama`` for these settings, its lock and its kept prefix."""
    threads = n_threads or os.cpu_count() or 1
    key = (str(path), n_ctx, threads, options.n_gpu_layers, options.n_batch, options.chat_format)
    with _LOAD_LOCK:
        if key not in _MODELS:
            llama_cpp = require("llama_cpp", "llamacpp", "The 'llamacpp' LLM backend")
            log.info("loading %s (n_ctx=%d, threads=%d)", path.name, n_ctx, threads)
            llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                n_gpu_layers=options.n_gpu_layers,
                n_batch=min(options.n_batch, n_ctx),
                chat_format=options.chat_format,
                verbose=options.verbose,
            )
            _MODELS[key] = PrefixSlot(llm)
        return _MODELS[key]


class LlamaCppBackend(LLMBackend):
    """A GGUF model run in this process."""

    name = "llamacpp"
    Options: ClassVar[type[StrictModel]] = LlamaCppOptions
    tokenizer_name = "gguf"

    def __init__(
        self,
        model: str = "smollm2",
        *,
        chat: bool | None = None,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        options: LlamaCppOptions | None = None,
    ) -> None:
        self.path = resolve_llm_path(model)
        self.options = options or LlamaCppOptions()
        self.n_ctx = n_ctx
        self._slot = load_llama(self.path, n_ctx=n_ctx, n_threads=n_threads, options=self.options)
        self._llm, self._lock = self._slot.llm, self._slot.lock
        self.model_id = f"llamacpp:{self.path.name}"
        if chat is None:
            has_template = bool(self._llm.metadata.get("tokenizer.chat_template"))
            chat = model not in BASE_MODELS and has_template
        self.is_chat = chat
        # One call in flight (``llm.concurrency`` does not apply): calls share the slot's lock,
        # and two in flight could take it out of plan order, so the KV a request reuses (and
        # the last bits of its logits) would depend on timing (bench/generation DEMO_PARALLEL.md).
        self.concurrency = 1
        # parallel > 1: batches of consecutive requests decode together (llm/parallel.py);
        # a chat_format named by the user goes through llama-cpp-python one at a time.
        self.batch_size = self.options.parallel if self.options.chat_format is None else 1

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> LlamaCppBackend:
        return cls(
            settings.model,
            chat=settings.chat,
            n_ctx=settings.n_ctx,
            n_threads=settings.n_threads,
            options=settings.llamacpp,
        )

    @classmethod
    def preflight(cls, settings: LLMSettings, *, send: bool) -> None:
        check_gguf(settings.model)

    async def agenerate(self, request: LLMRequest) -> LLMResponse:
        return await asyncio.to_thread(self._generate_sync, request)

    async def agenerate_many(self, requests: Sequence[LLMRequest]) -> list[LLMResponse | Exception]:
        if self.batch_size == 1:
            return await super().agenerate_many(requests)
        out: list[LLMResponse | Exception] = []
        for start in range(0, len(requests), self.batch_size):
            chunk = requests[start : start + self.batch_size]
            out += await asyncio.to_thread(self._generate_batch_sync, chunk)
        return out

    def _generate_batch_sync(self, requests: Sequence[LLMRequest]) -> list[LLMResponse | Exception]:
        """Decode ``requests`` as parallel sequences; a request too long for the context
        fails alone, with the error :meth:`_generate_sync` raises, and one whose chat
        template cannot be split into segments goes through :meth:`_generate_sync`."""
        out: dict[int, LLMResponse | Exception] = {}
        jobs: list[tuple[int, SeqJob]] = []
        alone: list[int] = []
        with self._lock:
            n_ctx = self._llm.n_ctx()
            for i, req in enumerate(requests):
                segments = self.prompt_segments(req)
                if segments is None:
                    alone.append(i)
                    continue
                n = sum(len(s) for s in segments)
                if n >= n_ctx:
                    out[i] = self._too_long(
                        f"Requested tokens ({n}) exceed context window of {n_ctx}"
                    )
                    continue
                max_tokens = req.max_tokens if req.max_tokens + n < n_ctx else n_ctx - n
                seed = req.effective_seed(self.model_id)
                jobs.append((i, SeqJob(req, segments, seed=seed, max_tokens=max_tokens)))
            if jobs:
                responses: list[LLMResponse | Exception]
                try:
                    responses = list(self._parallel(n_ctx).run([job for _, job in jobs]))
                except BackendError as exc:  # a failed decode fails the batch's requests
                    responses = [exc] * len(jobs)
                for (i, _), resp in zip(jobs, responses, strict=True):
                    out[i] = (
                        resp.model_copy(update={"model": self.model_id})
                        if isinstance(resp, LLMResponse)
                        else resp
                    )
        for i in alone:
            try:
                out[i] = self._generate_sync(requests[i])
            except Exception as exc:  # this request's failure, recorded by the engine
                out[i] = exc
        return [out[i] for i in range(len(requests))]

    def _generate_sync(self, req: LLMRequest) -> LLMResponse:
        common: dict[str, Any] = dict(
            max_tokens=req.max_tokens,
            temperature=req.temperature,
            top_p=req.top_p,
            stop=list(req.stop) or None,
            seed=req.effective_seed(self.model_id),
        )
        # llama-cpp-python applies top_k=40 and min_p=0.05 unless told otherwise.
        if req.top_k is not None:
            common["top_k"] = req.top_k
        if req.min_p is not None:
            common["min_p"] = req.min_p
        try:
            with self._lock:
                segments = self.prompt_segments(req)
                if segments is not None:
                    tokens = [t for seg in segments for t in seg]
                    if len(tokens) >= self._llm.n_ctx():
                        raise ValueError(
                            f"Requested tokens ({len(tokens)}) exceed context window of "
                            f"{self._llm.n_ctx()}"
                        )
                    self._slot.prefill(segments)
                    try:  # the prompt is in the context: sampling starts at once
                        out = self._llm.create_completion(prompt=tokens, **common)
                    except BaseException:
                        self._slot.forget()
                        raise
                    text = out["choices"][0]["text"] or ""
                else:  # a chat_format named by the user: llama-cpp-python's own formatter
                    self._slot.forget()
                    msgs = [{"role": m.role, "content": m.content} for m in (req.messages or ())]
                    out = self._llm.create_chat_completion(messages=msgs, **common)
                    text = out["choices"][0]["message"].get("content") or ""
        except ValueError as exc:  # llama-cpp-python: prompt longer than the context window
            raise self._too_long(str(exc)) from exc
        usage = out.get("usage") or {}
        return LLMResponse(
            text=text,
            finish_reason=out["choices"][0].get("finish_reason") or "stop",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            model=self.model_id,
        )

    def score_continuations(self, req: LLMRequest, continuations: Sequence[str]) -> list[float]:
        """Log-likelihood (natural log, summed over its tokens) of each continuation as the
        start of the answer to ``req``: the prompt is evaluated once (a prefix kept from the
        previous call is reused), then each continuation's tokens one at a time from there.

        Written here because llama-cpp-python's ``create_completion(logprobs=...)`` needs
        ``logits_all`` (a logits row per context position) and scores only sampled tokens.
        """
        import numpy as np

        llm = self._llm

        def logits() -> np.ndarray:
            return np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).copy()

        def log_softmax(row: np.ndarray) -> np.ndarray:
            shifted = row - row.max()
            out: np.ndarray = shifted - np.log(np.exp(shifted).sum())
            return out

        with self._lock:
            segments = self.prompt_segments(req)
            if segments is None:
                raise BackendError(
                    f"{self.path.name}: scoring needs the GGUF's own chat template "
                    f"(llm.llamacpp.chat_format is {self.options.chat_format!r})",
                    fix="leave llm.llamacpp.chat_format unset for the scoring model",
                )
            answers = [
                list(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))
                for text in continuations
            ]
            n = sum(len(seg) for seg in segments) + max(map(len, answers), default=0)
            if n >= llm.n_ctx():
                raise self._too_long(
                    f"Requested tokens ({n}) exceed context window of {llm.n_ctx()}"
                )
            self._slot.prefill(segments)
            base, first = llm.n_tokens, log_softmax(logits())
            scores: list[float] = []
            try:
                for tokens in answers:
                    row, total = first, 0.0
                    for k, token in enumerate(tokens):
                        total += float(row[token])
                        if k + 1 < len(tokens):
                            llm.eval([token])
                            row = log_softmax(logits())
                    scores.append(total)
                    llm.n_tokens = base  # the next eval() drops this continuation's cells
            except BaseException:
                self._slot.forget()
                raise
            # The context holds the prompt again; its last segment is re-evaluated next time.
            return scores

    def _parallel(self, n_ctx: int) -> ParallelDecoder:
        """This process's multi-sequence context beside the loaded model (made once)."""
        key = (self.batch_size, n_ctx)
        if key not in self._slot.decoders:
            self._slot.decoders[key] = ParallelDecoder(self._slot, n_seq=key[0], n_ctx=n_ctx)
        decoder: ParallelDecoder = self._slot.decoders[key]
        return decoder

    def _too_long(self, detail: str) -> BackendError:
        return BackendError(
            f"llama.cpp rejected the request for {self.path.name}: {detail}",
            fix=f"raise llm.n_ctx (now {self.n_ctx}) or shorten the prompt "
            "(fewer shots, shorter documents)",
        )

    @property
    def evaluated_tokens(self) -> int:
        """Prompt tokens this process's context evaluated (a kept prefix is not counted)."""
        return self._slot.evaluated_tokens

    def prompt_tokens(self, req: LLMRequest) -> list[int] | None:
        """The prompt as token ids (see :meth:`prompt_segments`); None: let llama-cpp format."""
        segments = self.prompt_segments(req)
        return None if segments is None else [t for seg in segments for t in seg]

    def prompt_segments(self, req: LLMRequest) -> list[Segment] | None:
        """The prompt as token segments (per message, per paragraph); None: let llama-cpp format.

        llama-cpp-python tokenizes a whole rendered prompt with ``special=True``, which turns
        an end-of-turn string inside a corpus document into a real end of turn. We render
        the GGUF's chat template around placeholders instead, tokenize the template's
        markup with ``special=True`` and each content with ``special=False``. Segments are
        the template's opening, then each message's paragraphs (where tokenizing them apart
        gives the same tokens), its last paragraph with the markup that follows it; :class:`~synthesizrr.llm.kv_reuse.PrefixSlot` keeps the KV of
        the segments a request shares with the one before it.
        """
        llm = self._llm

        def literal(text: str) -> list[int]:
            return list(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

        if req.messages is None:
            bos = [llm.token_bos()] if llm._model.add_bos_token() and llm.token_bos() >= 0 else []
            pieces = split_tokens(literal, req.prompt or "")
            return [tuple(bos) + pieces[0], *pieces[1:]]
        template = llm.metadata.get("tokenizer.chat_template")
        if self.options.chat_format is not None or not template:
            return None
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        def token_text(token: int) -> str:
            return (
                "" if token < 0 else llm.detokenize([token], special=True).decode("utf-8", "ignore")
            )

        formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=token_text(llm.token_eos()),
            bos_token=token_text(llm.token_bos()),
            add_generation_prompt=True,
        )
        slots = [{"role": m.role, "content": _SLOT.format(i)} for i, m in enumerate(req.messages)]
        rendered = formatter(messages=slots).prompt  # type: ignore[arg-type]
        parts = _SLOT_RE.split(rendered)  # markup, index, markup, index, ..., markup
        order = [int(i) for i in parts[1::2]]
        if order != list(range(len(req.messages))):  # a template that drops or repeats turns
            return None

        def markup(text: str) -> list[int]:
            return (
                list(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))
                if text
                else []
            )

        # The template's opening (system turn, first role header) is a segment of its own,
        # shared by every prompt; the markup after a message closes that message's segment.
        segments: list[Segment] = [tuple(markup(parts[0]))]
        for k, index in enumerate(order):
            pieces = split_tokens(literal, req.messages[index].content)
            segments += [*pieces[:-1], pieces[-1] + tuple(markup(parts[2 * k + 2]))]
        return [seg for seg in segments if seg]

    def count_tokens(self, text: str) -> int:
        if not text:
            return 0
        # Tokenizing reads the vocabulary only: no need to wait for a generation in flight.
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "path": str(self.path),
            "n_ctx": self.n_ctx,
            "options": self.options.model_dump(),
        }
