"""Streaming record readers for JSON Lines, CSV/TSV and Parquet files, plain or gzip.

A *source* is one file, a glob (``data/*.jsonl.gz``) or a folder (every readable file in
it, sorted by name). Files are read one record at a time (Parquet one record batch at a
time), so memory does not grow with the size of the corpus. Gzip is detected from the
file's first bytes; a file named ``.gz`` that is not gzip is an error.

Every problem a user can cause raises :class:`~synthesizrr.errors.InputDataError` naming
the file, the line or row, the field, and the fix.
"""

from __future__ import annotations

import csv
import glob
import gzip
import io
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Literal

from synthesizrr.errors import InputDataError

Format = Literal["auto", "jsonl", "csv", "parquet"]

#: File-name suffixes (after an optional ``.gz``) and the format each one means.
SUFFIXES: dict[str, str] = {
    ".jsonl": "jsonl",
    ".json": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_PARQUET_BATCH = 1024

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def resolve_files(path: str, *, base_dir: Path, what: str = "corpus.path") -> list[Path]:
    """Files named by ``path`` (a file, a glob or a folder), relative to ``base_dir``."""
    expanded = os.path.expanduser(path)
    full = Path(expanded) if os.path.isabs(expanded) else Path(base_dir) / expanded
    if glob.has_magic(str(full)):
        files = sorted(Path(p) for p in glob.glob(str(full), recursive=True) if Path(p).is_file())
        if not files:
            raise InputDataError(
                f"{what} '{path}' is a glob that matches no file (looked for {full}).",
                fix="check the pattern and that the files exist",
            )
        return files
    if full.is_dir():
        files = sorted(p for p in full.iterdir() if p.is_file() and _suffix_format(p) is not None)
        if not files:
            raise InputDataError(
                f"{what} '{path}' is a folder ({full}) with no file ending in "
                f"{', '.join(sorted(SUFFIXES))} (optionally .gz).",
                fix="point the path at the data file or put .jsonl/.csv/.parquet files there",
            )
        return files
    if not full.exists():
        raise InputDataError(
            f"{what} '{path}' does not exist (resolved to {full}).",
            fix="check the path; relative paths are resolved against the config file's folder",
        )
    return [full]


def _suffix_format(path: Path) -> str | None:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return SUFFIXES.get(suffixes[-1]) if suffixes else None


def detect_format(path: Path, fmt: Format = "auto") -> str:
    """The format of ``path``: ``fmt`` unless it is ``auto``, else from the file name."""
    if fmt != "auto":
        return fmt
    found = _suffix_format(path)
    if found is None:
        raise InputDataError(
            f"Cannot tell the format of '{path}' from its name (known endings: "
            f"{', '.join(sorted(SUFFIXES))}, optionally followed by .gz).",
            fix="rename the file or set format: jsonl | csv | parquet",
        )
    return found


def _open_binary(path: Path) -> IO[bytes]:
    raw = open(path, "rb")  # noqa: SIM115 - returned to the caller, closed there
    head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    if head == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if path.suffix.lower() == ".gz":
        first = raw.peek(8)[:8]
        raw.close()
        raise InputDataError(
            f"'{path}' is named .gz but is not gzip (a gzip file starts with bytes 1f 8b; "
            f"this one starts with {first.hex(' ') or 'nothing: it is empty'}).",
            fix="compress it with gzip, or remove .gz from its name if it is plain text",
        )
    return raw


def _check_text_head(path: Path, head: bytes) -> None:
    if head.startswith(_PARQUET_MAGIC):
        raise InputDataError(
            f"'{path}' is a Parquet file but was read as text.",
            fix="name it *.parquet or set format: parquet",
        )
    if b"\x00" in head:
        raise InputDataError(
            f"'{path}' looks binary (it contains NUL bytes), not UTF-8 text.",
            fix="convert it to UTF-8 JSON Lines, CSV or Parquet",
        )


def _decode(path: Path, line_no: int, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputDataError(
            f"'{path}' line {line_no} is not valid UTF-8 (byte {exc.start}: "
            f"{data[exc.start : exc.start + 1]!r}).",
            fix="re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)",
        ) from exc


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, record)`` for every non-blank line of a JSON Lines file."""
    try:
        with _open_binary(path) as fh:
            first = True
            for line_no, raw in enumerate(fh, start=1):
                if first:
                    _check_text_head(path, raw[:4096])
                    if raw.startswith(b"\xef\xbb\xbf"):
                        raw = raw[3:]
                    first = False
                text = _decode(path, line_no, raw).strip()
                if not text:
                    continue
                try:
                    record = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise InputDataError(
                        f"'{path}' line {line_no} is not valid JSON ({exc.msg} at column "
                        f"{exc.colno}): {text[:80]!r}.",
                        fix="each line must hold one JSON object; fix or delete that line",
                    ) from exc
                if not isinstance(record, dict):
                    raise InputDataError(
                        f"'{path}' line {line_no} holds a JSON {type(record).__name__}, "
                        "not an object.",
                        fix='each line must be an object such as {"id": "1", "text": "..."}',
                    )
                yield line_no, record
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputDataError(
            f"'{path}' could not be read ({type(exc).__name__}: {exc}).",
            fix="check that the file is complete and not corrupted",
        ) from exc


def iter_csv(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(data row number, record)`` for every row of a CSV (or ``.tsv``) file with a header."""
    delimiter = "\t" if ".tsv" in [s.lower() for s in path.suffixes] else ","
    try:
        with _open_binary(path) as fh:
            head = fh.peek(4096)[:4096] if hasattr(fh, "peek") else b""
            _check_text_head(path, head)
            text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
            reader = csv.DictReader(text, delimiter=delimiter)
            try:
                _check_delimiter(path, reader.fieldnames or [], delimiter)
                for row_no, row in enumerate(reader, start=1):
                    if None in row:
                        raise InputDataError(
                            f"'{path}' row {row_no} (line {reader.line_num}) has more values "
                            f"than the header has columns ({len(reader.fieldnames or [])}).",
                            fix="quote values that contain the delimiter",
                        )
                    yield row_no, row
            except UnicodeDecodeError as exc:
                raise InputDataError(
                    f"'{path}' is not valid UTF-8 near line {reader.line_num + 1}.",
                    fix="re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)",
                ) from exc
            except csv.Error as exc:
                raise InputDataError(
                    f"'{path}' line {reader.line_num} is not valid CSV ({exc}).",
                    fix="check quoting on that line",
                ) from exc
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputDataError(
            f"'{path}' could not be read ({type(exc).__name__}: {exc}).",
            fix="check that the file is complete and not corrupted",
        ) from exc


_OTHER_DELIMITERS = {";": "semicolon", "|": "pipe", "\t": "tab", ",": "comma"}


def _check_delimiter(path: Path, header: Sequence[str], delimiter: str) -> None:
    """A header read as one column that holds another delimiter: the file uses that one."""
    if len(header) != 1:
        return
    for other, name in _OTHER_DELIMITERS.items():
        if other != delimiter and other in header[0]:
            expected = "tab" if delimiter == "\t" else "comma"
            raise InputDataError(
                f"'{path}' looks {name}-delimited ('{other}'): its header {header[0][:80]!r} "
                f"reads as one column with {expected} as the delimiter.",
                fix="save it comma-separated as .csv (or tab-separated as .tsv), e.g. "
                "pandas.read_csv(path, sep=';').to_csv(new_path, index=False)",
            )


def iter_parquet(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(row number, record)`` for every row of a Parquet file, one batch in memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputDataError(
            f"'{path}' is not a readable Parquet file ({exc}).",
            fix="check the file, or set format to the file's real format",
        ) from exc
    row_no = 0
    for batch in pf.iter_batches(batch_size=_PARQUET_BATCH):
        for record in batch.to_pylist():
            row_no += 1
            yield row_no, record


def columns_of(path: Path, fmt: str) -> list[str] | None:
    """Column names where the format has a header (CSV, Parquet), else ``None``."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.ParquetFile(path).schema_arrow.names)
        except Exception:  # reported properly by iter_parquet
            return None
    if fmt == "csv":
        for _, row in iter_csv(path):
            return list(row)
        return None
    return None


def iter_records(path: Path, fmt: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Records of one file in the given concrete format (``jsonl``, ``csv``, ``parquet``)."""
    if fmt == "jsonl":
        return iter_jsonl(path)
    if fmt == "csv":
        return iter_csv(path)
    if fmt == "parquet":
        return iter_parquet(path)
    raise InputDataError(
        f"Unknown format '{fmt}' for '{path}'.", fix="use one of: auto, jsonl, csv, parquet"
    )


def where(path: Path, fmt: str, line_no: int) -> str:
    """How to point a user at one record: ``'file' line 3`` or ``'file' row 3``."""
    unit = "line" if fmt == "jsonl" else "row"
    return f"'{path}' {unit} {line_no}"


def text_value(value: Any, *, path: Path, fmt: str, line_no: int, field: str) -> str | None:
    """A field's value as text; ``None`` for null. Numbers and lists are an error."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    raise InputDataError(
        f"{where(path, fmt, line_no)}: field '{field}' holds a {type(value).__name__} "
        f"({str(value)[:60]!r}), not text.",
        fix=f"store '{field}' as a string, or pick another field",
    )


def id_value(value: Any) -> str | None:
    """An id as a string (ints are fine); ``None`` for null or empty."""
    if value is None:
        return None
    out = str(value).strip()
    return out or None
