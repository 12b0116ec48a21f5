"""Streaming record readers for JSON Lines, CSV/TSV and Parquet files, plain or gzip.

A *source* is one file, a glob (``data/*.jsonl.gz``) or a folder (every readable file in
it, sorted by name). Files are read one record at a time (Parquet one record batch at a
time), so memory does not grow with the size of the corpus. Gzip is detected from the
file's first bytes; a file named ``.gz`` that is not gzip is an error.

Text is decoded by a :class:`Decoder`: strictly as UTF-8 for small labeled files (a bad
byte is an error naming the line), or in any text encoding with each undecodable byte
sequence replaced by U+FFFD and counted per file (the corpus: one bad byte in a web dump
should not stop a run, but it must not pass unseen either).

Every problem a user can cause raises :class:`~synthesizrr.errors.InputDataError` naming
the file, the line or row, the field, and the fix.
"""

from __future__ import annotations

import codecs
import contextvars
import csv
import glob
import gzip
import io
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
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

#: The codec error handler that replaces like ``errors="replace"`` and counts each
#: replacement into the :class:`Decoder` reading at the time.
_COUNTING = "synthesizrr.replace_and_count"
_SINK: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "synthesizrr_decode_sink", default=None
)


def _replace_and_count(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    sink = _SINK.get()
    if sink is not None:
        sink[0] += 1
    return "\ufffd", exc.end


codecs.register_error(_COUNTING, _replace_and_count)


def check_encoding(name: str) -> str:
    """``name`` if Python can decode text with it; ``ValueError`` naming choices if not."""
    try:
        codecs.lookup(name)
        "a".encode(name, "replace")  # LookupError for bytes-to-bytes codecs (base64, zlib)
    except LookupError:
        raise ValueError(
            f"unknown text encoding '{name}'; use a Python codec name such as utf-8, "
            "latin-1, cp1252, utf-16 or shift_jis"
        ) from None
    return name


class Decoder:
    """Turns a text file's bytes into text.

    ``strict`` (the default, for seeds and test sets): UTF-8 only, and a byte that is not
    valid UTF-8 raises :class:`InputDataError` naming the line. Otherwise (the corpus):
    ``encoding`` is any Python text codec, an undecodable byte sequence becomes U+FFFD,
    and :attr:`replaced` counts the replacements per file.
    """

    def __init__(self, encoding: str = "utf-8", *, strict: bool = True) -> None:
        self.encoding = check_encoding(encoding)
        self.strict = strict
        if strict and codecs.lookup(encoding).name != "utf-8":
            raise ValueError("a strict Decoder reads UTF-8 only")
        self.replaced: dict[Path, int] = {}
        codec = codecs.lookup(encoding).name
        self._codec = "utf-8-sig" if codec == "utf-8" else encoding  # drops a leading BOM
        #: Lines can be split on b"\n" before decoding (false for UTF-16/32).
        self.bytes_lines = '\n{}",'.encode(encoding, "replace") == b'\n{}",'

    def fresh(self) -> Decoder:
        """The same settings with nothing counted (to peek at a header)."""
        return Decoder(self.encoding, strict=self.strict)

    def open_text(self, path: Path, fh: IO[bytes], *, newline: str) -> Iterable[str]:
        """The lines of ``fh`` as text, replacements counted under ``path``."""
        if self.strict:
            return io.TextIOWrapper(fh, encoding="utf-8-sig", newline=newline)
        text = io.TextIOWrapper(fh, encoding=self._codec, errors=_COUNTING, newline=newline)
        return self._counted(path, text)

    def _counted(self, path: Path, lines: Iterator[str]) -> Iterator[str]:
        start, sink = self.replaced.get(path, 0), [0]
        while True:
            token = _SINK.set(sink)
            try:
                line = next(lines, None)
            finally:
                _SINK.reset(token)
            if sink[0]:
                self.replaced[path] = start + sink[0]
            if line is None:
                return
            yield line


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


def _check_text_head(path: Path, head: bytes, decoder: Decoder) -> None:
    if head.startswith(_PARQUET_MAGIC):
        raise InputDataError(
            f"'{path}' is a Parquet file but was read as text.",
            fix="name it *.parquet or set format: parquet",
        )
    if decoder.bytes_lines and b"\x00" in head:  # UTF-16/32 text is full of NUL bytes
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


def _jsonl_lines(path: Path, fh: IO[bytes], decoder: Decoder) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of every line; strict UTF-8 names the bad line exactly."""
    head = fh.peek(4096)[:4096] if hasattr(fh, "peek") else b""
    _check_text_head(path, head, decoder)
    if not decoder.strict:
        yield from enumerate(decoder.open_text(path, fh, newline="\n"), start=1)
        return
    for line_no, raw in enumerate(fh, start=1):
        if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        yield line_no, _decode(path, line_no, raw)


def iter_jsonl(path: Path, decoder: Decoder | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, record)`` for every non-blank line of a JSON Lines file."""
    try:
        with _open_binary(path) as fh:
            for line_no, line in _jsonl_lines(path, fh, decoder or Decoder()):
                text = line.strip()
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


def iter_csv(path: Path, decoder: Decoder | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(data row number, record)`` for every row of a CSV (or ``.tsv``) file with a header."""
    delimiter = "\t" if ".tsv" in [s.lower() for s in path.suffixes] else ","
    decoder = decoder or Decoder()
    try:
        with _open_binary(path) as fh:
            head = fh.peek(4096)[:4096] if hasattr(fh, "peek") else b""
            _check_text_head(path, head, decoder)
            text = decoder.open_text(path, fh, newline="")
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


def columns_of(path: Path, fmt: str, decoder: Decoder | None = None) -> list[str] | None:
    """Column names where the format has a header (CSV, Parquet), else ``None``."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.ParquetFile(path).schema_arrow.names)
        except Exception:  # reported properly by iter_parquet
            return None
    if fmt == "csv":
        for _, row in iter_csv(path, (decoder or Decoder()).fresh()):
            return list(row)
        return None
    return None


def iter_records(
    path: Path, fmt: str, decoder: Decoder | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Records of one file in the given concrete format (``jsonl``, ``csv``, ``parquet``);
    ``decoder`` (default: strict UTF-8) reads the text formats."""
    if fmt == "jsonl":
        return iter_jsonl(path, decoder)
    if fmt == "csv":
        return iter_csv(path, decoder)
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
