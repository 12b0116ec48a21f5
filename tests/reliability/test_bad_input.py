"""Bad input: each malformed config, seed file, corpus or run directory gets one line on
stderr naming the source and the fix, its documented exit code, no traceback, and leaves
the run directory usable (the fixed config then runs to the end in the same directory).

The exit codes are those of :mod:`synthesizrr.errors` (2 config, 3 input data, 8 run
directory); ``docs/reliability.md`` lists this catalogue.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from reliability_kit import (
    CLI,
    base_config,
    corpus_docs,
    error_line,
    ledger,
    make_project,
    run_cli,
    seed_rows,
    slowfake,
    write_config,
    write_corpus,
    write_seeds,
)

from synthesizrr.config import load_config
from synthesizrr.errors import EXIT_CODES
from synthesizrr.pipeline import runner

Setup = Callable[[Path], list[str]]


@dataclass(frozen=True)
class Case:
    id: str
    setup: Setup  # breaks the project under the given root; returns extra CLI arguments
    code: int
    patterns: tuple[str, ...]  # every one must occur in the error line (plain substrings)
    repair: Callable[[Path], None] | None = None  # what the message tells the user to do


def _cfg(edit: Callable[[dict[str, Any]], None]) -> Setup:
    def setup(root: Path) -> list[str]:
        cfg = base_config()
        edit(cfg)
        write_config(root, cfg)
        return []

    return setup


def _raw_cfg(text: str) -> Setup:
    def setup(root: Path) -> list[str]:
        (root / "cfg.yaml").write_text(text, encoding="utf-8")
        return []

    return setup


def _file(name: str, data: bytes | str) -> Setup:
    def setup(root: Path) -> list[str]:
        path = root / name
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
        return []

    return setup


def _seeds(rows: list[tuple[str, str]]) -> Setup:
    def setup(root: Path) -> list[str]:
        write_seeds(root / "seeds.csv", rows)
        return []

    return setup


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(cfg: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        cur = cfg
        for p in parents:
            cur = cur.setdefault(p, {})
        cur[last] = value

    return edit


def _del(path: str) -> Callable[[dict[str, Any]], None]:
    def edit(cfg: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        cur = cfg
        for p in parents:
            cur = cur[p]
        del cur[last]

    return edit


_GOOD_YAML_HEAD = (
    "name: r\nrun_dir: runs\ntask:\n  instruction: 'Write about {label_description}.'\n"
)
_JSON_LINES = [json.dumps(d) for d in corpus_docs()]
_BROKEN_JSON = "\n".join([*_JSON_LINES[:2], '{"id": "d2", "text": "unterminated', *_JSON_LINES[3:]])
_NO_TEXT = "\n".join([*_JSON_LINES[:4], json.dumps({"id": "d4", "body": "no text field"})])
_LATIN1 = b"text,label\n" + "caf\xe9 ol\xe9 sports story here,sports\n".encode("latin-1")


def _other_task(root: Path) -> list[str]:
    cfg = base_config()
    cfg["task"]["labels"] = {"world": "world news", "tech": "technology news"}
    mapping = {"sports": "world", "business": "tech"}
    write_seeds(root / "seeds.csv", [(t, mapping[lab]) for t, lab in seed_rows()])
    write_config(root, cfg)
    return []


def _bad_manifest(root: Path) -> list[str]:
    (root / "runs" / "r" / "manifest.json").write_text('{"stages": {', encoding="utf-8")
    return []


def _run_dir_is_file(root: Path) -> list[str]:
    cfg = base_config()
    cfg["run_dir"] = "occupied"
    (root / "occupied").write_text("a file where the run folder should be\n")
    write_config(root, cfg)
    return []


CASES = [
    # -- config (exit 2) ---------------------------------------------------------------------
    Case("config-unknown-key", _cfg(_set("retreival", {})), 2,
         ("cfg.yaml: retreival: unknown key", "Did you mean 'retrieval'?")),
    Case("config-unknown-nested-key", _cfg(_set("generation.per_lable", 3)), 2,
         ("generation.per_lable: unknown key", "Did you mean 'per_label'?")),
    Case("config-wrong-type", _cfg(_set("generation.per_label", "many")), 2,
         ("cfg.yaml: generation.per_label: Input should be a valid integer", "(got 'many')")),
    Case("config-missing-label-description", _cfg(_set("task.labels", {"sports": "", "business": "b"})),
         2, ("task.labels: label 'sports' has no description", "Fix:")),
    Case("config-empty-label-set", _cfg(_set("task.labels", {})), 2,
         ("task.labels: a classification task needs at least 2 labels", "Fix:")),
    Case("config-duplicate-labels",
         _raw_cfg(_GOOD_YAML_HEAD + "  labels:\n    sports: a\n    sports: b\n"
                  "seeds: {path: seeds.csv}\ngeneration: {prompt: {mode: fewgen}}\n"),
         2, ("duplicate key 'sports' at line 7 (first at line 6)", "Fix: keep one entry per key")),
    Case("config-negative-seeds", _cfg(_set("seeds.per_label", -4)), 2,
         ("seeds.per_label: Input should be greater than 0 (got -4)",)),
    Case("config-negative-generations", _cfg(_set("generation.per_label", -1)), 2,
         ("generation.per_label: Input should be greater than 0 (got -1)",)),
    Case("config-negative-top-k", _cfg(_set("retrieval.top_k", 0)), 2,
         ("retrieval.top_k: Input should be greater than or equal to 1 (got 0)",)),
    Case("config-missing-required", _cfg(_del("seeds")), 2,
         ("cfg.yaml: seeds: required field is missing", "Fix: add 'seeds:'")),
    Case("config-unknown-placeholder", _cfg(_set("task.instruction", "Write {lable}.")), 2,
         ("task.instruction", "unknown placeholder(s) ['lable']")),
    Case("config-invalid-yaml", _raw_cfg("name: r\ntask: [\n"), 2,
         ("cfg.yaml: line 3, column 1: invalid YAML", "Fix: fix the YAML syntax")),
    Case("config-missing-file", lambda root: ["--set", "x=1"], 2,  # config path replaced below
         ("config file", "does not exist", "Fix: pass the path of a YAML file")),
    Case("config-unknown-backend", _cfg(_set("generation.llm.backend", "gpt5")), 2,
         ("llm.backend 'gpt5' is not a known backend (choices:", "Fix: set llm.backend")),
    Case("config-bad-override", lambda root: ["--set", "generation.per_label=lots"], 2,
         ("generation.per_label: Input should be a valid integer", "(got 'lots')")),
    # -- seeds (exit 3) ----------------------------------------------------------------------
    Case("seeds-missing-file", _cfg(_set("seeds.path", "nope.csv")), 3,
         ("'nope.csv' does not exist", "Fix: check the path")),
    Case("seeds-wrong-columns", _file("seeds.csv", "sentence,category\nsome text here,sports\n"),
         3, ("seeds.csv' has no column 'text', 'label'; its columns are: sentence, category",
             "Fix: rename the columns")),
    Case("seeds-label-not-in-task", _seeds([*seed_rows(), ("a politics story", "politics")]), 3,
         ("seeds 'seeds.csv': label(s) ['politics']", "not in the task's labels",
          "Fix:")),
    Case("seeds-empty-text", _seeds([*seed_rows()[:3], ("", "sports"), *seed_rows()[3:]]), 3,
         ("seeds.csv' row 4: 'text' is empty", "Fix: remove that example")),
    Case("seeds-non-utf8", _file("seeds.csv", _LATIN1), 3,
         ("seeds.csv", "not valid UTF-8", "Fix: re-encode the file as UTF-8")),
    Case("seeds-no-rows", _file("seeds.csv", "text,label\n"), 3,
         ("seeds.csv' has no examples", "Fix:")),
    Case("seeds-label-without-examples", _seeds([r for r in seed_rows() if r[1] == "sports"]), 3,
         ("seeds 'seeds.csv': no example of label 'business'", "Fix: add examples")),
    # -- corpus (exit 3) ---------------------------------------------------------------------
    Case("corpus-empty", _file("corpus.jsonl", ""), 3,
         ("corpus 'corpus.jsonl' gave no passages: 0 documents", "Fix:")),
    Case("corpus-invalid-json-line-3", _file("corpus.jsonl", _BROKEN_JSON), 3,
         ("corpus.jsonl' line 3 is not valid JSON", "Fix: each line must hold one JSON object")),
    Case("corpus-missing-text-field", _file("corpus.jsonl", _NO_TEXT), 3,
         ("corpus.jsonl", "line 5", "has no field 'text' (corpus.text_field)",
          "Fix: set corpus.text_field")),
    Case("corpus-binary-file", _file("corpus.jsonl", bytes(range(256)) * 64), 3,
         ("corpus.jsonl' looks binary (it contains NUL bytes)", "Fix: convert it to UTF-8")),
    Case("corpus-missing-file", _cfg(_set("corpus.path", "missing.jsonl")), 3,
         ("'missing.jsonl' does not exist", "Fix: check the path")),
    Case("corpus-all-too-short", _file("corpus.jsonl", '{"id": "1", "text": "too short"}\n'), 3,
         ("gave no passages: 1 documents read", "under 5 tokens (corpus.min_tokens)",
          "Fix:")),
    Case("corpus-duplicate-ids", _file("corpus.jsonl", "\n".join(_JSON_LINES[:3] + _JSON_LINES[:1])),
         3, ("Document id 'd0'", "appears again at", "line 4", "Fix: make the ids unique")),
    # -- run directory (exit 8) ----------------------------------------------------------------
    Case("rundir-other-task", _other_task, 8,
         ("was made by a config with another task (labels ['sports', 'business'])",
          "Fix: give this run another name, or pass --overwrite")),
    Case("rundir-corrupt-manifest", _bad_manifest, 8,
         ("manifest.json' is not a valid manifest", "Fix: delete that file"),
         lambda root: (root / "runs" / "r" / "manifest.json").unlink()),
    Case("rundir-path-is-a-file", _run_dir_is_file, 8,
         ("occupied/r'", "Fix:")),
]  # fmt: skip


_KEPT = ("seeds.csv", "corpus.jsonl", "cfg.yaml")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose run finished. Cases run in it one after another; each is undone by
    restoring the inputs byte for byte with their mtimes, so unchanged stages are skipped."""
    root = tmp_path_factory.mktemp("project")
    cfg = make_project(root)
    proc = run_cli("run", str(cfg), "-q", cwd=root, hooks=False)
    assert proc.returncode == 0, proc.stderr
    return root


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {n: ((root / n).read_bytes(), (root / n).stat().st_mtime_ns) for n in _KEPT}


def _restore(root: Path, snap: dict[str, tuple[bytes, int]]) -> None:
    for name, (data, mtime) in snap.items():
        path = root / name
        if not path.exists() or path.read_bytes() != data or path.stat().st_mtime_ns != mtime:
            path.write_bytes(data)
            os.utime(path, ns=(mtime, mtime))


def _assert_usable(root: Path) -> None:
    """The fixed project runs to the end in the same run directory (in-process: fast)."""
    rundir = runner.execute(load_config(root / "cfg.yaml")).run_dir
    manifest = json.loads((rundir.path / "manifest.json").read_text("utf-8"))
    assert {s["status"] for s in manifest["stages"].values()} == {"done"}
    assert (rundir.path / "dataset" / "train.jsonl").read_text().count("\n") == 12


def test_catalogue_is_large_and_codes_are_documented() -> None:
    assert len(CASES) + 3 >= 25  # + read-only, disk full and a gigantic document below
    assert len({c.id for c in CASES}) == len(CASES)
    assert {c.code for c in CASES} <= set(EXIT_CODES.values())
    readme = (Path(__file__).resolve().parents[2] / "docs" / "reliability.md").read_text()
    for case in CASES:
        assert f"`{case.id}`" in readme, f"{case.id} is not listed in docs/reliability.md"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, project: Path) -> None:
    root = project
    snap = _snapshot(root)
    try:
        extra = case.setup(root)
        cfg = root / ("nope.yaml" if case.id == "config-missing-file" else "cfg.yaml")
        proc = run_cli("run", str(cfg), "-q", *extra, cwd=root, hooks=False)
        line = error_line(proc)
        assert proc.returncode == case.code, line
        for pattern in case.patterns:
            assert pattern in line, f"{pattern!r} not in {line!r}"
    finally:
        _restore(root, snap)
    if case.repair is not None:
        case.repair(root)
    _assert_usable(root)


def test_gigantic_document_is_cut_not_fatal(tmp_path: Path) -> None:
    """A 30 MB single-line document is read once, cut to the token window, and the run
    finishes (the paper's rule; stats count it as cut)."""
    cfg = make_project(tmp_path)
    docs = corpus_docs()
    docs.append({"id": "huge", "text": "sports match goal. " * 1_600_000})
    write_corpus(tmp_path / "corpus.jsonl", docs)
    proc = run_cli("run", str(cfg), "-q", "--until", "corpus", cwd=tmp_path, hooks=False)
    assert proc.returncode == 0, proc.stderr
    stats = json.loads((tmp_path / "runs" / "r" / "02_corpus" / "stats.json").read_text())
    assert (stats["documents"], stats["passages"], stats["cut"]) == (41, 41, 1)
    import pyarrow.parquet as pq

    texts = pq.read_table(tmp_path / "runs" / "r" / "02_corpus" / "passages.parquet")
    longest = max(len(t.split()) for t in texts.column("text").to_pylist())
    assert longest == 399  # the last sentence end inside the 400-token window


def _unshare_ok() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True, check=False)
    return probe.returncode == 0


needs_unshare = pytest.mark.skipif(
    sys.platform != "linux" or not _unshare_ok(),
    reason="needs Linux user+mount namespaces (unshare -rm) for read-only/full filesystems",
)


def _in_namespace(root: Path, script: str) -> None:
    """Run ``script`` (sh) in a private mount namespace where we may mount filesystems."""
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", script], cwd=root,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _cli_line(root: Path, args: str, tag: str) -> str:
    """Shell line: the CLI with stdout/stderr/exit code saved under ``root`` as ``tag``."""
    py = sys.executable
    return (f"COLUMNS=300 {py} {CLI} {args} >{root}/{tag}.out 2>{root}/{tag}.err; "
            f"echo $? >{root}/{tag}.rc")  # fmt: skip


def _result(root: Path, tag: str) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(
        [tag], int((root / f"{tag}.rc").read_text()), (root / f"{tag}.out").read_text(),
        (root / f"{tag}.err").read_text(),
    )  # fmt: skip


@needs_unshare
def test_read_only_run_directory(project: Path) -> None:
    root = project
    cfg = root / "cfg.yaml"
    _in_namespace(root, f"mount --bind -o ro {root}/runs {root}/runs || exit 97\n"
                        + _cli_line(root, f"run {cfg} -q", "ro"))  # fmt: skip
    proc = _result(root, "ro")
    line = error_line(proc)
    assert proc.returncode == 8, line
    assert f"run directory '{root}/runs/r' is not writable (read-only file system)" in line
    assert "Fix: choose a writable run_dir" in line
    _assert_usable(root)


@needs_unshare
def test_disk_full(tmp_path: Path) -> None:
    """The disk fills up before a run and in the middle of generation (SQLite cache
    writes fail): exit 8 with one line each time; after freeing space the same command
    finishes and no answered request was sent twice."""
    cfg = write_config(make_project(tmp_path).parent, base_config(**slowfake()))
    runs, log, py = tmp_path / "runs", tmp_path / "sends.log", sys.executable
    fill = f"dd if=/dev/zero of={runs}/filler bs=4k 2>/dev/null; rm -f {runs}/filler.done"
    _in_namespace(tmp_path, "\n".join([
        f"mkdir -p {runs} && mount -t tmpfs -o size=8m tmpfs {runs} || exit 97",
        _cli_line(tmp_path, f"run {cfg} -q --until retrieve", "first"),
        fill,
        _cli_line(tmp_path, f"run {cfg} -q", "at_start"),
        f"rm {runs}/filler; touch {log}",
        f"COLUMNS=300 SYNTH_DELAY_S=0.1 SYNTH_SEND_LOG={log} {py} {CLI} run {cfg} -q "
        f">{tmp_path}/mid.out 2>{tmp_path}/mid.err & pid=$!",
        f"while [ $(grep -c '^done' {log}) -lt 3 ]; do sleep 0.02; done",
        fill,
        f"wait $pid; echo $? >{tmp_path}/mid.rc",
        f"rm {runs}/filler",
        f"echo after >>{log}",
        f"SYNTH_SEND_LOG={log} " + _cli_line(tmp_path, f"run {cfg} -q", "after"),
        f"cp -r {runs}/r {tmp_path}/final",
    ]))  # fmt: skip
    assert _result(tmp_path, "first").returncode == 0
    for tag in ("at_start", "mid"):
        proc = _result(tmp_path, tag)
        line = error_line(proc)
        assert proc.returncode == 8, line
        assert f"error: disk full while writing in '{runs}/r'; finished work is kept." in line
        assert line.endswith("Fix: free disk space and run the same command again")
    after = _result(tmp_path, "after")
    assert after.returncode == 0, after.stderr  # usable: the same command finishes
    rows = ledger(tmp_path / "final")
    assert len(rows) == 12 and {(r["status"], r["attempts"]) for r in rows} == {("ok", 1)}
    mid, _, rest = log.read_text().partition("after\n")
    done_mid = [x.split()[1] for x in mid.splitlines() if x.startswith("done ")]
    done_after = [x.split()[1] for x in rest.splitlines() if x.startswith("done ")]
    assert len(done_mid) >= 3 and sorted(set(done_mid) | set(done_after)) == sorted(
        r["key"] for r in rows
    )
    # Only answers that could not be stored (at most the 2 in flight) were asked again.
    assert len(set(done_mid) & set(done_after)) <= 2
