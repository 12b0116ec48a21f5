"""The teacher on Ray: same outcomes as the local engine, one cache writer (the driver),
budgets, failures and retry_failed_only as locally, responses streamed to Parquet."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip("ray")

from synthesizrr.errors import BackendError, BudgetExceededError  # noqa: E402
from synthesizrr.executors import LocalExecutor  # noqa: E402
from synthesizrr.executors.ray import RayExecutor, RaySettings  # noqa: E402
from synthesizrr.executors.ray_llm import read_response_shards  # noqa: E402
from synthesizrr.generation.cache import RequestCache  # noqa: E402
from synthesizrr.generation.engine import EngineSettings  # noqa: E402
from synthesizrr.llm import LLMRequest, LLMResponse, LLMSettings  # noqa: E402
from synthesizrr.llm.base import LLMBackend  # noqa: E402
from synthesizrr.llm.registry import register_backend  # noqa: E402
from synthesizrr.settings_base import StrictModel  # noqa: E402

# Classes of this module travel to the actors by value (workers cannot import tests/).
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])


class LoggingFake(LLMBackend):
    """Answers ``answer to <prompt>``; appends every prompt it receives to a log file;
    fails prompts that start with 'bad' while ``fail`` is set."""

    name = "logging-fake"

    class Options(StrictModel):
        log: str
        fail: bool = False

    def __init__(self, log: str, fail: bool, concurrency: int) -> None:
        self.model_id, self.is_chat, self.concurrency = "logging-fake", False, concurrency
        self.log, self.fail = Path(log), fail

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> LoggingFake:
        opts: Any = cls.plugin_options(settings)
        return cls(opts.log, opts.fail, settings.concurrency)

    async def agenerate(self, request: LLMRequest) -> LLMResponse:
        prompt = request.prompt or ""
        with self.log.open("a") as f:
            f.write(prompt + "\n")
        if self.fail and prompt.startswith("bad"):
            raise BackendError(f"refused {prompt}")
        return LLMResponse(text=f"answer to {prompt}", prompt_tokens=3, completion_tokens=3)


register_backend("logging-fake", LoggingFake)


def reqs(prompts: list[str]) -> list[LLMRequest]:
    return [LLMRequest(prompt=p, max_tokens=8) for p in prompts]


def logging_llm(log: Path, fail: bool = False) -> LLMSettings:
    return LLMSettings(
        backend="logging-fake", concurrency=2, plugin_options={"log": str(log), "fail": fail}
    )


def sent(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def test_same_outcomes_as_local_and_cached_rerun(ray_cluster: str, tmp_path: Path) -> None:
    requests = reqs([f"p{i}" for i in range(24)] + ["p3", "p7"])  # two repeats
    llm = LLMSettings(backend="fake", chat=False)
    with LocalExecutor().open_backend(llm) as local:
        want = local.run(requests, cache_path=tmp_path / "local.sqlite", settings=None)
    ex = RayExecutor(settings=RaySettings(llm_workers=2, shard_rows=10))
    with ex.open_backend(llm) as teacher:
        assert (teacher.model_id, teacher.is_chat) == ("fake", False)
        got = teacher.run(requests, cache_path=tmp_path / "ray.sqlite", settings=None)
        assert [(o.key, o.response, o.error, o.from_cache) for o in got] == [
            (o.key, o.response, o.error, o.from_cache) for o in want
        ]
        again = teacher.run(requests, cache_path=tmp_path / "ray.sqlite", settings=None)
    assert [o.response for o in again] == [o.response for o in want]
    assert all(o.from_cache for o in again)
    with RequestCache(tmp_path / "ray.sqlite") as c, RequestCache(tmp_path / "local.sqlite") as loc:
        assert c.counts() == {"ok": 24}
        assert {r.key: r.response for r in c.rows()} == {r.key: r.response for r in loc.rows()}
    streamed = read_response_shards(str(tmp_path / "ray_responses"))
    assert sorted(streamed.column("key").to_pylist()) == sorted({o.key for o in want})
    assert len(list((tmp_path / "ray_responses").glob("part-*.parquet"))) == 3  # 10 + 10 + 4


def test_each_request_sent_once_over_two_actors(ray_cluster: str, tmp_path: Path) -> None:
    log = tmp_path / "sent.txt"
    prompts = [f"q{i}" for i in range(16)]
    with RayExecutor(settings=RaySettings(llm_workers=2)).open_backend(logging_llm(log)) as t:
        assert t.actors == 2  # type: ignore[attr-defined]
        out = t.run(reqs(prompts + prompts[:4]), cache_path=tmp_path / "c.sqlite", settings=None)
    assert [o.response.text for o in out] == [f"answer to {p}" for p in prompts + prompts[:4]]  # type: ignore[union-attr]
    assert sorted(sent(log)) == sorted(prompts)


def test_budget_stops_like_local_and_resume_sends_the_rest(
    ray_cluster: str, tmp_path: Path
) -> None:
    log = tmp_path / "sent.txt"
    prompts = [f"b{i}" for i in range(10)]
    budget = EngineSettings(max_requests=4)
    ex = RayExecutor(settings=RaySettings(llm_workers=2))
    with ex.open_backend(logging_llm(log)) as teacher:
        with pytest.raises(BudgetExceededError) as err:
            teacher.run(reqs(prompts), cache_path=tmp_path / "c.sqlite", settings=budget)
        outcomes = err.value.outcomes
        assert [o.response.text for o in outcomes] == [f"answer to {p}" for p in prompts[:4]]
        assert sorted(sent(log)) == sorted(prompts[:4])
        out = teacher.run(reqs(prompts), cache_path=tmp_path / "c.sqlite", settings=None)
    assert [o.from_cache for o in out] == [True] * 4 + [False] * 6
    assert sorted(sent(log)) == sorted(prompts)  # nothing sent twice


def test_failures_recorded_then_retry_failed_only(ray_cluster: str, tmp_path: Path) -> None:
    log = tmp_path / "sent.txt"
    prompts = ["ok1", "bad1", "ok2", "bad2"]
    ex = RayExecutor(settings=RaySettings(llm_workers=2))
    with ex.open_backend(logging_llm(log, fail=True)) as teacher:
        out = teacher.run(reqs(prompts), cache_path=tmp_path / "c.sqlite", settings=None)
    assert [o.error for o in out] == [None, "refused bad1", None, "refused bad2"]
    with RequestCache(tmp_path / "c.sqlite") as c:
        assert c.counts() == {"ok": 2, "failed": 2}
    log.unlink()
    retry = EngineSettings(retry_failed_only=True)
    with ex.open_backend(logging_llm(log, fail=False)) as teacher:
        out = teacher.run(
            reqs(prompts + ["never"]), cache_path=tmp_path / "c.sqlite", settings=retry
        )
    assert sorted(sent(log)) == ["bad1", "bad2"]
    assert [o.response.text if o.response else None for o in out] == [
        "answer to ok1", "answer to bad1", "answer to ok2", "answer to bad2", None
    ]  # fmt: skip
    assert out[-1].error is not None and out[-1].error.startswith("skipped: retry_failed_only")


def test_responses_stream_to_an_fsspec_url(ray_cluster: str, tmp_path: Path) -> None:
    url = "memory://synthesizrr-test/responses"
    settings = RaySettings(llm_workers=1, output_uri=url, shard_rows=4)
    with RayExecutor(settings=settings).open_backend(LLMSettings(backend="fake")) as teacher:
        out = teacher.run(reqs([f"m{i}" for i in range(9)]), cache_path=tmp_path / "c.sqlite",
                          settings=None)  # fmt: skip
    table = read_response_shards(url)
    assert table.num_rows == 9
    by_key = dict(
        zip(table.column("key").to_pylist(), table.column("text").to_pylist(), strict=True)
    )
    assert by_key == {o.key: o.response.text for o in out}  # type: ignore[union-attr]
    assert not (tmp_path / "ray_responses").exists()


def test_unknown_backend_fails_before_any_actor(ray_cluster: str) -> None:
    with pytest.raises(Exception, match="llm.backend 'nope' is not a known backend"):
        RayExecutor().open_backend(LLMSettings(backend="nope"))
