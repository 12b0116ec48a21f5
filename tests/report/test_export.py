"""`synthesizrr export`: Argilla's on-disk layout and plain files, read back row by row."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from report_fakes import LABELS, make_fake_run

from synthesizrr.api import open_run
from synthesizrr.errors import ConfigError, RunDirError, StageError

PROVENANCE = ["row_id", "seed_id", "passage_id", "doc_id", "retrieval_rank", "retrieval_score",
              "shot_ids", "prompt_hash", "model", "mode", "temperature", "top_p", "max_tokens",
              "prompt_tokens", "completion_tokens", "finish_reason"]  # fmt: skip


def _rows(run: Path) -> list[dict[str, Any]]:
    return pq.read_table(run / "06_refine" / "dataset.parquet").to_pylist()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "synthesizrr.cli", *args], capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip


def test_argilla_export_reads_back_every_row_and_label(tmp_path: Path) -> None:
    run = make_fake_run(tmp_path)
    out = tmp_path / "argilla"
    proc = cli("export", str(run), "--format", "argilla", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "exported 16 rows as argilla:",
        f"  {out / '.argilla' / 'dataset.json'}",
        f"  {out / '.argilla' / 'settings.json'}",
        f"  {out / 'records.json'}",
    ]
    dataset = json.loads((out / ".argilla" / "dataset.json").read_text("utf-8"))
    settings = json.loads((out / ".argilla" / "settings.json").read_text("utf-8"))
    records = json.loads((out / "records.json").read_text("utf-8"))
    assert (dataset["name"], dataset["status"], dataset["id"]) == ("fake_retricl", "draft", None)
    assert dataset["guidelines"] == settings["guidelines"]
    assert "- **Business**: news about business" in settings["guidelines"]
    # settings: one text field, one label question with the task's labels, provenance metadata
    assert [(f["name"], f["type"], f["settings"]) for f in settings["fields"]] == [
        ("text", "text", {"type": "text", "use_markdown": False})
    ]
    (question,) = settings["questions"]
    assert (question["name"], question["type"], question["required"]) == (
        "label", "label_selection", True)  # fmt: skip
    assert question["settings"]["type"] == "label_selection"
    assert question["settings"]["visible_options"] == 4
    assert [o["value"] for o in question["settings"]["options"]] == LABELS
    assert [o["description"] for o in question["settings"]["options"]] == [
        f"news about {lab.lower()}" for lab in LABELS
    ]
    kinds = {m["name"]: m["type"] for m in settings["metadata"]}
    assert list(kinds) == PROVENANCE
    assert kinds["retrieval_rank"] == kinds["prompt_tokens"] == "integer"
    assert kinds["retrieval_score"] == kinds["temperature"] == "float"
    assert kinds["seed_id"] == kinds["shot_ids"] == "terms"
    assert all(m["settings"]["type"] == m["type"] for m in settings["metadata"])
    # records: id = row_id, the text, the label as the teacher's suggestion, provenance
    rows = _rows(run)
    assert len(records) == len(rows) == 16
    for rec, row in zip(records, rows, strict=True):
        assert rec["id"] == row["row_id"]
        assert rec["fields"] == {"text": row["text"]}
        assert rec["suggestions"] == {
            "label": {"value": row["label"], "score": None,
                      "agent": "synthesizrr:smollm2-135m-instruct"}}  # fmt: skip
        assert rec["metadata"] == {k: row[k] for k in PROVENANCE}
        assert (rec["responses"], rec["vectors"], rec["status"], rec["_server_id"]) == (
            {}, {}, "pending", None)  # fmt: skip
    assert sorted({r["suggestions"]["label"]["value"] for r in records}) == sorted(LABELS)


def test_argilla_export_of_a_fewgen_run_leaves_missing_provenance_out(tmp_path: Path) -> None:
    run = make_fake_run(tmp_path, mode="fewgen")
    result = open_run(run).export(tmp_path / "out", "argilla")
    records = json.loads(result.files[-1].read_text("utf-8"))
    assert "passage_id" not in records[0]["metadata"]
    assert records[0]["metadata"]["shot_ids"] == _rows(run)[0]["shot_ids"]


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "csv"])
def test_plain_exports_keep_every_row_and_column(tmp_path: Path, fmt: str) -> None:
    run = make_fake_run(tmp_path)
    result = open_run(run).export(tmp_path / "out", fmt)
    assert result.files == [tmp_path / "out" / f"train.{fmt}"] and result.rows == 16
    path = result.files[0]
    rows = _rows(run)
    if fmt == "jsonl":
        back = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    elif fmt == "parquet":
        back = pq.read_table(path).to_pylist()
    else:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            assert reader.fieldnames == list(rows[0])
            back = [dict(r) for r in reader]
        rows = [{k: _as_csv(v) for k, v in r.items()} for r in rows]
    assert back == rows
    assert [r["row_id"] for r in back] == [r["row_id"] for r in _rows(run)]
    assert set(PROVENANCE) <= set(back[0])
    # Deterministic: a second export writes the same bytes.
    first = path.read_bytes()
    open_run(run).export(tmp_path / "out", fmt)
    assert path.read_bytes() == first


def _as_csv(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value) if isinstance(value, list) else str(value)


def test_export_errors(tmp_path: Path) -> None:
    run = make_fake_run(tmp_path)
    proc = cli("export", str(run), "--format", "xlsx", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: --format 'xlsx' is not one of argilla, jsonl, parquet, csv. Fix: pass --format "
        "argilla|jsonl|parquet|csv\n"
    )
    proc = cli("export", str(tmp_path), str(tmp_path / "o"))
    assert proc.returncode == 8
    assert proc.stderr == (
        f"error: '{tmp_path}' is not a run directory (no manifest.json). Fix: pass a folder "
        "under runs/ made by `synthesizrr run`\n"
    )
    with pytest.raises(ConfigError, match=r"^--format 'tsv' is not one of argilla, jsonl"):
        open_run(run).export(tmp_path / "o", "tsv")
    (run / "06_refine" / "dataset.parquet").unlink()
    with pytest.raises(
        RunDirError, match=r"has no final dataset yet \(dataset.parquet in 06_refine/\)"
    ):
        open_run(run).export(tmp_path / "o", "jsonl")


def test_export_refuses_rows_without_unique_ids(tmp_path: Path) -> None:
    run = make_fake_run(tmp_path)
    table = pq.read_table(run / "06_refine" / "dataset.parquet")
    pq.write_table(
        pa.concat_tables([table, table.slice(0, 1)]), run / "06_refine" / "dataset.parquet"
    )
    with pytest.raises(StageError, match="the row_id column is missing, empty or not unique"):
        open_run(run).export(tmp_path / "o", "csv")


def test_argilla_sdk_reads_the_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the ``argilla`` SDK (2.x) is installed: its own readers accept every file and
    serialize the records back to exactly what we wrote. (It needs a client even offline;
    the connection check is skipped, nothing is sent.)"""
    rg = pytest.importorskip("argilla")
    from argilla.datasets._io._disk import DiskImportExportMixin
    from argilla.records._io._json import JsonIO

    monkeypatch.setattr("argilla._api._client.APIClient._validate_connection", lambda self: None)
    monkeypatch.setattr(rg.Argilla, "_default_client", rg.Argilla("http://127.0.0.1:1", "unused"))
    run = make_fake_run(tmp_path)
    out = open_run(run).export(tmp_path / "out", "argilla").out_dir
    dataset_path, settings_path, records_path = DiskImportExportMixin._define_child_paths(out)
    assert DiskImportExportMixin._load_dataset_model(dataset_path).name == "fake_retricl"
    settings = rg.Settings.from_json(settings_path)
    settings.validate()
    assert [q.labels for q in settings.questions] == [LABELS]
    assert [m.name for m in settings.metadata] == PROVENANCE
    records = JsonIO._records_from_json(records_path)
    assert [r.to_dict() for r in records] == json.loads(records_path.read_text("utf-8"))
