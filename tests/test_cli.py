"""The CLI: --help on every command, exact exit codes and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synthesizrr.cli import app

COMMANDS = ["run", "seeds", "corpus", "index", "retrieve", "generate", "refine", "evaluate",
            "report", "show", "compare", "validate", "presets", "demo"]  # fmt: skip
runner = CliRunner()
CliRun = Callable[..., subprocess.CompletedProcess[str]]  # the `synthesizrr` fixture


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


# -- the installed entry point: usage errors, --version, --set (issue 13 items 2 and 8) -------
def test_bare_synthesizrr_prints_help_and_exits_2(synthesizrr: CliRun) -> None:
    proc = synthesizrr()
    assert proc.returncode == 2  # click >= 8.2 exits 2 for a group called without a command
    assert "Usage: synthesizrr [OPTIONS] COMMAND [ARGS]..." in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("args", "usage", "error"),
    [
        (["frobnicate"], "Usage: synthesizrr [OPTIONS] COMMAND [ARGS]...",
         "Error: No such command 'frobnicate'."),
        (["run", "x.yaml", "--bogus"], "Usage: synthesizrr run [OPTIONS] {CONFIG}",
         "Error: No such option: --bogus"),
        (["run"], "Usage: synthesizrr run [OPTIONS] {CONFIG}",
         "Error: Missing argument 'CONFIG'."),
        (["show", "x.yaml", "--limit", "many"], "Usage: synthesizrr show [OPTIONS]",
         "Error: Invalid value for '--limit': Input should be a valid integer"),
    ],
)  # fmt: skip
def test_usage_errors_are_short_and_exit_2(
    synthesizrr: CliRun, args: list[str], usage: str, error: str
) -> None:
    proc = synthesizrr(*args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0].startswith(usage) and lines[1].startswith("Try 'synthesizrr")
    assert lines[-1].startswith(error)
    assert len(lines) == 4 and proc.stdout == ""
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("cmd", [*COMMANDS, "publish", "export"])
def test_help_through_the_installed_entry_point(synthesizrr: CliRun, cmd: str) -> None:
    proc = synthesizrr(cmd, "--help")
    assert proc.returncode == 0, proc.stderr
    assert f"Usage: synthesizrr {cmd} [OPTIONS]" in proc.stdout and proc.stderr == ""


def test_version(synthesizrr: CliRun) -> None:
    from synthesizrr import __version__

    proc = synthesizrr("--version")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"synthesizrr {__version__}\n", "")


def test_typer_is_pinned_to_the_minor_version_the_cli_is_tested_with() -> None:
    from importlib.metadata import version

    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert '\n  "typer>=0.29.2,<0.30",' in pyproject
    assert version("typer").startswith("0.29.")


def _config(tmp_path: Path, text: str = "") -> Path:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text or "name: x\ntask: {preset: ag_news}\nseeds: {path: s.csv}\n"
                   "generation: {prompt: {mode: zerogen}}\n")  # fmt: skip
    return cfg


@pytest.mark.parametrize(
    ("sets", "empty", "message"),
    [
        (["key"], False,
         "error: --set 'key' is not KEY=VALUE. Fix: write --set generation.per_label=10"),
        (["name.x=1"], False,
         "error: --set name.x: 'name' is a str ('x'), not a section, so it has no field 'x'. "
         "Fix: set 'name' itself, e.g. --set name=VALUE"),
        (["generation.per_label=[1,"], False,
         "error: --set 'generation.per_label=[1,': the value '[1,' is not valid YAML "
         "(expected the node content, but found '<stream end>'). Fix: fix the brackets or "
         "quotes, or quote the whole value as text: --set 'generation.per_label=\"[1,\"'"),
        (["=3"], False,
         "error: --set '=3': '' is not a field name such as generation.per_label. "
         "Fix: write --set generation.per_label=10"),
        (["name=x"], True,
         "error: {cfg}: the config is empty; it must be a YAML mapping of sections. "
         "Fix: start from examples/ag_news.yaml"),
    ],
)  # fmt: skip
def test_bad_set_exits_2_with_one_line(
    synthesizrr: CliRun, tmp_path: Path, sets: list[str], empty: bool, message: str
) -> None:
    cfg = tmp_path / "empty.yaml" if empty else _config(tmp_path)
    if empty:
        cfg.write_text("")
    args = [a for s in sets for a in ("--set", s)]
    proc = synthesizrr("run", str(cfg), *args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == message.format(cfg=cfg) + "\n"


def test_set_creates_missing_sections_and_reads_yaml_values(tmp_path: Path) -> None:
    from synthesizrr.config import load_config
    from synthesizrr.overrides import parse_overrides

    cfg = load_config(_config(tmp_path), parse_overrides(
        ["generation.budget.max_requests=7", "retrieval.shot_ranks=[1, 3]", "seed= 5"]))  # fmt: skip
    assert cfg.generation.budget.max_requests == 7
    assert cfg.retrieval.shot_ranks == (1, 3)
    assert cfg.seed == 5


# -- machine-readable output is never wrapped (item 4) ----------------------------------------
def test_validate_output_runs_as_it_is_from_another_folder(
    synthesizrr: CliRun, tmp_path: Path
) -> None:
    from synthesizrr.config import load_config
    from synthesizrr.config_export import portable_dict

    repo = Path(__file__).resolve().parents[1]
    src = repo / "examples" / "ag_news.yaml"
    proc = synthesizrr("validate", "examples/ag_news.yaml", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert max(len(line) for line in proc.stdout.splitlines()) > 80  # not wrapped
    assert "\x1b[" not in proc.stdout  # not styled
    elsewhere = tmp_path / "other" / "full.yaml"
    elsewhere.parent.mkdir()
    elsewhere.write_text(proc.stdout)
    again = load_config(elsewhere)
    assert portable_dict(again) == portable_dict(load_config(src))
    assert again.seeds.path == str(repo / "examples" / "../../shared/data/ag_news/train.csv")
    assert again.evaluation.test_path == str(Path(again.seeds.path).parent / "test.csv")
    assert again.run_path == repo / "examples" / "runs" / "ag_news"
    # ... and the CLI accepts it (up to the first stage that reads a file).
    check = synthesizrr("validate", str(elsewhere), cwd=tmp_path)
    assert check.returncode == 0 and check.stdout == proc.stdout
