from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from synthesizrr.corpus import CorpusSettings, prepare_passages
from synthesizrr.corpus.chunking import windows
from synthesizrr.errors import InputDataError


def sentence(i: int, n: int = 9) -> str:
    return " ".join(f"s{i}w{j}" for j in range(n)) + "."


def test_window_cut_at_last_sentence_end() -> None:
    text = " ".join(sentence(i) for i in range(5))  # 5 sentences x 9 tokens
    assert list(windows(text, max_tokens=25, min_tokens=5, all_windows=False)) == [
        (0, " ".join(sentence(i) for i in range(2)), 18, True)
    ]
    got = list(windows(text, max_tokens=25, min_tokens=5, all_windows=True))
    assert [(c, n, more) for c, _, n, more in got] == [(0, 18, True), (1, 18, True), (2, 9, False)]
    # no sentence end leaving min_tokens: hard cut at the window
    assert [
        n for _, _, n, _ in windows("a " * 30, max_tokens=8, min_tokens=5, all_windows=True)
    ] == [8, 8, 8, 6]
    # exactly max_tokens tokens: no cut
    assert list(windows("a b c. d e", max_tokens=5, min_tokens=1, all_windows=False)) == [
        (0, "a b c. d e", 5, False)
    ]


def test_prepare_passages_filters_dedups_and_ids(tmp_path: Path) -> None:
    rows = [
        {"id": "d1", "title": "T1", "text": " ".join(sentence(i) for i in range(5))},
        {"id": "d2", "title": None, "text": "too short."},
        {"id": "d3", "text": " ".join(sentence(i) for i in range(5))},  # duplicate of d1
        {"id": "d4", "text": None},
        {"id": "d5", "text": sentence(7, 29)},
    ]
    (tmp_path / "c.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "p" / "passages.parquet"
    settings = CorpusSettings(
        path="c.jsonl", title_field="title", min_tokens=20, max_tokens=25, split="windows"
    )
    stats = prepare_passages(settings, out, base_dir=tmp_path)
    table = pq.read_table(out)
    assert table.column_names == ["passage_id", "doc_id", "text", "title"]
    assert table.column("passage_id").to_pylist() == ["d1#0", "d1#1", "d5#0"]
    assert table.column("title").to_pylist() == ["T1", "T1", None]
    assert stats.to_dict() | {"sources": []} == {
        "files": 1,
        "documents": 5,
        "passages": 3,
        "too_short": 2,
        "duplicates": 2,
        "cut": 3,
        "empty": 1,
        "encoding": "utf-8",
        "replaced": 0,
        "replaced_per_file": {},
        "sources": [],
    }
    assert list(out.parent.iterdir()) == [out]  # no temporary file left


def test_gigantic_document_is_truncated(tmp_path: Path) -> None:
    text = sentence(0) + " " + "x " * 2_000_000  # ~4 MB, one document
    (tmp_path / "big.jsonl").write_text(json.dumps({"id": "big", "text": text}) + "\n")
    stats = prepare_passages(
        CorpusSettings(path="big.jsonl"), tmp_path / "p.parquet", base_dir=tmp_path
    )
    texts = pq.read_table(tmp_path / "p.parquet").column("text").to_pylist()
    assert (stats.passages, stats.cut) == (1, 1)
    assert len(texts[0].split()) == 400


def test_empty_corpus_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "c.jsonl").write_text('{"id": 1, "text": "short"}\n')
    with pytest.raises(
        InputDataError, match=r"gave no passages: 1 documents read, 0 empty, 1 passages under 20"
    ):
        prepare_passages(CorpusSettings(path="c.jsonl"), tmp_path / "p.parquet", base_dir=tmp_path)


def test_real_news_passages(shared_data: Path, tmp_path: Path) -> None:
    settings = CorpusSettings(
        path="corpus_news_passages/passages.jsonl.gz", title_field="title", limit=2000
    )
    stats = prepare_passages(settings, tmp_path / "p.parquet", base_dir=shared_data)
    table = pq.read_table(tmp_path / "p.parquet")
    assert stats.documents == 2000
    assert stats.passages == table.num_rows == 2000 - stats.too_short - stats.duplicates
    assert table.column("passage_id")[0].as_py() == "reuters21578:1:0#0"
    again = prepare_passages(settings, tmp_path / "q.parquet", base_dir=shared_data)
    assert again == stats and pq.read_table(tmp_path / "q.parquet").equals(table)
