"""Public fakes for tests (yours and ours): :class:`FakeLLM`.

    fake = FakeLLM(["first answer", "second answer"])   # queued responses, in order
    fake = FakeLLM(lambda req: req.text_for_counting().upper())
    fake = FakeLLM()                                     # deterministic text per request
    ... run the engine or the pipeline ...
    assert len(fake.history) == 2                        # every request it received

``get_backend(LLMSettings(backend="fake"))`` builds the default one.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from collections.abc import Callable, Sequence
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
