"""The request engine: cache, dedupe, bounded concurrency, budgets.

``run_requests`` answers a list of requests in order. Identical requests (same cache key)
are sent once; answers already in the cache are not sent again; failed requests are
recorded with their error and retried on the next run. Budgets (``max_requests``,
``max_cost``) cover the whole cache file, so resuming a stopped run with the same budget
does not spend it twice; requests are admitted in order, so when a budget stops the run
every finished response is kept and the outcomes form a prefix of the request list.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, TypedDict

from typing_extensions import Required, Unpack

from synthesizrr.errors import BackendError, BudgetExceededError, SynthesizrrError
from synthesizrr.generation.cache import LedgerRow, RequestCache
from synthesizrr.generation.settings import EngineSettings, Prices
from synthesizrr.llm.base import LLMBackend
from synthesizrr.llm.types import LLMRequest, LLMResponse

log = logging.getLogger(__name__)


class StopReason(Enum):
    """Why the engine stopped before answering every request."""

    MAX_REQUESTS = "max_requests"  # a budget
    MAX_COST = "max_cost"  # a budget
    FAILURES = "failures"  # abort_after_failures requests in a row failed

    @property
    def is_budget(self) -> bool:
        return self in (StopReason.MAX_REQUESTS, StopReason.MAX_COST)


SKIPPED_RETRY_FAILED_ONLY = "skipped: retry_failed_only is set and this request was never sent"


@dataclass(frozen=True)
class RequestOutcome:
    """The answer to one request: a response, or the error of its last attempt."""

    key: str
    response: LLMResponse | None
    error: str | None
    from_cache: bool
    #: Teacher seconds the answer took when it was generated (from the ledger when it came
    #: from the cache; None where the ledger predates the seconds, or for an error).
    seconds: float | None = None


@dataclass
class _State:
    backend: LLMBackend
    settings: EngineSettings
    cache: RequestCache
    requests: dict[str, LLMRequest]
    todo: list[tuple[int, str]]  # (first request index, key), in order
    results: dict[str, RequestOutcome]
    used_requests: int
    spent: float
    inflight_bound: float = 0.0
    next_item: int = 0
    stop_index: int | None = None
    stop_reason: StopReason | None = None
    stop_message: str = ""
    consecutive_failures: int = 0
    last_error: str | None = None
    sent: int = 0
    failed: int = 0
    known: set[str] = field(default_factory=set)


class EngineCall(TypedDict, total=False):
    """The keyword arguments of :func:`arun_requests`, for :func:`run_requests`."""

    cache_path: Required[Path]
    settings: EngineSettings | None
    progress: bool


def run_requests(
    backend: LLMBackend, requests: Sequence[LLMRequest], **call: Unpack[EngineCall]
) -> list[RequestOutcome]:
    """Answer ``requests`` (same order) through ``backend`` with the cache at ``cache_path``.

    Raises :class:`BudgetExceededError` (``.outcomes``: the prefix of finished outcomes)
    when a budget stops the run, and :class:`BackendError` (also with ``.outcomes``) when
    ``abort_after_failures`` requests fail in a row.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(arun_requests(backend, requests, **call))
    # Called from inside an event loop (a notebook): run on a private loop in a thread.
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["out"] = asyncio.run(arun_requests(backend, requests, **call))
        except BaseException as exc:  # re-raised in the caller's thread
            box["exc"] = exc

    thread = threading.Thread(target=target, name="synthesizrr-engine")
    thread.start()
    thread.join()
    if "exc" in box:
        raise box["exc"]
    return list(box["out"])


async def arun_requests(
    backend: LLMBackend,
    requests: Sequence[LLMRequest],
    *,
    cache_path: Path,
    settings: EngineSettings | None = None,
    progress: bool = False,
) -> list[RequestOutcome]:
    """Async form of :func:`run_requests`."""
    settings = settings or EngineSettings()
    model_id = backend.model_id
    keys = [r.cache_key(model_id) for r in requests]
    unique: dict[str, LLMRequest] = {}
    first_index: dict[str, int] = {}
    for i, (k, r) in enumerate(zip(keys, requests, strict=True)):
        if k not in unique:
            unique[k], first_index[k] = r, i
    with RequestCache(cache_path) as cache:
        ledger = cache.get_many(unique)
        results: dict[str, RequestOutcome] = {}
        todo: list[tuple[int, str]] = []
        for k in unique:
            row = ledger.get(k)
            if row is not None and row.status == "ok" and row.response is not None:
                results[k] = RequestOutcome(k, row.response, None, True, row.seconds)
            elif settings.retry_failed_only and row is None:
                results[k] = RequestOutcome(k, None, SKIPPED_RETRY_FAILED_ONLY, False)
            else:
                todo.append((first_index[k], k))
        state = _State(
            backend=backend,
            settings=settings,
            cache=cache,
            requests=unique,
            todo=todo,
            results=results,
            used_requests=len(ledger),
            spent=_ledger_cost(ledger.values(), settings),
            known=set(ledger),
        )
        log.info(
            "%d requests (%d distinct): %d from cache, %d to send, model %s",
            len(requests), len(unique), len(unique) - len(todo), len(todo), model_id,
        )  # fmt: skip
        await _drain(state, progress)
        log.info("sent %d requests, %d failed", state.sent, state.failed)
    stop = state.stop_index
    limit = len(requests) if stop is None else stop
    outcomes = [results[k] for k in keys[:limit]]
    if state.stop_reason is not None:
        exc_cls = BudgetExceededError if state.stop_reason.is_budget else BackendError
        answered = sum(o.response is not None for o in outcomes)
        failed = len(outcomes) - answered
        not_sent = len(requests) - len(outcomes)
        raise exc_cls(
            f"{state.stop_message}; {answered} of {len(requests)} requests answered, {failed} failed, "
            f"{not_sent} not sent. Finished responses are kept in {cache_path}.",
            fix="raise the budget in generation.budget (max_requests / max_cost) and rerun; "
            "cached responses are not sent again"
            if exc_cls is BudgetExceededError
            else "check the backend (server up? model name? key?) and rerun; finished "
            "responses are cached",
            outcomes=outcomes,
        )
    return outcomes


def _ledger_cost(rows: Any, settings: EngineSettings) -> float:
    if settings.prices is None:
        return 0.0
    total = 0.0
    for row in rows:
        row_: LedgerRow = row
        if row_.status == "ok":
            total += (
                row_.cost
                if row_.cost is not None
                else settings.prices.cost(row_.prompt_tokens, row_.completion_tokens)
            )
    return total


def _stop(state: _State, reason: StopReason, message: str) -> None:
    state.stop_reason, state.stop_message = reason, message


def _admit(state: _State, key: str) -> tuple[bool, float]:
    """Whether the budget lets ``key`` be sent now, and its cost upper bound."""
    s = state.settings
    if (
        s.max_requests is not None
        and key not in state.known
        and state.used_requests + 1 > s.max_requests
    ):
        _stop(state, StopReason.MAX_REQUESTS, f"max_requests={s.max_requests} reached")
        return False, 0.0
    bound = 0.0
    if s.prices is not None:
        req = state.requests[key]
        bound = s.prices.cost(state.backend.count_request_tokens(req), req.max_tokens)
        if s.max_cost is not None and state.spent + state.inflight_bound + bound > s.max_cost:
            _stop(
                state,
                StopReason.MAX_COST,
                f"max_cost={s.max_cost} would be exceeded (spent {state.spent:.6f}, "
                f"next request up to {bound:.6f})",
            )
            return False, 0.0
    return True, bound


async def _drain(state: _State, progress: bool) -> None:
    bar: Any = None
    task_id: Any = None
    if progress and state.todo:
        from rich.progress import Progress

        bar = Progress(transient=False)
        bar.start()
        task_id = bar.add_task(f"LLM {state.backend.model_id}", total=len(state.todo))

    size = max(1, int(getattr(state.backend, "batch_size", 1) or 1))

    async def worker() -> None:
        while state.stop_reason is None and state.next_item < len(state.todo):
            batch = _take_batch(state, size)
            if not batch:
                return
            requests = [state.requests[key] for key, _ in batch]
            results: list[LLMResponse | Exception]
            start = time.perf_counter()
            if size == 1:
                try:
                    results = [await state.backend.agenerate(requests[0])]
                except Exception as exc:  # recorded, retried next run
                    results = [exc]
            else:
                try:
                    results = list(await state.backend.agenerate_many(requests))
                except Exception as exc:  # a backend that failed the batch as a whole
                    results = [exc] * len(requests)
            # the teacher seconds of a batch decoded together are shared by its requests
            share = (time.perf_counter() - start) / len(requests)
            for (key, bound), result in zip(batch, results, strict=True):
                state.inflight_bound -= bound
                _record(state, key, result, share)
                state.sent += 1
                if bar is not None:
                    bar.advance(task_id)

    n = max(1, min(int(getattr(state.backend, "concurrency", 1) or 1), len(state.todo) or 1))
    try:
        await asyncio.gather(*(worker() for _ in range(n)))
    finally:
        if bar is not None:
            bar.stop()


def _take_batch(state: _State, size: int) -> list[tuple[str, float]]:
    """Admit up to ``size`` consecutive todo items: (key, cost bound) each, in order."""
    batch: list[tuple[str, float]] = []
    while len(batch) < size and state.stop_reason is None and state.next_item < len(state.todo):
        index, key = state.todo[state.next_item]
        ok, bound = _admit(state, key)
        if not ok:
            state.stop_index = index
            break
        state.next_item += 1
        if key not in state.known:
            state.known.add(key)
            state.used_requests += 1
        state.inflight_bound += bound
        batch.append((key, bound))
    return batch


def _record(state: _State, key: str, result: LLMResponse | Exception, seconds: float) -> None:
    """Write one answered or failed request (and its teacher seconds) to the ledger and the
    results."""
    model_id = state.backend.model_id
    req = state.requests[key]
    if isinstance(result, Exception):  # recorded, retried next run
        err = _error_text(result)
        state.cache.record_failed(
            key, model=model_id, request_json=req.canonical_json(model_id), error=err
        )
        state.results[key] = RequestOutcome(key, None, err, False)
        state.failed += 1
        state.consecutive_failures += 1
        state.last_error = err
        limit = state.settings.abort_after_failures
        if limit is not None and state.consecutive_failures >= limit and state.stop_reason is None:
            _stop(
                state,
                StopReason.FAILURES,
                f"{limit} requests in a row failed (last error: {err})",
            )
            state.stop_index = _next_index(state)
        return
    cost = None
    if state.settings.prices is not None:
        cost = state.settings.prices.cost(result.prompt_tokens, result.completion_tokens)
        state.spent += cost
    state.cache.record_ok(
        key, model=model_id, request_json=req.canonical_json(model_id), response=result,
        cost=cost, seconds=seconds,
    )  # fmt: skip
    state.results[key] = RequestOutcome(key, result, None, False, seconds)
    state.consecutive_failures = 0


def _error_text(exc: BaseException) -> str:
    """A failed request's error for the ledger and for messages that quote it: the
    backend's fix in lower case, so a message that adds its own has one "Fix:"."""
    if isinstance(exc, SynthesizrrError):
        return f"{exc.message} (fix: {exc.fix})" if exc.fix else exc.message
    return f"{type(exc).__name__}: {exc}"


def _next_index(state: _State) -> int | None:
    """Request index of the first item not yet admitted (None: all admitted)."""
    if state.next_item < len(state.todo):
        return state.todo[state.next_item][0]
    return None


def usage(outcomes: Sequence[RequestOutcome], prices: Prices | None = None) -> dict[str, Any]:
    """Tokens, teacher seconds (and cost) of the answered outcomes, each distinct key
    counted once; ``untimed_responses``: answers whose seconds the ledger does not know."""
    seen: set[str] = set()
    pt = ct = n = untimed = 0
    seconds = 0.0
    for o in outcomes:
        if o.response is None or o.key in seen:
            continue
        seen.add(o.key)
        n += 1
        pt += o.response.prompt_tokens
        ct += o.response.completion_tokens
        if o.seconds is None:
            untimed += 1
        else:
            seconds += o.seconds
    out: dict[str, Any] = {"responses": n, "prompt_tokens": pt, "completion_tokens": ct,
                           "teacher_seconds": round(seconds, 3), "untimed_responses": untimed}  # fmt: skip
    if prices is not None:
        out["cost"] = round(prices.cost(pt, ct), 6)
    return out
