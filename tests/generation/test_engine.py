from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from synthesizrr.errors import BackendError, BudgetExceededError
from synthesizrr.generation.cache import RequestCache
from synthesizrr.generation.engine import (
    SKIPPED_RETRY_FAILED_ONLY,
    EngineSettings,
    Prices,
    run_requests,
    usage,
)
from synthesizrr.llm import LLMRequest, LLMResponse, Message
from synthesizrr.testing import FakeLLM


def req(text: str, **kw: object) -> LLMRequest:
    return LLMRequest(messages=(Message(role="user", content=text),), max_tokens=16, **kw)  # type: ignore[arg-type]


def test_answers_in_order_dedupes_and_caches(tmp_path: Path) -> None:
    cache = tmp_path / "c.sqlite"
    reqs = [req("a"), req("b"), req("a"), req("b", sample_index=1)]
    fake = FakeLLM(lambda r: f"answer to {r.messages[0].content} #{r.sample_index}")  # type: ignore[index]
    out = run_requests(fake, reqs, cache_path=cache, settings=EngineSettings())
    assert [o.response.text for o in out] == [  # type: ignore[union-attr]
        "answer to a #0",
        "answer to b #0",
        "answer to a #0",
        "answer to b #1",
    ]
    assert len(fake.history) == 3  # "a" sent once
    assert out[0].key == out[2].key != out[1].key
    assert [o.from_cache for o in out] == [False] * 4

    again = FakeLLM(lambda r: "never used")
    out2 = run_requests(again, reqs, cache_path=cache, settings=EngineSettings())
    assert again.history == []
    assert [o.from_cache for o in out2] == [True] * 4
    assert [o.response for o in out2] == [o.response for o in out]


def test_other_model_id_does_not_share_cache(tmp_path: Path) -> None:
    cache = tmp_path / "c.sqlite"
    run_requests(FakeLLM(model_id="m1"), [req("a")], cache_path=cache)
    other = FakeLLM(model_id="m2")
    run_requests(other, [req("a")], cache_path=cache)
    assert len(other.history) == 1


def test_failures_recorded_and_retried(tmp_path: Path) -> None:
    cache = tmp_path / "c.sqlite"

    def flaky(r: LLMRequest) -> str:
        if r.messages[0].content == "bad":  # type: ignore[index]
            raise BackendError("server said no")
        return "fine text here"

    out = run_requests(FakeLLM(flaky), [req("ok"), req("bad")], cache_path=cache)
    assert out[0].response is not None and out[0].error is None
    assert out[1].response is None and out[1].error == "server said no"
    with RequestCache(cache) as c:
        row = c.get(out[1].key)
        assert row is not None and (row.status, row.attempts, row.error) == (
            "failed",
            1,
            "server said no",
        )
        assert c.counts() == {"ok": 1, "failed": 1}

    # Next run: only the failed one is sent again; it now succeeds.
    fixed = FakeLLM(lambda r: "now it works fine")
    out2 = run_requests(fixed, [req("ok"), req("bad"), req("new")], cache_path=cache)
    assert [r.messages[0].content for r in fixed.history] == ["bad", "new"]  # type: ignore[index]
    assert out2[1].response is not None and out2[1].response.text == "now it works fine"
    with RequestCache(cache) as c:
        row = c.get(out[1].key)
        assert row is not None and (row.status, row.attempts, row.error) == ("ok", 2, None)


def test_retry_failed_only_skips_never_sent(tmp_path: Path) -> None:
    cache = tmp_path / "c.sqlite"

    def fail_b(r: LLMRequest) -> str:
        if r.messages[0].content == "b":  # type: ignore[index]
            raise RuntimeError("boom")
        return "some fine text"

    out = run_requests(FakeLLM(fail_b), [req("a"), req("b")], cache_path=cache)
    assert out[1].error == "RuntimeError: boom"
    fake = FakeLLM(lambda r: "retried text ok")
    out2 = run_requests(
        fake,
        [req("a"), req("b"), req("c")],
        cache_path=cache,
        settings=EngineSettings(retry_failed_only=True),
    )
    assert [r.messages[0].content for r in fake.history] == ["b"]  # type: ignore[index]
    assert out2[0].from_cache and out2[1].response is not None
    assert out2[2].response is None and out2[2].error == SKIPPED_RETRY_FAILED_ONLY


def test_max_requests_stops_cleanly_and_resumes(tmp_path: Path) -> None:
    cache = tmp_path / "c.sqlite"
    reqs = [req(f"q{i}") for i in range(6)]
    fake = FakeLLM(concurrency=2)
    with pytest.raises(BudgetExceededError) as info:
        run_requests(fake, reqs, cache_path=cache, settings=EngineSettings(max_requests=4))
    assert len(fake.history) == 4
    outcomes = info.value.outcomes
    assert [o.response is not None for o in outcomes] == [True] * 4
    assert "max_requests=4 reached" in str(info.value)
    assert "; 4 of 6 requests answered, 0 failed, 2 not sent." in str(info.value)
    with RequestCache(cache) as c:
        assert c.counts() == {"ok": 4}
    # Same budget again: nothing new is sent (the cache counts toward the budget).
    again = FakeLLM()
    with pytest.raises(BudgetExceededError):
        run_requests(again, reqs, cache_path=cache, settings=EngineSettings(max_requests=4))
    assert again.history == []
    # Raised budget: only the two missing requests are sent.
    more = FakeLLM()
    out = run_requests(more, reqs, cache_path=cache, settings=EngineSettings(max_requests=6))
    assert [r.messages[0].content for r in more.history] == ["q4", "q5"]  # type: ignore[index]
    assert sum(o.from_cache for o in out) == 4


def test_max_cost_never_exceeded(tmp_path: Path) -> None:
    prices = Prices(prompt_per_1k=0.0, completion_per_1k=1000.0)  # 1.0 per completion token
    fixed = LLMResponse(text="x y z", prompt_tokens=3, completion_tokens=10)
    fake = FakeLLM(lambda r: fixed, concurrency=1)
    reqs = [req(f"q{i}") for i in range(5)]  # bound per request: 16 (max_tokens)
    with pytest.raises(BudgetExceededError) as info:
        run_requests(
            fake,
            reqs,
            cache_path=tmp_path / "c.sqlite",
            settings=EngineSettings(max_cost=40.0, prices=prices),
        )
    # spent 10 per answer; a third would need 20 + 16 <= 40 ok, a fourth 30 + 16 > 40.
    assert len(fake.history) == 3
    assert len(info.value.outcomes) == 3
    spent = usage(info.value.outcomes, prices)
    assert spent.pop("teacher_seconds") >= 0.0  # a FakeLLM answers at once
    assert spent == {
        "responses": 3,
        "prompt_tokens": 9,
        "completion_tokens": 30,
        "untimed_responses": 0,
        "cost": 30.0,
    }


def test_max_cost_needs_prices() -> None:
    with pytest.raises(ValueError, match="max_cost=1.0 needs a price table"):
        EngineSettings(max_cost=1.0)


def test_abort_after_consecutive_failures(tmp_path: Path) -> None:
    def down(r: LLMRequest) -> str:
        raise BackendError("connection refused")

    fake = FakeLLM(down, concurrency=1)
    with pytest.raises(BackendError, match="3 requests in a row failed") as info:
        run_requests(
            fake,
            [req(f"q{i}") for i in range(10)],
            cache_path=tmp_path / "c.sqlite",
            settings=EngineSettings(abort_after_failures=3),
        )
    assert not isinstance(info.value, BudgetExceededError)
    assert len(fake.history) == 3
    assert len(info.value.outcomes) == 3


def test_abort_message_counts_answered_failed_and_not_sent(tmp_path: Path) -> None:
    def down(r: LLMRequest) -> str:
        if r.messages[0].content == "q0":  # type: ignore[index]
            return "the one answer that came back"
        raise BackendError("connection refused", fix="start the server")

    cache = tmp_path / "c.sqlite"
    with pytest.raises(BackendError) as info:
        run_requests(FakeLLM(down, concurrency=1), [req(f"q{i}") for i in range(10)],
                     cache_path=cache, settings=EngineSettings(abort_after_failures=3))  # fmt: skip
    assert str(info.value) == (  # one Fix:, the backend's in lower case
        "3 requests in a row failed (last error: connection refused (fix: start the server)); "
        "1 of 10 requests "
        f"answered, 3 failed, 6 not sent. Finished responses are kept in {cache}. Fix: check "
        "the backend (server up? model name? key?) and rerun; finished responses are cached"
    )


def test_run_requests_inside_running_loop(tmp_path: Path) -> None:
    import asyncio

    async def main() -> list[str]:
        out = run_requests(FakeLLM(["t1 a b"]), [req("a")], cache_path=tmp_path / "c.sqlite")
        return [o.response.text for o in out]  # type: ignore[union-attr]

    assert asyncio.run(main()) == ["t1 a b"]


_KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from synthesizrr.generation.engine import run_requests
    from synthesizrr.llm import LLMRequest
    from synthesizrr.testing import FakeLLM

    cache, answered, hang_after = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    n = {"calls": 0}

    def respond(r):
        n["calls"] += 1
        if hang_after and n["calls"] > hang_after:
            Path(str(answered) + ".hung").write_text("1")
            time.sleep(600)  # killed here, mid-request
        with answered.open("a") as f:
            f.write(r.prompt + "\\n")
        return "answer to " + r.prompt

    reqs = [LLMRequest(prompt=f"p{i}", max_tokens=8) for i in range(12)]
    out = run_requests(FakeLLM(respond, concurrency=1), reqs, cache_path=cache)
    assert [o.response.text for o in out] == ["answer to " + r.prompt for r in reqs]
    """
)


def test_sigkill_resume_sends_nothing_twice(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(_KILL_SCRIPT)
    cache, answered = tmp_path / "cache.sqlite", tmp_path / "answered.txt"
    proc = subprocess.Popen([sys.executable, str(script), str(cache), str(answered), "5"])
    hung = Path(str(answered) + ".hung")
    deadline = time.time() + 60
    while not hung.exists() and time.time() < deadline:
        time.sleep(0.05)
    assert hung.exists(), "the first run never reached request 6"
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL
    with RequestCache(cache) as c:
        assert c.counts() == {"ok": 5}  # every finished response survived the kill

    done = subprocess.run(
        [sys.executable, str(script), str(cache), str(answered), "0"], timeout=60, check=False
    )
    assert done.returncode == 0
    lines = answered.read_text().split()
    assert sorted(lines) == sorted(f"p{i}" for i in range(12))  # each answered exactly once
    assert len(lines) == len(set(lines)) == 12


def test_progress_bar_and_ledger_rows(tmp_path: Path) -> None:
    cache = tmp_path / "c.sqlite"
    out = run_requests(
        FakeLLM(["one two three", "four five six"]),
        [req("a"), req("b")],
        cache_path=cache,
        progress=True,
    )
    assert [o.response.text for o in out] == ["one two three", "four five six"]  # type: ignore[union-attr]
    with RequestCache(cache) as c:
        rows = list(c.rows())
    assert [(r.status, r.attempts, r.error) for r in rows] == [("ok", 1, None)] * 2
    assert {r.key for r in rows} == {o.key for o in out}
    assert all(r.created_at <= r.updated_at for r in rows)
    assert sorted(r.completion_tokens for r in rows) == [4, 4]


class BatchingFake(FakeLLM):
    """A FakeLLM that answers ``batch_size`` requests per ``agenerate_many`` call."""

    def __init__(self, batch_size: int, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.batch_size = batch_size
        self.batches: list[list[str]] = []

    async def agenerate_many(self, requests: Sequence[LLMRequest]) -> list[LLMResponse | Exception]:
        self.batches.append([r.messages[0].content for r in requests])  # type: ignore[index]
        return await super().agenerate_many(requests)


def _fail_on_b(r: LLMRequest) -> str:
    if r.messages[0].content == "b":  # type: ignore[index]
        raise BackendError("b is refused", fix="ask for something else")
    return "ok " + r.messages[0].content  # type: ignore[index]


def test_batches_are_consecutive_todo_items_and_fail_per_request(tmp_path: Path) -> None:
    fake = BatchingFake(3, responses=_fail_on_b, concurrency=2)
    reqs = [req(t) for t in "abcdefg"]
    out = run_requests(fake, reqs, cache_path=tmp_path / "c.sqlite")
    assert fake.batches == [["a", "b", "c"], ["d", "e", "f"], ["g"]]
    assert [o.error for o in out] == [None, "b is refused (fix: ask for something else)"] + [
        None
    ] * 5
    assert [o.response.text for o in out if o.response] == ["ok " + t for t in "acdefg"]
    # --retry-failed: only the failed request goes again, alone.
    again = BatchingFake(3, responses=lambda r: "fixed", concurrency=2)
    retry = EngineSettings(retry_failed_only=True)
    out2 = run_requests(again, reqs, cache_path=tmp_path / "c.sqlite", settings=retry)
    assert again.batches == [["b"]] and out2[1].response.text == "fixed"  # type: ignore[union-attr]


def test_a_budget_cuts_a_batch_short(tmp_path: Path) -> None:
    fake = BatchingFake(4, concurrency=1)
    with pytest.raises(BudgetExceededError) as err:
        run_requests(
            fake,
            [req(t) for t in "abcdef"],
            cache_path=tmp_path / "c.sqlite",
            settings=EngineSettings(max_requests=5),
        )
    assert fake.batches == [["a", "b", "c", "d"], ["e"]]
    assert len(err.value.outcomes) == 5


def test_a_batch_that_fails_as_a_whole_fails_each_request(tmp_path: Path) -> None:
    class Broken(BatchingFake):
        async def agenerate_many(
            self, requests: Sequence[LLMRequest]
        ) -> list[LLMResponse | Exception]:
            raise BackendError("the batch broke", fix="rerun")

    out = run_requests(Broken(2, concurrency=1), [req("a"), req("b")], cache_path=tmp_path / "c")
    assert [o.error for o in out] == ["the batch broke (fix: rerun)"] * 2


class SlowFake(BatchingFake):
    """Each call to the teacher takes at least ``delay`` seconds, whatever its batch."""

    def __init__(self, batch_size: int, delay: float, **kw: object) -> None:
        super().__init__(batch_size, **kw)
        self.delay = delay

    async def agenerate_many(self, requests: Sequence[LLMRequest]) -> list[LLMResponse | Exception]:
        self.batches.append([r.messages[0].content for r in requests])  # type: ignore[index]
        time.sleep(self.delay)
        return [await FakeLLM.agenerate(self, r) for r in requests]

    async def agenerate(self, request: LLMRequest) -> LLMResponse:
        time.sleep(self.delay)
        return await FakeLLM.agenerate(self, request)


@pytest.mark.parametrize("batch_size", [1, 3])
def test_the_ledger_keeps_teacher_seconds_through_a_replay(tmp_path: Path, batch_size: int) -> None:
    cache = tmp_path / "c.sqlite"
    reqs = [req(t) for t in "abc"]
    start = time.perf_counter()
    out = run_requests(SlowFake(batch_size, 0.06), reqs, cache_path=cache)
    elapsed = time.perf_counter() - start
    seconds = [o.seconds for o in out]
    # one call per request (0.06 s each) or one call for all three (0.06 s shared)
    floor = 0.06 if batch_size == 1 else 0.02
    assert all(s is not None and s >= floor for s in seconds)
    if batch_size == 3:
        assert len(set(seconds)) == 1  # the batch's time, shared evenly
        assert sum(seconds) <= elapsed  # type: ignore[arg-type]  # shared, not counted thrice
    replay = run_requests(FakeLLM(lambda r: "never used"), reqs, cache_path=cache)
    assert [o.from_cache for o in replay] == [True] * 3
    assert [o.seconds for o in replay] == seconds
    spent = usage(replay)
    assert spent["teacher_seconds"] == round(sum(seconds), 3)  # type: ignore[arg-type]
    assert spent["untimed_responses"] == 0


def test_a_cache_from_before_the_seconds_column_opens_and_counts_untimed(tmp_path: Path) -> None:
    import sqlite3

    cache = tmp_path / "c.sqlite"
    first = run_requests(FakeLLM(), [req("a")], cache_path=cache)
    with sqlite3.connect(cache) as db:  # the ledger as written before it kept seconds
        db.execute("ALTER TABLE requests DROP COLUMN seconds")
    out = run_requests(FakeLLM(), [req("a"), req("b")], cache_path=cache)
    assert out[0].from_cache and out[0].response == first[0].response
    assert out[0].seconds is None and out[1].seconds is not None
    assert usage(out)["untimed_responses"] == 1
    with RequestCache(cache) as c:
        assert [r.seconds is None for r in c.rows()] == [True, False]
