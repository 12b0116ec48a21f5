"""Public test helpers (yours and ours): :class:`FakeLLM`, :class:`FakeEmbedder`,
:func:`fake_embeddings` and :func:`llama_server`.

    fake = FakeLLM(["first answer", "second answer"])   # queued responses, in order
    fake = FakeLLM(lambda req: req.text_for_counting().upper())
    fake = FakeLLM()                                     # deterministic text per request
    ... run the engine or the pipeline ...
    assert len(fake.history) == 2                        # every request it received

``get_backend(LLMSettings(backend="fake"))`` builds the default one.

    emb = FakeEmbedder()                                 # unit vectors from a text hash
    emb.cached().encode(["a", "b", "a"])                  # through a cache of its own
    with fake_embeddings() as emb: ...                   # every get_embedder() returns it

    with llama_server() as url:                          # a real OpenAI-compatible server
        LLMSettings(backend="openai", model="smollm2", base_url=url)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from synthesizrr.embeddings.base import Embedder
from synthesizrr.embeddings.cache import CachedEmbedder, VectorCache
from synthesizrr.errors import BackendError
from synthesizrr.llm.base import LLMBackend
from synthesizrr.llm.types import LLMRequest, LLMResponse

if TYPE_CHECKING:
    from synthesizrr.llm.settings import LLMSettings

ResponseSource = Sequence[str | LLMResponse] | Callable[[LLMRequest], str | LLMResponse]

_WORDS = [
    "market",
    "river",
    "council",
    "player",
    "storm",
    "museum",
    "engine",
    "harvest",
    "signal",
    "orbit",
    "festival",
    "bridge",
    "court",
    "vaccine",
    "studio",
    "budget",
    "league",
    "garden",
    "rocket",
    "archive",
]


def default_text(request: LLMRequest) -> str:
    """The fake's deterministic answer: a sentence picked by the request's hash."""
    h = hashlib.sha256(request.canonical_json("fake").encode()).digest()
    words = [_WORDS[b % len(_WORDS)] for b in h[:6]]
    return f"The {words[0]} and the {words[1]} met near the {words[2]} {words[3]} today."


class FakeLLM(LLMBackend):
    """A backend that answers from a queue, a function, or a deterministic default.

    A function may raise :class:`~synthesizrr.errors.BackendError` to simulate a failed
    request. ``history`` records every request received, in order.
    """

    name = "fake"

    def __init__(
        self,
        responses: ResponseSource | None = None,
        *,
        is_chat: bool = True,
        model_id: str = "fake",
        concurrency: int = 4,
        delay_s: float = 0.0,
        finish_reason: str = "stop",
    ) -> None:
        self.model_id = model_id
        self.is_chat = is_chat
        self.concurrency = concurrency
        self.delay_s = delay_s
        self.finish_reason = finish_reason
        self.history: list[LLMRequest] = []
        self._fn: Callable[[LLMRequest], str | LLMResponse] | None = None
        self._queue: deque[str | LLMResponse] | None = None
        if callable(responses):
            self._fn = responses
        elif responses is not None:
            self._queue = deque(responses)
        self.closed = False

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> FakeLLM:
        return cls(
            is_chat=True if settings.chat is None else settings.chat,
            concurrency=settings.concurrency,
        )

    async def agenerate(self, request: LLMRequest) -> LLMResponse:
        self.history.append(request)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self._fn is not None:
            out = self._fn(request)
        elif self._queue is not None:
            if not self._queue:
                raise BackendError(
                    f"FakeLLM ran out of queued responses at request {len(self.history)}.",
                    fix="queue one response per request the test sends",
                )
            out = self._queue.popleft()
        else:
            out = default_text(request)
        if isinstance(out, LLMResponse):
            return out
        return LLMResponse(
            text=out,
            finish_reason=self.finish_reason,
            prompt_tokens=self.count_request_tokens(request),
            completion_tokens=self.count_tokens(out),
            model=self.model_id,
        )

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "queued": None if self._queue is None else len(self._queue)}

    def close(self) -> None:
        self.closed = True


class FakeEmbedder(Embedder):
    """A deterministic embedder: the unit vector of a normal sample seeded by the text's
    sha256 (or of ``features(text)``, ``dim`` numbers), no model. ``batches`` records
    every batch encoded."""

    def __init__(
        self,
        dim: int = 16,
        *,
        name: str = "fake",
        backend: str = "fake",
        features: Callable[[str], Sequence[float]] | None = None,
    ) -> None:
        self.name, self.backend = name, backend
        self._features = features
        self.dim = dim
        self.batches: list[list[str]] = []

    def vector(self, text: str) -> np.ndarray:
        if self._features is not None:
            return np.asarray(self._features(text), dtype=np.float64)
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        return np.random.default_rng(seed).normal(size=self.dim)

    def cached(self) -> CachedEmbedder:
        """This fake behind a cache of its own (the process cache never sees fake vectors)."""
        return CachedEmbedder(self, cache=VectorCache())

    @property
    def texts(self) -> list[str]:
        """Every text encoded, in order."""
        return [t for batch in self.batches for t in batch]

    def _batches(
        self, texts: list[str], batch_size: int
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for start in range(0, len(texts), batch_size):
            chunk = texts[start : start + batch_size]
            self.batches.append(chunk)
            rows = np.asarray([self.vector(t) for t in chunk], dtype=np.float32)
            yield np.arange(start, start + len(chunk)), rows.reshape(len(chunk), self.dim)


@contextlib.contextmanager
def fake_embeddings(embedder: FakeEmbedder | None = None) -> Iterator[FakeEmbedder]:
    """Until exit, every ``get_embedder(model, backend)`` returns ``embedder`` (a new
    :class:`FakeEmbedder` by default) and the process embedding cache starts empty, so no
    fake vector outlives the block."""
    from synthesizrr import embeddings
    from synthesizrr.embeddings import backends, cache

    fake = embedder if embedder is not None else FakeEmbedder()
    real_get, real_cache = backends.get_embedder, cache.VECTOR_CACHE

    def get_fake(model: str = "minilm", backend: str = "torch") -> Embedder:
        return fake

    for module in (embeddings, backends):  # the package re-exports it
        setattr(module, "get_embedder", get_fake)  # noqa: B010
    cache.VECTOR_CACHE = cache.VectorCache()
    try:
        yield fake
    finally:
        for module in (embeddings, backends):
            setattr(module, "get_embedder", real_get)  # noqa: B010
        cache.VECTOR_CACHE = real_cache


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def llama_server(
    gguf: str | Path | None = None,
    *,
    n_ctx: int = 1024,
    threads: int | None = None,
    alias: str = "smollm2",
    start_timeout_s: float = 90.0,
) -> Iterator[str]:
    """Run ``python -m llama_cpp.server`` on a free loopback port; yield its ``/v1`` URL.

    ``gguf`` defaults to the embedded SmolLM2. The server answers under the model name
    ``alias`` and is stopped (terminate, then kill) when the block ends. Needs the
    ``server`` extra; raises :class:`BackendError` if the server exits or does not listen
    within ``start_timeout_s``.
    """
    from synthesizrr.models import resolve_llm_path

    path = Path(gguf) if gguf is not None else resolve_llm_path("smollm2")
    port = free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(path),
           "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx),
           "--n_threads", str(threads or os.cpu_count() or 1), "--model_alias", alias]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + start_timeout_s
        while True:
            if proc.poll() is not None:
                raise BackendError(
                    f"llama_cpp.server exited with code {proc.returncode} before listening.",
                    fix="pip install 'synthesizrr[server]' and check the GGUF path",
                )
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise BackendError(
                    f"llama_cpp.server did not listen within {start_timeout_s:.0f} s.",
                    fix="raise start_timeout_s on a loaded machine",
                )
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
