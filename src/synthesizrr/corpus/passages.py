"""Documents -> passages: read, cut into token windows, drop short and duplicate passages.

The result is one Parquet file (written to a temporary name, then renamed into place) with
columns ``passage_id`` (``"<doc_id>#<chunk>"``, stable across runs), ``doc_id``, ``text``
and ``title``. Documents stream through; only a 16-byte hash per kept passage (for dedup)
and a 12-byte hash per document id (to catch repeated ids) stay in memory.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from synthesizrr.corpus.chunking import normalize, windows
from synthesizrr.corpus.readers import (
    Decoder,
    columns_of,
    detect_format,
    id_value,
    iter_records,
    resolve_files,
    text_value,
    where,
)
from synthesizrr.corpus.settings import CorpusSettings
from synthesizrr.errors import InputDataError

log = logging.getLogger(__name__)

_WRITE_BATCH = 4096


@dataclass
class PassageStats:
    """Counts from one :func:`prepare_passages` run."""

    files: int = 0
    documents: int = 0
    passages: int = 0
    too_short: int = 0
    duplicates: int = 0
    cut: int = 0  #: documents longer than one window (truncated or split)
    empty: int = 0  #: documents whose text is null or blank
    encoding: str = "utf-8"  #: how the text files were decoded (corpus.encoding)
    replaced: int = 0  #: characters replaced by U+FFFD because they did not decode
    replaced_per_file: dict[str, int] = field(default_factory=dict)  #: files with any
    sources: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Document:
    """One document as read from a source file."""

    doc_id: str
    text: str | None
    title: str | None
    path: Path
    fmt: str
    line: int
    id_field: str | None = None


def corpus_decoder(settings: CorpusSettings) -> Decoder:
    """The corpus's decoder: ``corpus.encoding``, undecodable bytes replaced and counted."""
    return Decoder(settings.encoding, strict=False)


def iter_documents(
    settings: CorpusSettings, *, base_dir: Path, decoder: Decoder | None = None
) -> Iterator[Document]:
    """Every document of the corpus in file order, up to ``settings.limit``.

    ``decoder`` (default: :func:`corpus_decoder`) counts the characters it had to replace.
    """
    decoder = decoder or corpus_decoder(settings)
    files = resolve_files(settings.path, base_dir=base_dir)
    seen = 0
    for path in files:
        fmt = detect_format(path, settings.format)
        _check_columns(path, fmt, settings, decoder)
        for line_no, record in iter_records(path, fmt, decoder):
            if settings.limit is not None and seen >= settings.limit:
                return
            if settings.sample_fraction is not None and not _sampled(
                path.name, line_no, settings.sample_fraction
            ):
                continue
            yield _document(record, path=path, fmt=fmt, line_no=line_no, settings=settings)
            seen += 1


def _sampled(name: str, line_no: int, fraction: float) -> bool:
    """Stable, seedless choice of a document from its file name and position."""
    h = hashlib.blake2b(f"{name}:{line_no}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") < fraction * 2**64


def _check_columns(path: Path, fmt: str, settings: CorpusSettings, decoder: Decoder) -> None:
    columns = columns_of(path, fmt, decoder)
    if columns is not None and settings.text_field not in columns:
        raise InputDataError(
            f"'{path}' has no column '{settings.text_field}' (corpus.text_field); its columns "
            f"are: {', '.join(columns) or '(none)'}.",
            fix="set corpus.text_field to the column that holds the document text",
        )
    if columns is not None and settings.title_field and settings.title_field not in columns:
        raise InputDataError(
            f"'{path}' has no column '{settings.title_field}' (corpus.title_field); its "
            f"columns are: {', '.join(columns)}.",
            fix="set corpus.title_field to an existing column, or to null",
        )


def _document(
    record: dict[str, Any], *, path: Path, fmt: str, line_no: int, settings: CorpusSettings
) -> Document:
    if settings.text_field not in record:
        raise InputDataError(
            f"{where(path, fmt, line_no)} has no field '{settings.text_field}' "
            f"(corpus.text_field); fields found: {', '.join(record) or '(none)'}.",
            fix="set corpus.text_field to the field that holds the document text",
        )
    text = text_value(
        record[settings.text_field], path=path, fmt=fmt, line_no=line_no, field=settings.text_field
    )
    title = None
    if settings.title_field:
        raw = record.get(settings.title_field)
        title = None if raw is None else str(raw)
    doc_id = id_value(record.get(settings.id_field)) if settings.id_field else None
    return Document(
        doc_id=doc_id if doc_id is not None else f"{path.name}:{line_no}",
        text=text,
        title=title,
        path=path,
        fmt=fmt,
        line=line_no,
        id_field=settings.id_field,
    )


def _passage_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("passage_id", pa.string()),
            ("doc_id", pa.string()),
            ("text", pa.string()),
            ("title", pa.string()),
        ]
    )


def prepare_passages(
    settings: CorpusSettings, out_path: Path, *, base_dir: Path, progress: bool = False
) -> PassageStats:
    """Read the corpus, cut it into passages and write them to ``out_path`` (Parquet)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp-{os.getpid()}")
    stats = PassageStats(encoding=settings.encoding)
    decoder = corpus_decoder(settings)
    stats.sources = [str(p) for p in resolve_files(settings.path, base_dir=base_dir)]
    stats.files = len(stats.sources)
    schema = _passage_schema()
    hashes: set[bytes] = set()
    doc_ids: set[bytes] = set()
    columns: dict[str, list[str | None]] = {name: [] for name in schema.names}
    bar = _progress(progress)
    try:
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer, bar as live:
            task = live.add_task("Reading corpus", total=None) if live is not None else None
            for doc in iter_documents(settings, base_dir=base_dir, decoder=decoder):
                stats.documents += 1
                _check_unique(doc, doc_ids)
                for pid, text in _passages_of(doc, settings, stats, hashes):
                    columns["passage_id"].append(pid)
                    columns["doc_id"].append(doc.doc_id)
                    columns["text"].append(text)
                    columns["title"].append(doc.title)
                    stats.passages += 1
                if len(columns["text"]) >= _WRITE_BATCH:
                    writer.write_table(pa.table(columns, schema=schema))
                    columns = {name: [] for name in schema.names}
                if live is not None and task is not None and stats.documents % 1000 == 0:
                    live.update(task, completed=stats.documents)
            if columns["text"]:
                writer.write_table(pa.table(columns, schema=schema))
        _count_replaced(stats, decoder)
        if stats.passages == 0:
            raise InputDataError(
                f"The corpus '{settings.path}' gave no passages: {stats.documents} documents "
                f"read, {stats.empty} empty, {stats.too_short} passages under "
                f"{settings.min_tokens} tokens (corpus.min_tokens), {stats.duplicates} duplicates.",
                fix="check corpus.path and corpus.text_field, or lower corpus.min_tokens",
            )
        os.replace(tmp, out_path)
    finally:
        if tmp.exists():
            tmp.unlink()
    log.info(
        "Corpus: %d documents -> %d passages (%d too short, %d duplicates, %d cut) in %s",
        stats.documents,
        stats.passages,
        stats.too_short,
        stats.duplicates,
        stats.cut,
        out_path,
    )
    return stats


def _count_replaced(stats: PassageStats, decoder: Decoder) -> None:
    """Record (and warn about) the characters that did not decode, per file."""
    stats.replaced_per_file = {str(p): n for p, n in sorted(decoder.replaced.items())}
    stats.replaced = sum(stats.replaced_per_file.values())
    if stats.replaced:
        worst = max(stats.replaced_per_file.items(), key=lambda kv: kv[1])
        log.warning(
            "corpus: %d characters in %d file(s) were not valid %s and were replaced by "
            "U+FFFD (most in '%s': %d). If the files use another encoding, set "
            "corpus.encoding (e.g. latin-1, cp1252, utf-16).",
            stats.replaced,
            len(stats.replaced_per_file),
            stats.encoding,
            worst[0],
            worst[1],
        )


def _check_unique(doc: Document, doc_ids: set[bytes]) -> None:
    key = hashlib.blake2b(doc.doc_id.encode("utf-8"), digest_size=12).digest()
    if key in doc_ids:
        raise InputDataError(
            f"Document id '{doc.doc_id}' (corpus.id_field '{doc.id_field}') appears again at "
            f"{where(doc.path, doc.fmt, doc.line)}; ids must be unique.",
            fix="make the ids unique, or set corpus.id_field to null to use line numbers",
        )
    doc_ids.add(key)


def _passages_of(
    doc: Document, settings: CorpusSettings, stats: PassageStats, hashes: set[bytes]
) -> Iterator[tuple[str, str]]:
    if doc.text is None or not doc.text.strip():
        stats.empty += 1
        return
    all_windows = settings.split == "windows"
    for chunk, text, n_tokens, more in windows(
        doc.text,
        max_tokens=settings.max_tokens,
        min_tokens=settings.min_tokens,
        all_windows=all_windows,
    ):
        if chunk == 0 and more:
            stats.cut += 1
        if n_tokens < settings.min_tokens:
            stats.too_short += 1
            continue
        if settings.dedup:
            key = hashlib.blake2b(normalize(text).encode("utf-8"), digest_size=16).digest()
            if key in hashes:
                stats.duplicates += 1
                continue
            hashes.add(key)
        yield f"{doc.doc_id}#{chunk}", text


def _progress(enabled: bool) -> Any:
    if not enabled:
        return nullcontext(None)
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}: {task.completed} documents"),
        TimeElapsedColumn(),
    )
