from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthesizrr.corpus import CorpusSettings, iter_documents, prepare_passages, read_labeled
from synthesizrr.errors import InputDataError

LONG = " ".join(f"word{i}" for i in range(30)) + "."


def write_jsonl(path: Path, rows: list[dict], *, gz: bool = False) -> Path:
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def docs(settings: CorpusSettings, base: Path) -> list[tuple[str, str | None]]:
    return [(d.doc_id, d.text) for d in iter_documents(settings, base_dir=base)]


def test_jsonl_gzip_csv_parquet_read_alike(tmp_path: Path) -> None:
    rows = [{"id": "a", "text": "alpha text"}, {"id": 7, "text": "beta text"}]
    write_jsonl(tmp_path / "c.jsonl", rows)
    write_jsonl(tmp_path / "g.jsonl.gz", rows, gz=True)
    (tmp_path / "c.csv").write_text("id,text\na,alpha text\n7,beta text\n")
    pq.write_table(
        pa.table({"id": ["a", "7"], "text": ["alpha text", "beta text"]}), tmp_path / "c.parquet"
    )
    want = [("a", "alpha text"), ("7", "beta text")]
    for name in ("c.jsonl", "g.jsonl.gz", "c.csv", "c.parquet"):
        assert docs(CorpusSettings(path=name), tmp_path) == want, name


def test_gzip_detected_by_content_and_folder_and_glob(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "b.jsonl", [{"id": "b1", "text": "x"}], gz=True)  # gzip, plain name
    write_jsonl(tmp_path / "a.jsonl", [{"id": "a1", "text": "y"}])
    (tmp_path / "notes.txt").write_text("ignored")
    assert [d for d, _ in docs(CorpusSettings(path="."), tmp_path)] == ["a1", "b1"]
    assert [d for d, _ in docs(CorpusSettings(path="b*.jsonl"), tmp_path)] == ["b1"]


def test_missing_id_uses_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "c.jsonl").write_text('{"text": "one"}\n\n{"text": "two"}\n')
    assert docs(CorpusSettings(path="c.jsonl"), tmp_path) == [
        ("c.jsonl:1", "one"),
        ("c.jsonl:3", "two"),
    ]
    assert docs(CorpusSettings(path="c.jsonl", id_field=None, limit=1), tmp_path) == [
        ("c.jsonl:1", "one")
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"id": 1, "text": "ok"}\n{"id": 2, "text": \n', "line 2 is not valid JSON"),
        (
            b'{"id": 1, "body": "ok"}\n',
            "no field 'text' (corpus.text_field); fields found: id, body",
        ),
        (b'{"id": 1, "text": 42}\n', "field 'text' holds a int ('42'), not text"),
        (b"\x00\x01\x02binary", "looks binary"),
        (b"[1, 2]\n", "line 1 holds a JSON list, not an object"),
        (b'{"id": 1, "text": "a b"}\n{"id": 1, "text": "c d"}\n', "Document id '1'"),
    ],
)
def test_bad_jsonl_errors_name_file_and_line(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "bad.jsonl").write_bytes(content)
    with pytest.raises(InputDataError, match="bad.jsonl") as err:
        prepare_passages(
            CorpusSettings(path="bad.jsonl", min_tokens=1),
            tmp_path / "p.parquet",
            base_dir=tmp_path,
        )
    assert message in str(err.value)
    assert not (tmp_path / "p.parquet").exists()


def test_csv_missing_text_column_names_columns(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("id,body\n1,hello\n")
    with pytest.raises(InputDataError) as err:
        list(iter_documents(CorpusSettings(path="c.csv"), base_dir=tmp_path))
    assert "has no column 'text' (corpus.text_field); its columns are: id, body." in str(err.value)


def test_missing_path_and_empty_glob(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"corpus.path 'nope.jsonl' does not exist"):
        list(iter_documents(CorpusSettings(path="nope.jsonl"), base_dir=tmp_path))
    with pytest.raises(InputDataError, match="matches no file"):
        list(iter_documents(CorpusSettings(path="*.jsonl"), base_dir=tmp_path))


def test_read_labeled_columns_lines_and_errors(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_text('text,label,src\n"a, b",Sports,x\nc,World,\n')
    table = read_labeled("s.csv", base_dir=tmp_path, extra_fields=["src"])
    assert table.column_names == ["text", "label", "line", "src"]
    assert table.to_pylist() == [
        {"text": "a, b", "label": "Sports", "line": 1, "src": "x"},
        {"text": "c", "label": "World", "line": 2, "src": ""},
    ]
    write_jsonl(tmp_path / "s.jsonl.gz", [{"text": "t", "label": 3}], gz=True)
    assert read_labeled("s.jsonl.gz", base_dir=tmp_path).column("label").to_pylist() == ["3"]
    (tmp_path / "e.csv").write_text("text,label\n  ,Sports\n")
    with pytest.raises(InputDataError, match=r"'.*e.csv' row 1: 'text' is empty"):
        read_labeled("e.csv", base_dir=tmp_path)
    with pytest.raises(
        InputDataError, match="has no column 'category'; its columns are: text, label"
    ):
        read_labeled("e.csv", base_dir=tmp_path, label_field="category")
    (tmp_path / "l.csv").write_bytes(b"text,label\ncaf\xe9,World\n")
    with pytest.raises(InputDataError, match="not valid UTF-8"):
        read_labeled("l.csv", base_dir=tmp_path)


def test_read_labeled_real_ag_news(shared_data: Path) -> None:
    table = read_labeled("ag_news/train.csv", base_dir=shared_data)
    assert table.num_rows == 581
    assert sorted(set(table.column("label").to_pylist())) == [
        "Business",
        "Sci/Tech",
        "Sports",
        "World",
    ]
    assert table.column("line").to_pylist()[:3] == [1, 2, 3]
