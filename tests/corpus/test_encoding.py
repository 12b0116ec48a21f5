"""corpus.encoding: other encodings are read as such; bytes that do not decode become
U+FFFD and are counted per file (stats, summary, a warning); an unknown encoding name is
a config error. Seeds stay strict UTF-8."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from synthesizrr.config import config_from_dict
from synthesizrr.corpus import CorpusSettings, prepare_passages
from synthesizrr.errors import ConfigError

WORDS = " ".join(f"w{i}" for i in range(25))
TEXT = f"café olé {WORDS}"  # two characters outside ASCII


def _jsonl(rows: list[dict[str, str]], encoding: str) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode(encoding)


def _prepare(tmp_path: Path, path: str, encoding: str = "utf-8") -> tuple[dict, list[str]]:
    settings = CorpusSettings(path=path, encoding=encoding, min_tokens=3)
    stats = prepare_passages(settings, tmp_path / "p.parquet", base_dir=tmp_path)
    texts = pq.read_table(tmp_path / "p.parquet").column("text").to_pylist()
    return stats.to_dict(), texts


def test_latin1_read_as_utf8_is_replaced_and_counted_per_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.jsonl").write_bytes(_jsonl([{"id": "a1", "text": TEXT}, {"id": "a2",
                                             "text": "naïve " + WORDS}], "latin-1"))  # fmt: skip
    (folder / "b.jsonl").write_bytes(_jsonl([{"id": "b1", "text": "plain " + WORDS}], "utf-8"))
    stats, texts = _prepare(tmp_path, "docs")
    assert (stats["encoding"], stats["replaced"]) == ("utf-8", 3)
    assert stats["replaced_per_file"] == {str(folder / "a.jsonl"): 3}
    assert texts[0].startswith("caf\ufffd ol\ufffd w0") and texts[1].startswith("na\ufffdve")
    assert caplog.messages == [
        f"corpus: 3 characters in 1 file(s) were not valid utf-8 and were replaced by U+FFFD "
        f"(most in '{folder / 'a.jsonl'}': 3). If the files use another encoding, set "
        "corpus.encoding (e.g. latin-1, cp1252, utf-16)."
    ]


@pytest.mark.parametrize(
    ("name", "data", "encoding"),
    [
        ("c.jsonl", _jsonl([{"id": "1", "text": TEXT}], "latin-1"), "latin-1"),
        ("c.jsonl", _jsonl([{"id": "1", "text": TEXT}], "utf-16"), "utf-16"),
        ("c.csv", f"id,text\n1,{TEXT}\n".encode("cp1252"), "cp1252"),
        ("c.csv.gz", gzip.compress(f"id,text\n1,{TEXT}\n".encode("utf-16")), "utf-16"),
        ("c.jsonl", b"\xef\xbb\xbf" + _jsonl([{"id": "1", "text": TEXT}], "utf-8"), "utf-8"),
    ],
)
def test_the_named_encoding_reads_the_text_exactly(
    tmp_path: Path, name: str, data: bytes, encoding: str
) -> None:
    (tmp_path / name).write_bytes(data)
    stats, texts = _prepare(tmp_path, name, encoding)
    assert (stats["replaced"], stats["replaced_per_file"], texts) == (0, {}, [TEXT])


def test_a_real_replacement_character_is_not_counted(tmp_path: Path) -> None:
    (tmp_path / "c.jsonl").write_bytes(_jsonl([{"id": "1", "text": "\ufffd " + WORDS}], "utf-8"))
    stats, texts = _prepare(tmp_path, "c.jsonl")
    assert (stats["replaced"], texts) == (0, ["\ufffd " + WORDS])


def test_csv_header_and_rows_are_counted_once(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_bytes(f"id,t\xe9xt\n1,{TEXT}\n".encode("latin-1"))
    settings = CorpusSettings(path="c.csv", text_field="t\ufffdxt", min_tokens=3)
    stats = prepare_passages(settings, tmp_path / "p.parquet", base_dir=tmp_path)
    assert stats.replaced == 3  # 1 in the header + 2 in the row, the header read twice


@pytest.mark.parametrize("name", ["latin-9x", "base64"])
def test_unknown_encoding_is_a_config_error(name: str) -> None:
    raw = {"name": "x", "task": {"preset": "ag_news"}, "seeds": {"path": "s.csv"},
           "corpus": {"path": "c.jsonl", "encoding": name}}  # fmt: skip
    with pytest.raises(ConfigError) as err:
        config_from_dict(raw, source="cfg.yaml")
    assert str(err.value) == (
        f"cfg.yaml: corpus.encoding: unknown text encoding '{name}'; use a Python codec name "
        f"such as utf-8, latin-1, cp1252, utf-16 or shift_jis (got '{name}'). Fix: see "
        "`synthesizrr validate --help` and examples/"
    )
    assert err.value.exit_code == 2


def _synthesizrr(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "300"}
    return subprocess.run([str(Path(sys.executable).parent / "synthesizrr"), *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def _project(root: Path, encoding: str | None) -> Path:
    (root / "seeds.csv").write_text("text,label\nmarket news,business\ngoal scored,sports\n")
    docs = [{"id": f"d{i}", "text": f"caf\xe9 {i} {WORDS}"} for i in range(3)]
    (root / "corpus.jsonl").write_bytes(_jsonl(docs, "latin-1"))
    corpus = {"path": "corpus.jsonl", "min_tokens": 3}
    if encoding is not None:
        corpus["encoding"] = encoding
    cfg = {"name": "r", "seeds": {"path": "seeds.csv", "per_label": 1}, "corpus": corpus,
           "task": {"labels": {"business": "business news", "sports": "sports news"},
                    "instruction": "Write about {label_description}."}}  # fmt: skip
    (root / "cfg.yaml").write_text(json.dumps(cfg))
    return root / "cfg.yaml"


def test_cli_corpus_stage_counts_and_names_the_setting(tmp_path: Path) -> None:
    cfg = _project(tmp_path, None)
    proc = _synthesizrr("corpus", str(cfg), "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    corpus = tmp_path / "corpus.jsonl"
    assert (
        f"WARNING  corpus: 3 characters in 1 file(s) were not valid utf-8 and were replaced by "
        f"U+FFFD (most in '{corpus}': 3). If the files use another encoding, set corpus.encoding "
        "(e.g. latin-1, cp1252, utf-16)." in proc.stderr
    )
    assert " encoding=utf-8 replaced=3 (" in proc.stderr  # the stage summary line
    stats = json.loads((tmp_path / "runs" / "r" / "02_corpus" / "stats.json").read_text())
    assert (stats["replaced"], stats["replaced_per_file"]) == (3, {str(corpus): 3})
    # Naming the encoding reads it exactly, and reruns the corpus stage.
    cfg = _project(tmp_path, "latin-1")
    proc = _synthesizrr("corpus", str(cfg), "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr and " encoding=latin-1 replaced=0 (" in proc.stderr
    texts = pq.read_table(tmp_path / "runs" / "r" / "02_corpus" / "passages.parquet")
    assert texts.column("text")[0].as_py().startswith("café 0 w0")


def test_cli_unknown_encoding_exits_2(tmp_path: Path) -> None:
    cfg = _project(tmp_path, "utf-9")
    proc = _synthesizrr("run", str(cfg), "-q", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"error: {cfg}: corpus.encoding: unknown text encoding 'utf-9'; use a Python codec "
        "name such as utf-8, latin-1, cp1252, utf-16 or shift_jis (got 'utf-9'). Fix: see "
        "`synthesizrr validate --help` and examples/"
    )
