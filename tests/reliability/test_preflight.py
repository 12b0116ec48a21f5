"""Cheap checks come before expensive stages: a missing input file, model file or server
is reported before the first stage runs (nothing indexed, nothing sent), one line, the
field, the fix and the documented exit code. The real ``synthesizrr`` entry point runs
in a subprocess."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from reliability_kit import OpenAIStub, base_config, cli_env, error_line, make_project

from synthesizrr.config import config_from_dict
from synthesizrr.errors import BackendError, ConfigError, InputDataError, ModelNotAvailableError
from synthesizrr.llm.reach import check_reachable
from synthesizrr.pipeline import preflight
from synthesizrr.pipeline.stages import STAGE_LIST
from synthesizrr.testing import free_port

SYNTHESIZRR = Path(sys.executable).parent / "synthesizrr"
PATH_FIX = "Fix: check the path; relative paths are resolved against the config file's folder"


def synthesizrr(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it."""
    return subprocess.run([str(SYNTHESIZRR), *args], cwd=cwd, env=cli_env(), capture_output=True,
                          text=True, timeout=180, check=False)  # fmt: skip


def _project(root: Path, edit: dict[str, Any]) -> Path:
    cfg = base_config()
    for dotted, value in edit.items():
        *parents, last = dotted.split(".")
        cur = cfg
        for p in parents:
            cur = cur.setdefault(p, {})
        cur[last] = value
    return make_project(root, cfg)


def _nothing_ran(root: Path, proc: subprocess.CompletedProcess[str]) -> None:
    assert "▶" not in proc.stderr, proc.stderr  # no stage started
    run = root / "runs" / "r"
    assert sorted(p.name for p in run.iterdir()) == [".lock", "config.yaml", "manifest.json"]


@pytest.mark.parametrize(
    ("field", "edit"),
    [
        ("evaluation.test_path", {"evaluation.test_path": "test.csv"}),
        ("evaluation.train_path", {"evaluation.train_path": "train.csv"}),
        ("corpus.path", {"corpus.path": "news.jsonl"}),
        ("seeds.path", {"seeds.path": "few.csv"}),
    ],
)
def test_missing_input_file_stops_before_any_stage(
    field: str, edit: dict[str, Any], tmp_path: Path
) -> None:
    cfg = _project(tmp_path, edit)
    proc = synthesizrr("run", str(cfg), "-q", cwd=tmp_path)
    name = next(iter(edit.values()))
    assert error_line(proc) == (
        f"error: {field} '{name}' does not exist (resolved to {tmp_path / name}). {PATH_FIX}"
    )
    assert proc.returncode == 3
    _nothing_ran(tmp_path, proc)


def test_missing_gguf_stops_before_the_index(tmp_path: Path) -> None:
    cfg = _project(tmp_path, {"generation.llm": {"backend": "llamacpp", "model": "/nope/x.gguf"}})
    proc = synthesizrr("run", str(cfg), "-q", cwd=tmp_path)
    assert error_line(proc) == (
        "error: llm.model '/nope/x.gguf' is neither an embedded model (smollm2, gemma3-270m, "
        "qwen2.5-coder-0.5b) nor an existing GGUF file. Fix: set llm.model to one of 'smollm2', "
        "'gemma3-270m', 'qwen2.5-coder-0.5b' or a path to a .gguf file"
    )
    assert proc.returncode == 5
    _nothing_ran(tmp_path, proc)


def test_a_file_that_is_not_gguf_stops_even_a_dry_run(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_text("<html>404 Not Found</html>")
    cfg = _project(tmp_path, {"generation.llm": {"backend": "llamacpp", "model": str(fake)}})
    proc = synthesizrr("generate", str(cfg), "-q", "--dry-run", cwd=tmp_path)
    assert error_line(proc) == (
        f"error: llm.model '{fake}' ({fake}) is not a GGUF file (it starts with b'<htm', not "
        "b'GGUF'). Fix: point llm.model at a .gguf file, or choose the llm.backend that reads "
        "this model (transformers or vllm for a Hugging Face folder)"
    )
    assert proc.returncode == 5
    _nothing_ran(tmp_path, proc)


def _openai(url: str) -> dict[str, Any]:
    return {"generation.llm": {"backend": "openai", "model": "m", "base_url": url}}


def test_server_that_is_down_stops_before_any_stage(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    cfg = _project(tmp_path, _openai(url))
    proc = synthesizrr("run", str(cfg), "-q", cwd=tmp_path)
    assert error_line(proc) == (
        f"error: llm.base_url '{url}' is not reachable (connection refused to 127.0.0.1:{port})."
        " Fix: start the server or correct llm.base_url (a dry run, `generate --dry-run`, "
        "needs no server)"
    )
    assert proc.returncode == 6
    _nothing_ran(tmp_path, proc)
    # A dry run sends nothing, so it needs no server.
    dry = synthesizrr("generate", str(cfg), "-q", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert '"requests": 12' in dry.stdout


def test_server_that_listens_passes_and_the_run_finishes(tmp_path: Path) -> None:
    with OpenAIStub() as stub:
        cfg = _project(tmp_path, _openai(stub.url))
        proc = synthesizrr("run", str(cfg), "-q", "--until", "generate", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(stub.bodies) == 12


def test_missing_api_key_stops_before_any_stage(tmp_path: Path) -> None:
    llm = {"backend": "openai", "model": "m", "base_url": "http://127.0.0.1:9/v1",
           "api_key_env": "SYNTH_TEST_NO_SUCH_KEY"}  # fmt: skip
    cfg = _project(tmp_path, {"generation.llm": llm})
    proc = synthesizrr("run", str(cfg), "-q", cwd=tmp_path)
    assert error_line(proc) == (
        "error: No API key found: llm.api_key_env names the environment variable "
        "'SYNTH_TEST_NO_SUCH_KEY', which is not set. Fix: export SYNTH_TEST_NO_SUCH_KEY=<your "
        "key> (or set llm.api_key_env to the variable that holds it)"
    )
    assert proc.returncode == 2
    _nothing_ran(tmp_path, proc)


def test_local_embedding_model_path_must_exist(tmp_path: Path) -> None:
    cfg = _project(tmp_path, {"retrieval": {"retriever": "dense", "model": "./models/mini"}})
    proc = synthesizrr("run", str(cfg), "-q", cwd=tmp_path)
    assert error_line(proc) == (
        f"error: retrieval.model './models/mini' does not exist (resolved to {tmp_path}/models/"
        "mini). Fix: check the path in retrieval.model; a relative path is resolved against the "
        "folder the command runs in"
    )
    assert proc.returncode == 5
    _nothing_ran(tmp_path, proc)


# -- the pieces, in process ---------------------------------------------------------------------
def _cfg(tmp_path: Path, **evaluation: Any) -> Any:
    raw = base_config()
    raw["evaluation"].update(evaluation)
    return config_from_dict(raw, base_dir=tmp_path)


def test_only_the_stages_still_to_run_are_checked(tmp_path: Path) -> None:
    make_project(tmp_path)
    cfg = _cfg(tmp_path, test_path="test.csv")
    after_generate = [s for s in STAGE_LIST if s.name in ("refine", "evaluate", "report")]
    with pytest.raises(InputDataError, match="evaluation.test_path 'test.csv' does not exist"):
        preflight.check(cfg, STAGE_LIST)
    with pytest.raises(InputDataError, match="evaluation.test_path"):
        preflight.check(cfg, after_generate)
    preflight.check(cfg, STAGE_LIST, dry_run=True)  # a dry run stops at generate
    preflight.check(cfg, [s for s in STAGE_LIST if s.name == "report"])
    assert list(preflight.input_paths(cfg, {"evaluate"})) == [
        ("seeds.path", "seeds.csv"),  # the real train set defaults to the seeds
        ("evaluation.test_path", "test.csv"),
    ]


def test_reachability_outcomes(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        check_reachable(f"http://127.0.0.1:{port}/v1")  # listening: no error
        # Through a proxy the proxy is what must listen (the client connects to it).
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        check_reachable("https://api.example.invalid/v1")
    with pytest.raises(BackendError, match=rf"connection refused to the proxy 127.0.0.1:{port}\)"):
        check_reachable("https://api.example.invalid/v1")
    monkeypatch.delenv("HTTPS_PROXY")
    with pytest.raises(ConfigError, match=r"llm.base_url '127.0.0.1:8000/v1' is not an http\(s\)"):
        check_reachable("127.0.0.1:8000/v1")
    with pytest.raises(ConfigError, match="llm.base_url 'http://h:99999/v1': Port out of range"):
        check_reachable("http://h:99999/v1")


def test_gguf_check_does_not_load_the_model(tmp_path: Path) -> None:
    from synthesizrr.models import check_gguf

    good = tmp_path / "m.gguf"
    good.write_bytes(b"GGUF" + b"\0" * 60)  # a header only: loading it would fail
    check_gguf(str(good))
    with pytest.raises(ModelNotAvailableError, match="cannot be read"):
        check_gguf(str(tmp_path))  # a folder


@pytest.mark.parametrize("backend", ["openai", "litellm"])
def test_backend_preflight_sends_nothing_on_a_dry_run(backend: str) -> None:
    from synthesizrr.llm.registry import backend_class
    from synthesizrr.llm.settings import LLMSettings

    url = f"http://127.0.0.1:{free_port()}/v1"
    settings = LLMSettings(backend=backend, model="m", base_url=url)
    backend_class(backend).preflight(settings, send=False)  # a dry run: nothing checked
    with pytest.raises(BackendError) as err:
        backend_class(backend).preflight(settings, send=True)
    assert str(err.value).startswith(f"llm.base_url '{url}' is not reachable (connection refused")
    assert err.value.exit_code == 6


def test_ray_runs_check_inputs_here_and_leave_models_to_the_workers(tmp_path: Path) -> None:
    make_project(tmp_path)
    raw = base_config()
    raw["generation"]["llm"] = {"backend": "llamacpp", "model": "/on/the/workers.gguf"}
    local = config_from_dict(raw, base_dir=tmp_path)
    with pytest.raises(ModelNotAvailableError, match="llm.model '/on/the/workers.gguf'"):
        preflight.check(local, STAGE_LIST)
    on_ray = config_from_dict({**raw, "executor": "ray"}, base_dir=tmp_path)
    preflight.check(on_ray, STAGE_LIST)  # the model file lives where the workers run
    raw["seeds"]["path"] = "gone.csv"
    with pytest.raises(InputDataError, match="seeds.path 'gone.csv' does not exist"):
        preflight.check(config_from_dict({**raw, "executor": "ray"}, base_dir=tmp_path), STAGE_LIST)
