"""Small labeled files (seeds, train and test sets) read into one Arrow table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from synthesizrr.corpus.readers import (
    columns_of,
    detect_format,
    iter_records,
    resolve_files,
    where,
)
from synthesizrr.errors import InputDataError


def read_labeled(
    path: str,
    *,
    base_dir: Path,
    text_field: str = "text",
    label_field: str = "label",
    extra_fields: Sequence[str] = (),
    setting: str = "labeled file",
) -> Any:
    """A labeled CSV / JSON Lines / Parquet file (plain or gzip) as a ``pyarrow.Table``.

    Columns: ``text``, ``label`` (both strings; numeric labels become their text), each of
    ``extra_fields`` (strings or null), and ``line``: the 1-based line (JSON Lines) or data
    row (CSV, Parquet) each example came from. A file, glob or folder is accepted; rows of
    several files are concatenated in file order and ``line`` restarts in each file.
    ``setting`` names the config field the path came from in errors (``seeds.path``).
    """
    import pyarrow as pa

    wanted = [text_field, label_field, *extra_fields]
    columns: dict[str, list[Any]] = {"text": [], "label": [], "line": []}
    for name in extra_fields:
        columns[name] = []
    for file in resolve_files(path, base_dir=base_dir, what=setting):
        fmt = detect_format(file)
        header = columns_of(file, fmt)
        if header is not None:
            missing = [name for name in wanted if name not in header]
            if missing:
                raise InputDataError(
                    f"'{file}' has no column {', '.join(repr(m) for m in missing)}; its "
                    f"columns are: {', '.join(header) or '(none)'}.",
                    fix="rename the columns or set the text/label field names in the config",
                )
        for line_no, record in iter_records(file, fmt):
            missing = [name for name in wanted if name not in record]
            if missing:
                raise InputDataError(
                    f"{where(file, fmt, line_no)} has no field "
                    f"{', '.join(repr(m) for m in missing)}; fields found: "
                    f"{', '.join(record) or '(none)'}.",
                    fix="add the field or set the text/label field names in the config",
                )
            text = record[text_field]
            if not isinstance(text, str):
                raise InputDataError(
                    f"{where(file, fmt, line_no)}: '{text_field}' holds a "
                    f"{type(text).__name__} ({str(text)[:60]!r}), not text.",
                    fix=f"store '{text_field}' as a string",
                )
            if not text.strip():
                raise InputDataError(
                    f"{where(file, fmt, line_no)}: '{text_field}' is empty.",
                    fix="remove that example or fill in its text",
                )
            label = record[label_field]
            if label is None or isinstance(label, (dict, list)) or not str(label).strip():
                raise InputDataError(
                    f"{where(file, fmt, line_no)}: '{label_field}' is {label!r}, not a label.",
                    fix="give every example a label name (text or integer)",
                )
            columns["text"].append(text)
            columns["label"].append(str(label).strip())
            columns["line"].append(line_no)
            for name in extra_fields:
                value = record[name]
                columns[name].append(None if value is None else str(value))
    if not columns["text"]:
        raise InputDataError(
            f"{setting} '{path}' has no examples.",
            fix="check the path; the file must have a header and at least one row",
        )
    types = {"text": pa.string(), "label": pa.string(), "line": pa.int64()}
    return pa.table(
        {
            name: pa.array(values, type=types.get(name, pa.string()))
            for name, values in columns.items()
        }
    )
