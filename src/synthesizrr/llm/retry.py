"""Retries with exponential backoff and full jitter, and request/token rate limits.

Used by the remote backends (``openai``, ``litellm``); any plugin may use them too.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TypeVar

from synthesizrr.errors import BackendError

log = logging.getLogger(__name__)
T = TypeVar("T")


class RetryableError(Exception):
    """Raised by a backend's call to ask for another try (after ``retry_after`` seconds
    if the server said so)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff_delay(attempt: int, base_s: float, max_s: float, rng: random.Random) -> float:
    """Full jitter: uniform in [0, min(max_s, base_s * 2**attempt)]."""
    return rng.uniform(0.0, min(max_s, base_s * (2**attempt)))


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    max_retries: int,
    base_s: float,
    max_s: float,
    what: str,
    rng: random.Random | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Await ``call()``; on :class:`RetryableError` wait (``Retry-After`` if given, else
    backoff with jitter) and try again, at most ``max_retries`` more times."""
    rng = rng or random.Random()
    attempt = 0
    while True:
        try:
            return await call()
        except RetryableError as exc:
            if attempt >= max_retries:
                raise BackendError(
                    f"{what} failed after {attempt + 1} attempts: {exc}",
                    fix="check the server (URL, model name, load) or raise llm.max_retries / "
                    "llm.timeout_s",
                ) from exc
            delay = (
                min(exc.retry_after, max_s)
                if exc.retry_after is not None
                else backoff_delay(attempt, base_s, max_s, rng)
            )
            log.info("%s: %s; retry %d in %.2fs", what, exc, attempt + 1, delay)
            await sleep(delay)
            attempt += 1


class RateLimiter:
    """Sliding one-minute window over requests (``rpm``) and tokens (``tpm``)."""

    def __init__(
        self,
        rpm: int | None,
        tpm: int | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rpm, self.tpm = rpm, tpm
        self._clock, self._sleep = clock, sleep
        self._events: deque[tuple[float, int]] = deque()
        self._tokens = 0
        self._lock = asyncio.Lock()

    @property
    def active(self) -> bool:
        return self.rpm is not None or self.tpm is not None

    async def acquire(self, tokens: int) -> None:
        """Wait until one more request of ``tokens`` tokens fits in the last minute."""
        if not self.active:
            return
        if self.tpm is not None:
            tokens = min(tokens, self.tpm)  # a request larger than the limit still runs alone
        async with self._lock:
            while True:
                now = self._clock()
                while self._events and self._events[0][0] <= now - 60.0:
                    self._tokens -= self._events.popleft()[1]
                rpm_ok = self.rpm is None or len(self._events) < self.rpm
                tpm_ok = self.tpm is None or self._tokens + tokens <= self.tpm
                if rpm_ok and tpm_ok:
                    self._events.append((now, tokens))
                    self._tokens += tokens
                    return
                await self._sleep(max(0.01, self._events[0][0] + 60.0 - now))
