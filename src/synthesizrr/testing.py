"""Public test helpers (yours and ours): :class:`FakeLLM` and :func:`llama_server`.

    fake = FakeLLM(["first answer", "second answer"])   # queued responses, in order
    fake = FakeLLM(lambda req: req.text_for_counting().upper())
    fake = FakeLLM()                                     # deterministic text per request
    ... run the engine or the pipeline ...
    assert len(fake.history) == 2                        # every request it received

``get_backend(LLMSettings(backend="fake"))`` builds the default one.

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
