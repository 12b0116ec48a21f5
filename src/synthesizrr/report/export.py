"""Export a run's final dataset as plain files or as an Argilla dataset folder.

    export_run(run_dir, out_dir, fmt) -> Exported     fmt: argilla | jsonl | parquet | csv

Every format keeps every column: the stable ``row_id`` (``seed_id|passage_id`` for
retrieval modes, ``label:i`` for few-/zero-shot, fixed by the inputs and the run seed) and
the provenance columns (seed, passage, document, retrieval rank and score, in-context
examples, request hash, teacher, sampling settings, token counts). CSV cells of list
columns hold JSON arrays; an empty cell is a missing value.

The Argilla layout is the one ``rg.Dataset.to_disk`` writes and ``rg.Dataset.from_disk``
reads (Argilla 2.x, ``argilla/datasets/_io/_disk.py``)::

    OUT_DIR/.argilla/dataset.json    the dataset model (name, guidelines, distribution)
    OUT_DIR/.argilla/settings.json   fields, questions, metadata properties
    OUT_DIR/records.json             [{id, fields, metadata, suggestions, responses, ...}]

written here as plain JSON (no dependency on the ``argilla`` package): a ``text`` field, a
``label`` single-label question with the task's labels, each row's label as a suggestion
from the teacher, and the provenance columns as metadata properties (``terms`` for
strings and lists, ``integer``/``float`` for numbers). The record id is the ``row_id``.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthesizrr.errors import ConfigError, RunDirError, StageError
from synthesizrr.pipeline.rundir import atomic_write_json, atomic_write_text, write_parquet
from synthesizrr.report.rundata import FOLDERS, RunData


class ExportFormat(str, enum.Enum):
    ARGILLA = "argilla"
    JSONL = "jsonl"
    PARQUET = "parquet"
    CSV = "csv"


@dataclass(frozen=True)
class Exported:
    """What :func:`export_run` wrote."""

    fmt: ExportFormat
    out_dir: Path
    files: list[Path]
    rows: int


def load_final(run_dir: Path) -> Any:
    """The run's final dataset (``06_refine/dataset.parquet``) with unique row ids."""
    import pyarrow.parquet as pq

    path = Path(run_dir) / FOLDERS["refine"] / "dataset.parquet"
    if not (Path(run_dir) / "manifest.json").is_file():
        raise RunDirError(
            f"'{run_dir}' is not a run directory (no manifest.json).",
            fix="pass a folder under runs/ made by `synthesizrr run`",
        )
    if not path.is_file():
        raise RunDirError(
            f"run directory '{run_dir}' has no final dataset yet ({path.name} in {path.parent.name}/).",
            fix="run the pipeline up to refine first: `synthesizrr refine CONFIG`",
        )
    table = pq.read_table(path)
    ids = table.column("row_id").to_pylist() if "row_id" in table.column_names else []
    if len(ids) != table.num_rows or None in ids or len(set(ids)) != len(ids):
        raise StageError(
            f"'{path}': the row_id column is missing, empty or not unique, so rows cannot be "
            "exported with stable ids.",
            fix="rerun refine with --force (the file was not written by this version)",
        )
    return table


def export_run(run_dir: Path, out_dir: Path, fmt: ExportFormat | str) -> Exported:
    """Write the final dataset of ``run_dir`` into ``out_dir`` in format ``fmt``."""
    choices = [f.value for f in ExportFormat]
    if str(getattr(fmt, "value", fmt)) not in choices:
        raise ConfigError(f"--format '{fmt}' is not one of {', '.join(choices)}.",
                          fix="pass --format argilla|jsonl|parquet|csv")  # fmt: skip
    fmt = ExportFormat(fmt)
    table = load_final(Path(run_dir))
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise RunDirError(f"export target '{out_dir}' is a file.", fix="pass a folder path")
    if fmt is ExportFormat.ARGILLA:
        files = _write_argilla(RunData.load(Path(run_dir)), table, out_dir)
    else:
        files = [_WRITERS[fmt](table, out_dir / f"train.{fmt.value}")]
    return Exported(fmt, out_dir, files, table.num_rows)


# -- plain files ------------------------------------------------------------------------------
def _jsonl(table: Any, path: Path) -> Path:
    rows = table.to_pylist()
    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


def _parquet(table: Any, path: Path) -> Path:
    write_parquet(table, path)
    return path


def _csv(table: Any, path: Path) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow([_csv_cell(v) for v in row.values()])
    atomic_write_text(path, buf.getvalue())
    return path


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


_WRITERS = {ExportFormat.JSONL: _jsonl, ExportFormat.PARQUET: _parquet, ExportFormat.CSV: _csv}


# -- Argilla ------------------------------------------------------------------------------------
#: Columns that are the record itself, not metadata.
_RECORD_COLUMNS = ("text", "label")


def argilla_name(name: str) -> str:
    """A dataset name Argilla accepts (letters, digits, ``-``, ``_``; no leading ``-``/``_``)."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", name).lstrip("-_")
    return cleaned or "synthesizrr"


def _metadata_kind(arrow_type: Any) -> str | None:
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_floating(arrow_type):
        return "float"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "terms"
    if pa.types.is_list(arrow_type) and pa.types.is_string(arrow_type.value_type):
        return "terms"
    if pa.types.is_boolean(arrow_type):
        return "terms"
    return None


def _nulls(**extra: Any) -> dict[str, Any]:
    """The server-side fields of an exported Argilla model: none yet."""
    return {"id": None, "inserted_at": None, "updated_at": None, **extra}


def argilla_settings(run: RunData, table: Any) -> dict[str, Any]:
    """The ``settings.json`` of the export (the shape of ``rg.Settings.serialize()``)."""
    labels = run.labels or sorted({str(x) for x in table.column("label").to_pylist()})
    descr = run.label_descriptions
    options = [{"value": lab, "text": lab, "description": descr.get(lab) or None} for lab in labels]
    question = {
        **_nulls(dataset_id=None),
        "name": "label",
        "title": "Label",
        "description": "Does the text fit this label? Keep the teacher's suggestion or correct it.",
        "required": True,
        "settings": {"type": "label_selection", "options": options,
                     "visible_options": len(labels) if len(labels) >= 3 else None},
        "type": "label_selection",
    }  # fmt: skip
    text_field = {
        **_nulls(dataset_id=None),
        "name": "text",
        "title": "Text",
        "required": True,
        "description": f"written by the teacher {run.teacher or 'LLM'} (synthesizrr)",
        "settings": {"type": "text", "use_markdown": False},
        "type": "text",
    }
    metadata = []
    for f in table.schema:
        kind = _metadata_kind(f.type)
        if f.name in _RECORD_COLUMNS or kind is None:
            continue
        settings: dict[str, Any] = {"type": kind, "visible_for_annotators": True}
        settings.update({"values": None} if kind == "terms" else {"min": None, "max": None})
        metadata.append({**_nulls(dataset_id=None), "name": f.name, "title": f.name,
                         "settings": settings, "type": kind, "visible_for_annotators": True})  # fmt: skip
    return {
        "guidelines": _guidelines(run, labels),
        "questions": [question],
        "fields": [text_field],
        "vectors": [],
        "metadata": metadata,
        "allow_extra_metadata": False,
        "distribution": {"strategy": "overlap", "min_submitted": 1},
        "mapping": None,
    }


def _guidelines(run: RunData, labels: list[str]) -> str:
    task = run.task
    descr = run.label_descriptions
    lines = [
        f"# {run.name}: review synthetic {task.get('name', 'text-classification')} examples",
        "",
        f"Each text was written by the teacher LLM {run.teacher or '(unknown)'} with "
        "SynthesizRR, asked for the suggested label. Keep the suggestion when the text fits "
        "it, otherwise pick the right label. The metadata shows where each row came from.",
        "",
    ]
    if task.get("description"):
        lines += [str(task["description"]), ""]
    lines += [f"- **{lab}**: {descr.get(lab, '')}".rstrip(": ") for lab in labels]
    return "\n".join(lines)


def argilla_records(run: RunData, table: Any, metadata_names: list[str]) -> list[dict[str, Any]]:
    """``records.json`` rows (the shape of ``rg.Record.to_dict()``)."""
    agent = f"synthesizrr:{run.teacher}" if run.teacher else "synthesizrr"
    out = []
    for row in table.to_pylist():
        meta = {k: row[k] for k in metadata_names if row.get(k) is not None}
        out.append({
            "id": str(row["row_id"]),
            "fields": {"text": row["text"]},
            "metadata": meta,
            "suggestions": {"label": {"value": row["label"], "score": None, "agent": agent}},
            "responses": {},
            "vectors": {},
            "status": "pending",
            "_server_id": None,
        })  # fmt: skip
    return out


def argilla_config(run: RunData, table: Any) -> dict[str, Any]:
    """``.argilla/dataset.json`` and ``.argilla/settings.json`` (relative path -> object):
    what ``rg.Dataset.from_disk`` needs besides the records, and what ``from_hub`` looks
    for in a Hub repo (``synthesizrr publish`` uploads them beside ``train.parquet``)."""
    settings = argilla_settings(run, table)
    dataset = {**_nulls(), "name": argilla_name(run.name), "status": "draft",
               "guidelines": settings["guidelines"], "allow_extra_metadata": False,
               "distribution": settings["distribution"], "workspace_id": None,
               "last_activity_at": None}  # fmt: skip
    return {".argilla/dataset.json": dataset, ".argilla/settings.json": settings}


def _write_argilla(run: RunData, table: Any, out_dir: Path) -> list[Path]:
    config = argilla_config(run, table)
    names = [m["name"] for m in config[".argilla/settings.json"]["metadata"]]
    files = {**config, "records.json": argilla_records(run, table, names)}
    for rel, obj in files.items():
        atomic_write_json(out_dir / rel, obj)
    return [out_dir / rel for rel in files]
