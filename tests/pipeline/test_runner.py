"""Stage fingerprints, skip/rerun, atomic stage folders, the lock and the manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from synthesizrr.config import RunConfig, config_from_dict
from synthesizrr.errors import RunDirError, StageError
from synthesizrr.pipeline import runner
from synthesizrr.pipeline.rundir import RunDir
from synthesizrr.pipeline.stage import Stage, StageContext, StageResult


def make_cfg(tmp_path: Path, **sections: Any) -> RunConfig:
    raw: dict[str, Any] = {
        "name": "toy",
        "run_dir": str(tmp_path / "runs"),
        "task": {"labels": {"a": "about a", "b": "about b"}, "instruction": "Write {label}."},
        "seeds": {"path": "seeds.csv", "per_label": 2},
        "generation": {"prompt": {"mode": "fewgen"}},
    }
    for key, value in sections.items():
        raw[key] = {**raw.get(key, {}), **value}
    return config_from_dict(raw, base_dir=tmp_path)


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def body(name: str):
        def run(ctx: StageContext, out: Path) -> StageResult:
            calls.append(name)
            if name == "b" and ctx.cfg.generation.min_words == 99:
                raise StageError("b failed on purpose")
            (out / "out.txt").write_text(name)
            return StageResult({"n": len(calls)})

        return run

    toy_stages = [
        Stage("a", "01_a", (), lambda c: c.seeds.per_label, body("a")),
        Stage("b", "02_b", ("a",), lambda c: c.generation.min_words, body("b")),
        Stage("c", "03_c", ("b",), lambda c: c.evaluation.max_test, body("c")),
        Stage("d", "04_d", ("a",), lambda c: c.seed, body("d")),
    ]
    monkeypatch.setattr(runner, "STAGE_LIST", toy_stages)
    monkeypatch.setattr(runner, "STAGES", {s.name: s for s in toy_stages})
    return calls


def test_unchanged_config_skips_every_stage(tmp_path: Path, toy: list[str]) -> None:
    cfg = make_cfg(tmp_path)
    events: list[tuple[str, str]] = []
    runner.execute(cfg, on_event=lambda s, st, _: events.append((s, st)))
    assert toy == ["a", "b", "c", "d"]
    events.clear()
    runner.execute(cfg, on_event=lambda s, st, _: events.append((s, st)))
    assert toy == ["a", "b", "c", "d"]
    assert events == [("a", "skipped"), ("b", "skipped"), ("c", "skipped"), ("d", "skipped")]


def test_changed_stage_reruns_it_and_downstream_only(tmp_path: Path, toy: list[str]) -> None:
    runner.execute(make_cfg(tmp_path))
    toy.clear()
    runner.execute(make_cfg(tmp_path, generation={"min_words": 5}))
    assert toy == ["b", "c"]  # not a (upstream), not d (a sibling)
    toy.clear()
    runner.execute(make_cfg(tmp_path, generation={"min_words": 5}, seeds={"per_label": 3}))
    assert toy == ["a", "b", "c", "d"]


def test_force_and_until(tmp_path: Path, toy: list[str]) -> None:
    cfg = make_cfg(tmp_path)
    runner.execute(cfg, until="b")
    assert toy == ["a", "b"]
    runner.execute(cfg, force=["b"], until="c")
    assert toy == ["a", "b", "b", "c"]


def test_manifest_records_config_versions_and_fingerprints(tmp_path: Path, toy: list[str]) -> None:
    cfg = make_cfg(tmp_path)
    runner.execute(cfg)
    manifest = json.loads((cfg.run_path / "manifest.json").read_text())
    assert manifest["name"] == "toy"
    assert manifest["seed"] == 0
    assert manifest["config"]["seeds"]["per_label"] == 2
    assert manifest["versions"]["synthesizrr"] == "0.1.0"
    assert manifest["stages"]["b"]["fingerprint"] == runner.fingerprints(cfg)["b"]
    assert {s["status"] for s in manifest["stages"].values()} == {"done"}
    assert (cfg.run_path / "config.yaml").read_text().startswith("name: toy\n")


def test_failed_stage_keeps_previous_output_and_reruns(tmp_path: Path, toy: list[str]) -> None:
    runner.execute(make_cfg(tmp_path))
    bad = make_cfg(tmp_path, generation={"min_words": 99})
    with pytest.raises(StageError, match="b failed on purpose"):
        runner.execute(bad)
    run = bad.run_path
    assert (run / "02_b" / "out.txt").read_text() == "b"  # the finished output is intact
    state = json.loads((run / "manifest.json").read_text())["stages"]["b"]
    assert state["status"] == "failed" and "b failed on purpose" in state["error"]
    toy.clear()
    runner.execute(make_cfg(tmp_path))
    assert toy == ["b", "c"]  # b failed last time, so it reruns even with the old settings


def test_second_run_in_same_directory_is_refused(tmp_path: Path, toy: list[str]) -> None:
    cfg = make_cfg(tmp_path)
    with RunDir(cfg.run_path).locked(), pytest.raises(RunDirError, match="is in use by pid"):
        runner.execute(cfg)
    runner.execute(cfg)  # the lock is released afterwards
    assert toy == ["a", "b", "c", "d"]


def test_run_directory_of_another_task_is_refused(tmp_path: Path, toy: list[str]) -> None:
    runner.execute(make_cfg(tmp_path))
    other = make_cfg(tmp_path, task={"labels": {"x": "about x", "y": "about y"}})
    with pytest.raises(
        RunDirError, match=r"made by a config with another task \(labels \['a', 'b'\]\)"
    ):
        runner.execute(other)
    runner.execute(other, overwrite=True)


def test_the_run_folders_config_resolves_as_the_original(
    tmp_path: Path, toy: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`synthesizrr refine runs/<name>/config.yaml`: the copy in the run folder reads the
    same seed file as the config it was written from and skips every finished stage."""
    from synthesizrr.config import load_config

    project = tmp_path / "project"
    project.mkdir()
    (project / "seeds.csv").write_text("text,label\nx y z,a\nu v w,b\n", encoding="utf-8")
    (project / "task.yaml").write_text(
        "name: toy\nrun_dir: runs\ntask: {labels: {a: about a, b: about b}, instruction: "
        "'Write {label}.'}\nseeds: {path: seeds.csv, per_label: 1}\n"
        "generation: {prompt: {mode: fewgen}}\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(project)
    original = load_config("task.yaml")
    runner.execute(original)
    copy_path = project / "runs" / "toy" / "config.yaml"
    monkeypatch.chdir(tmp_path)  # elsewhere: the copy must not resolve against the cwd
    copy = load_config(copy_path)
    assert copy.seeds.path == "seeds.csv"  # as written: the fingerprints hash it so
    assert copy.resolve(copy.seeds.path) == project / "seeds.csv"
    assert copy.run_path == project / "runs" / "toy"
    assert copy.paths_relative_to == str(project)
    toy.clear()
    runner.execute(copy)
    assert toy == []  # every stage skipped


def test_real_fingerprints_of_the_run_folders_copy_are_the_originals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from synthesizrr.config import dump_run_config, load_config

    (tmp_path / "seeds.csv").write_text("text,label\nx y z,a\nu v w,b\n", encoding="utf-8")
    original = make_cfg(tmp_path)
    copy_path = tmp_path / "elsewhere" / "config.yaml"
    copy_path.parent.mkdir()
    copy_path.write_text(dump_run_config(original), encoding="utf-8")
    monkeypatch.chdir(copy_path.parent)
    assert runner.fingerprints(load_config(copy_path)) == runner.fingerprints(original)
