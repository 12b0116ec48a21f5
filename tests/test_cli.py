"""The CLI: --help on every command, exact exit codes and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synthesizrr.cli import app

COMMANDS = ["run", "seeds", "corpus", "index", "retrieve", "generate", "refine", "evaluate",
            "report", "show", "compare", "validate", "presets", "demo"]  # fmt: skip
runner = CliRunner()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "synthesizrr.cli", *args],
                          capture_output=True, text=True, check=False)  # fmt: skip


def test_every_command_is_listed_in_help() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for cmd in COMMANDS:
        assert cmd in result.output


@pytest.mark.parametrize("cmd", COMMANDS)
def test_help_on_every_command(cmd: str) -> None:
    result = runner.invoke(app, [cmd, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_presets_lists_the_built_in_tasks() -> None:
    result = runner.invoke(app, ["presets"])
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.output.splitlines() if line.strip()]
    assert names == ["ag_news", "amazon_humor", "amazon_polarity", "category", "hyperpartisan",
                     "imdb", "sst2"]  # fmt: skip


def test_validate_prints_the_filled_config() -> None:
    repo = Path(__file__).resolve().parents[1]
    result = runner.invoke(app, ["validate", str(repo / "examples" / "ag_news.yaml")])
    assert result.exit_code == 0
    assert "temperature: 0.95" in result.output and "mode: retricl" in result.output


def test_missing_config_exits_2_without_traceback(tmp_path: Path) -> None:
    proc = cli("run", str(tmp_path / "missing.yaml"))
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: config file")
    assert "Traceback" not in proc.stderr


def test_compare_rejects_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    proc = cli("compare", str(tmp_path))
    assert proc.returncode == 1
    assert "is not a run directory (no manifest.json)" in proc.stderr


def test_unknown_stage_for_until(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("name: x\ntask: {preset: ag_news}\nseeds: {path: s.csv}\n"
                   "generation: {prompt: {mode: zerogen}}\n")  # fmt: skip
    proc = cli("run", str(cfg), "--until", "generat")
    assert proc.returncode == 2
    assert "unknown stage 'generat'; valid: seeds, corpus, index" in proc.stderr


@pytest.mark.parametrize("cmd", ["run", "index", "generate"])
def test_ray_address_selects_the_ray_executor(cmd: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import synthesizrr.api

    seen: list[object] = []

    def fake_run(cfg: object, **kw: object) -> object:
        seen.append(cfg)
        raise SystemExit(0)

    monkeypatch.setattr(synthesizrr.api, "run", fake_run)
    config = str(Path(__file__).parents[1] / "examples" / "ag_news_small.yaml")
    result = runner.invoke(app, [cmd, config, "--ray-address", "ray://10.0.0.1:10001"])
    assert result.exit_code == 0, result.output
    cfg = seen[0]
    assert (cfg.executor, cfg.ray_address) == ("ray", "ray://10.0.0.1:10001")  # type: ignore[attr-defined]
