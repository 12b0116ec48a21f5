"""What a new user hits in the first hour, through the installed ``synthesizrr`` script
(issue 13, items 4, 6, 9, 10, 12 and 13): exact exit codes and messages."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_kit import base_config, make_project, seed_rows, write_config, write_seeds

from synthesizrr.testing import free_port

CliRun = Callable[..., subprocess.CompletedProcess[str]]
OK_LINE = ("▶ ", "✓ ", "↷ ", "! ", "· ", "≈ ")


def _error(proc: subprocess.CompletedProcess[str]) -> str:
    """The one ``error:`` line; nothing else on stderr but stage progress."""
    assert "Traceback" not in proc.stderr, proc.stderr
    other = [x for x in proc.stderr.splitlines() if x.strip() and not x.startswith(OK_LINE)]
    assert len(other) == 1 and other[0].startswith("error: "), proc.stderr
    assert other[0].count("Fix:") == 1, other[0]
    return other[0]


@pytest.fixture(scope="module")
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, umask_022: None, synthesizrr: CliRun) -> Path:
    """A tiny project (fake teacher, BM25) run to the end under umask 022, plus a second
    run ``r2`` of it for ``compare``."""
    root = tmp_path_factory.mktemp("first_hour")
    cfg = make_project(root)
    for extra in ([], ["--set", "name=r2", "--set", "generation.per_label=4"]):
        proc = synthesizrr("run", str(cfg), "-q", *extra, cwd=root)
        assert proc.returncode == 0, proc.stderr
    return root


# -- item 10: files follow the umask -------------------------------------------------------
def test_every_output_file_follows_the_umask(project: Path, synthesizrr: CliRun) -> None:
    out = project / "scores.json"
    proc = synthesizrr("evaluate", "cfg.yaml", "--dataset", "runs/r/dataset/train.jsonl",
                       "--out", str(out), "-q", cwd=project)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    modes: dict[str, int] = {}
    for p in [out, *(project / "runs").rglob("*")]:
        modes[str(p.relative_to(project))] = stat.S_IMODE(p.stat().st_mode)
    assert modes["runs/r/dataset/train.jsonl"] == 0o644
    assert modes["runs/r/report.html"] == 0o644
    assert modes["scores.json"] == 0o644
    files = {k: v for k, v in modes.items() if not (project / k).is_dir()}
    dirs = {k: v for k, v in modes.items() if (project / k).is_dir()}
    assert {k for k, v in files.items() if v != 0o644} == set()
    assert {k for k, v in dirs.items() if v != 0o755} == set()
    assert len(files) > 30


# -- item 4: machine-readable output is never wrapped ----------------------------------------
def test_compare_markdown_to_a_file_is_a_valid_table(project: Path, synthesizrr: CliRun) -> None:
    from synthesizrr.report import compare_runs

    runs = [project / "runs" / "r", project / "runs" / "r2"]
    proc = synthesizrr("compare", *map(str, runs), "--markdown", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == compare_runs(runs).to_markdown()
    lines = proc.stdout.splitlines()
    assert len(lines) == 4 and max(map(len, lines)) > 80
    columns = lines[1].count("|") - 1
    assert columns > 3 and [line.count(" | ") + 1 for line in lines] == [
        columns,
        1,
        columns,
        columns,
    ]
    assert all(line.startswith("|") and line.endswith("|") for line in lines)


def test_human_output_to_a_pipe_is_not_cut(project: Path, synthesizrr: CliRun) -> None:
    deep = project / ("a-long-folder-name-" * 5)
    deep.mkdir(exist_ok=True)
    proc = synthesizrr(
        "run", str(project / "cfg.yaml"), "--set", f"run_dir={deep}", cwd=project
    )  # fmt: skip  (no -q: progress bars would go to a pipe)
    assert proc.returncode == 0, proc.stderr
    run = deep / "r"
    assert proc.stdout.splitlines() == [  # stdout holds the result only
        f"run directory: {run}",
        f"dataset:       {run / 'dataset' / 'train.jsonl'}",
        f"report:        {run / 'report.html'}",
    ]
    assert "\x1b[" not in proc.stdout + proc.stderr
    assert "━" not in proc.stderr and "%|" not in proc.stderr  # no progress bars in a log
    assert "✓ generate done  planned=12 kept=12" in proc.stderr


# -- item 9: the dry run needs no API key ------------------------------------------------------
@pytest.mark.parametrize("key_env", [None, "MY_TEACHER_KEY"])
def test_generate_dry_run_needs_no_api_key(
    project: Path, synthesizrr: CliRun, key_env: str | None
) -> None:
    llm = ["--set", "generation.llm.backend=openai", "--set", "generation.llm.model=gpt-4o-mini"]
    if key_env:
        llm += ["--set", f"generation.llm.api_key_env={key_env}"]
    unset: dict[str, str | None] = {"OPENAI_API_KEY": None, "MY_TEACHER_KEY": None}
    proc = synthesizrr("generate", "cfg.yaml", "--dry-run", "-q", *llm, cwd=project, env=unset)
    assert proc.returncode == 0, proc.stderr
    estimate = json.loads(proc.stdout)
    assert estimate["requests"] == 12
    # A real run with the same settings still asks for the key.
    real = synthesizrr("generate", "cfg.yaml", "-q", *llm, cwd=project, env=unset)
    assert real.returncode == 2
    assert "No API key found" in _error(real)


# -- item 6: a backend that is down ------------------------------------------------------------
def _accept_once() -> int:
    """A port that accepts one TCP connection (the run's preflight check), then refuses:
    a server that goes down between the check and the first request."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        conn, _ = listener.accept()
        conn.close()
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return int(listener.getsockname()[1])


@pytest.mark.parametrize("per_label", [2, 8])
def test_backend_down_exits_6_naming_the_cause(
    tmp_path: Path, synthesizrr: CliRun, per_label: int
) -> None:
    port = _accept_once()  # down when the requests start (down before: test_preflight.py)
    url = f"http://127.0.0.1:{port}/v1"
    cfg = base_config()
    cfg["generation"].update(per_label=per_label, llm={
        "backend": "openai", "model": "m", "base_url": url, "max_retries": 0, "concurrency": 1})  # fmt: skip
    make_project(tmp_path, cfg)
    proc = synthesizrr("run", "cfg.yaml", "-q", cwd=tmp_path)
    line = _error(proc)
    assert proc.returncode == 6, line
    n = 2 * per_label
    cause = (f"(last error: request to {url} (model m) failed after 1 attempts: "
             f"APIConnectionError: connection refused to 127.0.0.1:{port} (fix: check the "
             "server (URL, model name, load) or raise llm.max_retries / llm.timeout_s))")  # fmt: skip
    if n < 10:  # fewer requests than abort_after_failures (10)
        assert line == (f"error: the teacher answered 0 of {n} requests {cause}. Fix: check the "
                        "backend (server up? model name? key?) and run the same command again")  # fmt: skip
        return
    assert line.startswith(f"error: 10 requests in a row failed {cause}; 0 of {n} requests "
                           f"answered, 10 failed, {n - 10} not sent.")  # fmt: skip
    assert line.endswith("Fix: check the backend (server up? model name? key?) and rerun; "
                         "finished responses are cached")  # fmt: skip


# -- item 12: an offline hub embedder ----------------------------------------------------------
@pytest.mark.parametrize("offline", [True, False])
def test_offline_hub_embedder_fails_fast_in_one_line(
    tmp_path: Path, synthesizrr: CliRun, offline: bool
) -> None:
    cfg = base_config()
    cfg["retrieval"] = {"retriever": "dense", "model": "all-mpnet-base-v2"}
    make_project(tmp_path, cfg)
    port = free_port()
    env = {"HF_HOME": str(tmp_path / "hf"), "HF_ENDPOINT": f"http://127.0.0.1:{port}"}
    env["HF_HUB_OFFLINE"] = "1" if offline else "0"
    started = time.monotonic()
    proc = synthesizrr("index", "cfg.yaml", "-q", cwd=tmp_path, env=env)
    seconds = time.monotonic() - started
    line = _error(proc)
    assert proc.returncode == 5, line
    why = ("HF_HUB_OFFLINE is set" if offline else f"the hub http://127.0.0.1:{port} is not "
           f"reachable: connection refused (127.0.0.1:{port})")  # fmt: skip
    assert line == (
        f"error: Embedding model 'all-mpnet-base-v2' is not a local folder nor in the Hugging "
        f"Face cache ({tmp_path / 'hf' / 'hub'}), and {why}. Fix: load it once where the hub "
        "is reachable (it is then cached), name a local folder instead, or use the bundled "
        "'minilm'"
    )
    assert seconds < 30, seconds  # was 75 s; most of what is left is starting Python


def test_hub_model_in_the_cache_loads_from_it_without_the_hub(tmp_path: Path) -> None:
    from synthesizrr.hub_access import check_hub_model

    snapshot = tmp_path / "hub" / "models--org--tiny" / "snapshots" / "abc"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (tmp_path / "hub" / "models--org--tiny" / "refs").mkdir()
    (tmp_path / "hub" / "models--org--tiny" / "refs" / "main").write_text("abc")
    code = (
        "from synthesizrr.hub_access import check_hub_model\n"
        "print(check_hub_model('org/tiny', repo_ids=['org/tiny'], what='Embedding model'))"
    )
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=False)  # fmt: skip
    assert out.stdout.strip() == "True", out.stderr  # cache only
    assert check_hub_model(str(tmp_path), repo_ids=[], what="Embedding model") is False


# -- item 13: clearer messages ----------------------------------------------------------------
def _write(root: Path, name: str, data: bytes | str) -> None:
    path = root / name
    path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data)


def _semicolon_seeds(root: Path) -> None:
    _write(root, "seeds.csv", "text;label\n" + "".join(f"{t};{lab}\n" for t, lab in seed_rows()))


def _not_gzip_corpus(root: Path) -> dict[str, Any]:
    _write(root, "corpus.jsonl.gz", bytes(range(256)) * 4)
    return {"corpus": {"path": "corpus.jsonl.gz", "min_tokens": 5}}


MESSAGES = [
    ("semicolon-csv", _semicolon_seeds, {}, 3,
     "error: '{root}/seeds.csv' looks semicolon-delimited (';'): its header 'text;label' reads "
     "as one column with comma as the delimiter. Fix: save it comma-separated as .csv (or "
     "tab-separated as .tsv), e.g. pandas.read_csv(path, sep=';').to_csv(new_path, index=False)"),
    ("not-gzip", _not_gzip_corpus, {}, 3,
     "error: '{root}/corpus.jsonl.gz' is named .gz but is not gzip (a gzip file starts with "
     "bytes 1f 8b; this one starts with 00 01 02 03 04 05 06 07). Fix: compress it with gzip, "
     "or remove .gz from its name if it is plain text"),
    ("seeds-path", None, {"seeds": {"path": "nope.csv", "per_label": 4}}, 3,
     "error: seeds.path 'nope.csv' does not exist (resolved to {root}/nope.csv). Fix: check "
     "the path; relative paths are resolved against the config file's folder"),
    ("test-path", None, {"evaluation": {"test_path": "missing.csv",
                                        "metrics": {"metrics": ["distinct_n"]}}}, 3,
     "error: evaluation.test_path 'missing.csv' does not exist (resolved to {root}/missing.csv)."
     " Fix: check the path; relative paths are resolved against the config file's folder"),
    ("one-fix", None, {"seeds": None}, 2,
     "error: {root}/cfg.yaml: seeds: Input should be a valid dictionary or instance of "
     "SeedSettings (got None). Fix: see `synthesizrr validate --help` and examples/"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "setup", "edit", "code", "message"), MESSAGES,
                         ids=[m[0] for m in MESSAGES])  # fmt: skip
def test_unclear_messages_are_clear(
    tmp_path: Path, synthesizrr: CliRun, name: str, setup: Any, edit: dict[str, Any],
    code: int, message: str,
) -> None:  # fmt: skip
    cfg = base_config()
    make_project(tmp_path, cfg)
    if setup is not None:
        edit = {**edit, **(setup(tmp_path) or {})}
    write_config(tmp_path, {**cfg, **edit})
    proc = synthesizrr("run", str(tmp_path / "cfg.yaml"), "-q", cwd=tmp_path)
    assert proc.returncode == code, proc.stderr
    assert _error(proc) == message.format(root=tmp_path)


def test_missing_fields_carry_one_fix(tmp_path: Path, synthesizrr: CliRun) -> None:
    cfg = base_config()
    del cfg["seeds"]
    make_project(tmp_path, cfg)
    proc = synthesizrr("validate", "cfg.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    assert _error(proc) == ("error: cfg.yaml: seeds: required field is missing. Fix: add "
                            "'seeds:' (see examples/ag_news.yaml)")  # fmt: skip


def test_show_before_retrieve_says_to_run_retrieve(tmp_path: Path, synthesizrr: CliRun) -> None:
    make_project(tmp_path)
    proc = synthesizrr("show", "cfg.yaml", cwd=tmp_path)
    assert proc.returncode == 1
    assert _error(proc) == (f"error: run '{tmp_path / 'runs' / 'r'}' has no retrieval results "
                            "yet. Fix: run `synthesizrr retrieve cfg.yaml` first")  # fmt: skip


def test_show_a_seed_without_documents_says_why(tmp_path: Path, synthesizrr: CliRun) -> None:
    rows = [*seed_rows(), ("zebra quartz yonder xylophone", "sports")]
    cfg = base_config()
    cfg["seeds"]["per_label"] = 5
    make_project(tmp_path, cfg)
    write_seeds(tmp_path / "seeds.csv", rows)
    assert synthesizrr("retrieve", "cfg.yaml", "-q", cwd=tmp_path).returncode == 0
    listing = synthesizrr("show", "cfg.yaml", cwd=tmp_path)
    assert listing.returncode == 0 and "seed-9" in listing.stdout
    proc = synthesizrr("show", "cfg.yaml", "seed-9", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "seed-9 (sports): zebra quartz yonder xylophone",
        "no documents were retrieved for seed-9: other seeds took them "
        "(retrieval.max_seeds_per_doc=1). To get some, widen the similarity band or raise "
        "retrieval.top_k, then run `synthesizrr retrieve cfg.yaml`.",
    ]
    with_docs = synthesizrr("show", "cfg.yaml", "seed-1", cwd=tmp_path)
    assert with_docs.returncode == 0
    assert with_docs.stdout.splitlines()[1].strip() == "retrieved documents"
