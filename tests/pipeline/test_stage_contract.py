"""The runner knows stages only through their ``Stage`` description and ``StageResult``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_runner import make_cfg  # tests/pipeline is on sys.path (rootdir-relative)

from synthesizrr.config import RunConfig
from synthesizrr.errors import BudgetExceededError, ConfigError
from synthesizrr.generation.engine import StopReason
from synthesizrr.pipeline import runner
from synthesizrr.pipeline.rundir import RunDir
from synthesizrr.pipeline.stage import Stage, StageContext, StageResult


def _stages(monkeypatch: pytest.MonkeyPatch, stages: list[Stage]) -> None:
    monkeypatch.setattr(runner, "STAGE_LIST", stages)
    monkeypatch.setattr(runner, "STAGES", {s.name: s for s in stages})


def _body(calls: list[str], name: str, result: StageResult | None = None) -> Any:
    def run(ctx: StageContext, out: Path) -> StageResult:
        calls.append(name)
        return result or StageResult({"n": 1})

    return run


def test_a_stopped_result_commits_the_stage_and_raises_budget_exceeded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    stopped = StageResult({"kept": 3}, incomplete=True, stopped="max_requests=3 reached")
    _stages(monkeypatch, [
        Stage("a", "01_a", (), lambda c: 1, _body(calls, "a")),
        Stage("b", "02_b", ("a",), lambda c: 1, _body(calls, "b", stopped)),
        Stage("c", "03_c", ("b",), lambda c: 1, _body(calls, "c")),
    ])  # fmt: skip
    cfg = make_cfg(tmp_path)
    with pytest.raises(BudgetExceededError) as info:
        runner.execute(cfg)
    assert str(info.value) == (
        "stage b stopped: max_requests=3 reached Fix: raise the budget (generation.budget) "
        "and run the same command again"
    )
    assert info.value.exit_code == 7 and info.value.outcomes == []
    assert calls == ["a", "b"]  # nothing downstream of a stop
    state = json.loads((cfg.run_path / "manifest.json").read_text())["stages"]["b"]
    assert (state["status"], state["summary"]) == ("incomplete", {"kept": 3})
    assert (cfg.run_path / "02_b").is_dir()  # the finished part is committed


def test_dry_run_stops_at_the_first_stage_with_an_estimate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    _stages(monkeypatch, [
        Stage("a", "01_a", (), lambda c: 1, _body(calls, "a")),
        Stage("b", "02_b", ("a",), lambda c: 1, _body(calls, "b"),
              estimate=lambda ctx: {"requests": 4, "dry": ctx.dry_run}),
        Stage("c", "03_c", ("b",), lambda c: 1, _body(calls, "c")),
    ])  # fmt: skip
    events: list[tuple[str, str]] = []
    done = runner.execute(
        make_cfg(tmp_path), dry_run=True, on_event=lambda s, st, _: events.append((s, st))
    )
    assert done.estimate == {"requests": 4, "dry": True}
    assert calls == ["a"] and events == [("a", "running"), ("a", "done"), ("b", "dry run")]
    assert runner.execute(make_cfg(tmp_path)).estimate is None  # a real run has none
    assert calls == ["a", "b", "c"]


def test_stage_checks_run_before_any_stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def refuse(cfg: RunConfig) -> None:
        raise ConfigError("no such backend", fix="pick one")

    _stages(monkeypatch, [
        Stage("a", "01_a", (), lambda c: 1, _body(calls, "a")),
        Stage("b", "02_b", ("a",), lambda c: 1, _body(calls, "b"), check=refuse),
    ])  # fmt: skip
    with pytest.raises(ConfigError, match="no such backend"):
        runner.execute(make_cfg(tmp_path))
    assert calls == []
    runner.execute(make_cfg(tmp_path), until="a")  # b is not planned: its check does not run
    assert calls == ["a"]


class RecordingExecutor:
    def __init__(self) -> None:
        self.closed = 0

    def compute_metrics(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        self.closed += 1


def test_context_creates_its_executor_on_use_and_closes_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[RecordingExecutor] = []
    monkeypatch.setattr(
        "synthesizrr.executors.get_executor",
        lambda cfg: made.append(RecordingExecutor()) or made[-1],
    )
    cfg = make_cfg(tmp_path)
    with StageContext(cfg, RunDir(cfg.run_path)):
        pass
    assert made == []  # never used, never created
    with StageContext(cfg, RunDir(cfg.run_path)) as ctx:
        assert ctx.executor is ctx.executor
    assert len(made) == 1 and made[0].closed == 1
    ctx.close()
    assert made[0].closed == 1


def test_score_file_closes_the_executor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``evaluate --dataset`` with ``executor: ray`` must not leave Ray running."""
    from synthesizrr.pipeline.score import score_file

    made: list[RecordingExecutor] = []
    monkeypatch.setattr(
        "synthesizrr.executors.get_executor",
        lambda cfg: made.append(RecordingExecutor()) or made[-1],
    )
    (tmp_path / "seeds.csv").write_text("text,label\nx one,a\ny two,b\n")
    (tmp_path / "data.csv").write_text("text,label\nsome text,a\nmore text,b\nother,b\n")
    result = score_file(make_cfg(tmp_path), tmp_path / "data.csv")
    assert result == {
        "size": 3, "per_label": {"a": 1, "b": 2}, "metrics": {},
        "student": {"skipped": "no evaluation.test_path"}, "source": str(tmp_path / "data.csv"),
    }  # fmt: skip
    assert len(made) == 1 and made[0].closed == 1


def test_stop_reasons_are_an_enum() -> None:
    assert [r for r in StopReason if r.is_budget] == [StopReason.MAX_REQUESTS, StopReason.MAX_COST]
    assert not StopReason.FAILURES.is_budget
