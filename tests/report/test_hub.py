"""`synthesizrr publish` / Run.push_to_hub against a stand-in Hub API on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hub_standin import FakeHub
from report_fakes import make_fake_run

from synthesizrr.api import open_run
from synthesizrr.errors import ConfigError, HubError, RunDirError
from synthesizrr.report import write_dataset_card

pytest.importorskip("huggingface_hub")

TOKEN = "hf_standin_7d1f"
FILES = {  # path in the repo -> path in the run folder
    "train.parquet": "dataset/train.parquet",
    "README.md": "dataset/README.md",
    "config.yaml": "config.yaml",
    "manifest.json": "manifest.json",
    "metrics.json": "metrics.json",
}


def _set_report_stage(run: Path, **state: str) -> None:
    manifest = json.loads((run / "manifest.json").read_text("utf-8"))
    manifest["stages"]["report"] = state
    (run / "manifest.json").write_text(json.dumps(manifest), "utf-8")


@pytest.fixture(autouse=True)
def _hub_online(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process calls publish to the stand-in hub even where this shell sets
    HF_HUB_OFFLINE (huggingface_hub reads it once, at import); the CLI tests set their own
    environment."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


@pytest.fixture
def run(tmp_path: Path) -> Path:
    """A fake run whose report stage finished after refine (as the pipeline leaves it)."""
    run = make_fake_run(tmp_path / "runs")
    write_dataset_card(run, run / "dataset" / "README.md")
    _set_report_stage(run, status="done", finished="2024-05-01T10:02:00+00:00")
    return run


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(*args: str, env: dict[str, str], home: Path) -> subprocess.CompletedProcess[str]:
    """The real entry point, with a clean Hub environment (no login of this machine)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    base.update(HF_HOME=str(home), COLUMNS="200", **env)
    return subprocess.run([sys.executable, "-m", "synthesizrr.cli", *args], env=base,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


ARGILLA = [".argilla/dataset.json", ".argilla/settings.json"]


def _expected(run: Path) -> dict[str, bytes]:
    """Every file of the commit: the run's files, and Argilla's two configuration files
    exactly as `export --format argilla` writes them."""
    out = open_run(run).export(run.parent / "argilla-export", "argilla").out_dir
    return {**{k: (run / v).read_bytes() for k, v in FILES.items()},
            **{k: (out / k).read_bytes() for k in ARGILLA}}  # fmt: skip


def _sizes(run: Path) -> str:
    return ", ".join(f"{k} ({len(v)} bytes)" for k, v in _expected(run).items())


def test_push_to_hub_commits_exactly_the_run_files(run: Path) -> None:
    with FakeHub(token=TOKEN) as hub:
        result = open_run(run).push_to_hub(
            "my-org/news-synth", private=True, endpoint=hub.endpoint, token=TOKEN
        )
        repo = hub.repos["datasets/my-org/news-synth"]
        assert repo.private is True
        assert [c.summary for c in repo.commits] == ["synthesizrr: publish run fake_retricl"]
        assert repo.files == _expected(run)
        assert hub.validated == [(run / "dataset" / "README.md").read_text("utf-8")]
        assert hub.requests == [
            "POST /api/repos/create",
            "POST /api/validate-yaml",
            "POST /api/datasets/my-org/news-synth/preupload/main",
            "POST /api/datasets/my-org/news-synth/commit/main",
        ]
        assert result.url == f"{hub.endpoint}/datasets/my-org/news-synth"
        assert result.commit == repo.commits[0].oid and not result.dry_run
        assert [u.path_in_repo for u in result.uploads] == [*FILES, *ARGILLA]

        # Publishing again updates the same repo with a second commit.
        open_run(run).push_to_hub("my-org/news-synth", endpoint=hub.endpoint, token=TOKEN)
        assert len(repo.commits) == 2 and len(hub.repos) == 1


def test_publish_cli_uses_hf_endpoint_and_hf_token(run: Path, tmp_path: Path) -> None:
    home = tmp_path / "hf-home"
    with FakeHub(token=TOKEN) as hub:
        env = {"HF_ENDPOINT": hub.endpoint, "HF_TOKEN": TOKEN}
        proc = cli("publish", str(run), "--repo-id", "my-org/news-synth", env=env, home=home)
        assert proc.returncode == 0, proc.stderr
        repo = hub.repos["datasets/my-org/news-synth"]
        assert repo.private is False
        assert repo.files == _expected(run)
    lines = proc.stdout.splitlines()
    assert lines[0] == "uploaded 7 files to datasets/my-org/news-synth (public):"
    assert lines[1].split() == ["train.parquet", str((run / FILES["train.parquet"]).stat().st_size),
                                "bytes", "<-", str(run / FILES["train.parquet"])]  # fmt: skip
    assert lines[-1] == f"commit {repo.commits[0].oid}: {hub.endpoint}/datasets/my-org/news-synth"
    # The token was only read: no file under the run folder or HF_HOME holds it.
    for folder in (run, home):
        for p in folder.rglob("*"):
            assert not p.is_file() or TOKEN.encode() not in p.read_bytes(), p


def test_publish_offline_exits_5_naming_the_files(run: Path, tmp_path: Path) -> None:
    env = {"HF_HUB_OFFLINE": "1", "HF_TOKEN": TOKEN}
    proc = cli("publish", str(run), "--repo-id", "my-org/news-synth", env=env, home=tmp_path)
    assert proc.returncode == 5
    assert proc.stderr == (
        "error: cannot publish to datasets/my-org/news-synth on https://huggingface.co: the Hub "
        f"is offline (HF_HUB_OFFLINE is set); it would have uploaded 7 files: {_sizes(run)}. "
        "Fix: unset HF_HUB_OFFLINE and rerun, or list the files with --dry-run\n"
    )


def test_publish_unreachable_hub_exits_5(run: Path, tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    env = {"HF_ENDPOINT": endpoint, "HF_TOKEN": TOKEN}
    proc = cli("publish", str(run), "--repo-id", "my-org/news-synth", env=env, home=tmp_path)
    assert proc.returncode == 5
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith(
        f"error: cannot publish to datasets/my-org/news-synth on {endpoint}: the Hub does not "
        "answer (ConnectError: "
    )
    assert proc.stderr.endswith(
        f"nothing was committed; it would have uploaded 7 files: {_sizes(run)}. Fix: check "
        "the network and HF_ENDPOINT, then rerun (or list the files with --dry-run)\n"
    )


def test_publish_dry_run_lists_the_files_offline(run: Path, tmp_path: Path) -> None:
    env = {"HF_HUB_OFFLINE": "1"}  # no token, no network: nothing is sent
    proc = cli("publish", str(run), "--repo-id", "a/b", "--private", "--dry-run", env=env,
               home=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    sizes = {k: len(v) for k, v in _expected(run).items()}
    expected = (
        ["would upload 7 files to datasets/a/b (private):"]
        + [f"  {k:<22} {sizes[k]:>10} bytes  <- {run / v}" for k, v in FILES.items()]
        + [f"  {k:<22} {sizes[k]:>10} bytes  <- (made for Argilla's from_hub)" for k in ARGILLA]
    )
    assert proc.stdout.splitlines() == expected


def test_publish_errors(run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-home"))
    handle = open_run(run)
    with FakeHub(token=TOKEN) as hub:
        with pytest.raises(HubError) as bad_token:
            handle.push_to_hub("my-org/x", endpoint=hub.endpoint, token="hf_wrong")
        assert str(bad_token.value) == (
            f"the Hub refused publishing to datasets/my-org/x on {hub.endpoint} (HTTP 401: "
            "Invalid credentials in Authorization header). Fix: check that HF_TOKEN (or `hf "
            "auth login`) is a write token for that organization"
        )
        assert hub.repos == {}
    with pytest.raises(ConfigError, match=r"^--repo-id 'no-slash' is not a Hub repo id"):
        handle.push_to_hub("no-slash", dry_run=True)
    (run / "dataset" / "README.md").unlink()
    with pytest.raises(RunDirError, match="has no dataset/README.md, so there is nothing to"):
        handle.push_to_hub("my-org/x", dry_run=True)


def test_publish_without_a_token_exits_2(run: Path, tmp_path: Path) -> None:
    with FakeHub(token=TOKEN) as hub:
        proc = cli("publish", str(run), "--repo-id", "my-org/x", env={"HF_ENDPOINT": hub.endpoint},
                   home=tmp_path)  # fmt: skip
        assert hub.requests == []
    assert proc.returncode == 2
    assert proc.stderr == (
        f"error: cannot publish to datasets/my-org/x on {hub.endpoint}: no Hub token (HF_TOKEN "
        "is not set and no `hf auth login` was found). Fix: export HF_TOKEN=<a write token> or "
        "run `hf auth login`, then rerun\n"
    )


def test_publish_refuses_a_missing_or_stale_dataset_folder(run: Path) -> None:
    handle = open_run(run)
    _set_report_stage(run, status="running", started="2024-05-01T10:06:00+00:00")
    with pytest.raises(RunDirError) as running:
        handle.push_to_hub("my-org/x", dry_run=True)
    assert str(running.value) == (
        f"run directory '{run}': the report stage has not finished, so dataset/ is missing or "
        "out of date. Fix: run `synthesizrr report CONFIG` (or `synthesizrr run CONFIG`), then "
        "publish"
    )
    _set_report_stage(run, status="done", finished="2024-05-01T09:00:00+00:00")
    with pytest.raises(RunDirError, match=r"refine ran again after the report stage \(2024-05-01"
                       r"T10:01:00\+00:00 > 2024-05-01T09:00:00\+00:00\), so dataset/ is out"):  # fmt: skip
        handle.push_to_hub("my-org/x", dry_run=True)
