"""The driver-side proxy backend without a cluster: least-busy dispatch, one rate limiter
for the whole pool, responses streamed to Parquet shards."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("ray")

from synthesizrr.executors.ray_llm import (  # noqa: E402
    ActorPoolBackend,
    ParquetShardWriter,
    read_response_shards,
)
from synthesizrr.generation.engine import run_requests  # noqa: E402
from synthesizrr.llm import LLMRequest, LLMResponse  # noqa: E402
from synthesizrr.llm.retry import RateLimiter  # noqa: E402


class FakeActor:
    """Stands in for an actor handle: ``generate.remote(req)`` is awaitable."""

    def __init__(self, name: str, log: list[tuple[str, str]]) -> None:
        self.name, self.log = name, log
        self.generate = SimpleNamespace(remote=self._generate)

    async def _generate(self, request: LLMRequest) -> LLMResponse:
        self.log.append((self.name, request.prompt or ""))
        await asyncio.sleep(0)  # in flight for a moment, like a real call
        return LLMResponse(text=f"{request.prompt}!", prompt_tokens=1, completion_tokens=1)


def test_pool_shares_one_rate_limit_and_streams(tmp_path: Path) -> None:
    log: list[tuple[str, str]] = []
    now = [0.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(2, None, clock=lambda: now[0], sleep=fake_sleep)
    writer = ParquetShardWriter(str(tmp_path / "shards"), shard_rows=2)
    info = {"model_id": "m", "is_chat": False, "concurrency": 1, "describe": {"backend": "x"}}
    pool = ActorPoolBackend([FakeActor("a", log), FakeActor("b", log)], info,
                            limiter=limiter, token_counts={}, writer=writer)  # fmt: skip
    assert pool.concurrency == 2 and pool.describe()["actors"] == 2
    reqs = [LLMRequest(prompt=f"r{i}", max_tokens=4) for i in range(3)]
    out = run_requests(pool, reqs, cache_path=tmp_path / "c.sqlite")
    writer.close()
    assert [o.response.text for o in out] == ["r0!", "r1!", "r2!"]  # type: ignore[union-attr]
    assert sorted(p for _, p in log) == ["r0", "r1", "r2"]
    assert {a for a, _ in log} == {"a", "b"}  # both actors got work
    assert slept == [60.0]  # rpm=2 for the pool: the third request waited a minute
    table = read_response_shards(str(tmp_path / "shards"))
    assert sorted(table.column("text").to_pylist()) == ["r0!", "r1!", "r2!"]
    assert len(writer.paths) == 2  # 2 + 1 rows


def test_token_counts_come_from_the_actors_tokenizer() -> None:
    info = {"model_id": "m", "is_chat": False, "concurrency": 1, "describe": {}}
    req = LLMRequest(prompt="a b c d e f g h", max_tokens=4)
    pool = ActorPoolBackend([], info, limiter=None, token_counts={req.cache_key("m"): 42},
                            writer=None)  # fmt: skip
    assert pool.count_request_tokens(req) == 42
    other = LLMRequest(prompt="x" * 40, max_tokens=4)
    assert pool.count_request_tokens(other) == 10  # not counted: the chars/4 rule
