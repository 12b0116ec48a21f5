"""The one retriever contract, index fingerprints and the on-disk index folder.

A retriever is built once from a passages file into a folder and loaded from it later::

    retriever = RETRIEVERS[settings.retriever](settings)
    retriever.build(passages_path, folder, progress=False)     # writes files into folder
    retriever = RETRIEVERS[...](settings); retriever.load(folder, n_passages)
    scores, rows = retriever.search(queries, k, seed=0)       # (q, k) float32 / int64

``rows`` are 0-based row numbers in the passages file, ``-1`` where fewer than ``k`` were
found. The folder also holds ``index.json``: the fingerprint (passages content + index
settings + format version), counts, timings and library versions. An index whose
fingerprint matches is reused; any other is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from synthesizrr.errors import InputDataError
from synthesizrr.retrieval.settings import RetrievalSettings

log = logging.getLogger(__name__)

INDEX_FORMAT = 1
MANIFEST = "index.json"
_READ_BATCH = 4096


class Retriever(ABC):
    """Builds an index over passages and returns the top-``k`` rows for each query."""

    name: ClassVar[str]

    def __init__(self, settings: RetrievalSettings) -> None:
        self.settings = settings

    @abstractmethod
    def build(self, passages_path: Path, folder: Path, *, progress: bool = False) -> dict[str, Any]:
        """Index every passage of ``passages_path`` into ``folder``; return extra manifest info."""

    @abstractmethod
    def load(self, folder: Path, n_passages: int) -> None:
        """Load an index built by :meth:`build`."""

    @abstractmethod
    def search(
        self, queries: Sequence[str], k: int, *, seed: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, rows)``, each ``(len(queries), k)``, best first; ``rows == -1`` pads."""


def iter_passage_texts(passages_path: Path, batch: int = _READ_BATCH) -> Iterator[list[str]]:
    """The passages' texts in file order, ``batch`` at a time."""
    import pyarrow.parquet as pq

    for record_batch in pq.ParquetFile(passages_path).iter_batches(
        batch_size=batch, columns=["text"]
    ):
        yield [t if t is not None else "" for t in record_batch.column(0).to_pylist()]


def count_passages(passages_path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(passages_path).metadata.num_rows)


def passages_digest(passages_path: Path) -> str:
    """SHA-256 over the passages' ids and texts (not the file's bytes)."""
    import pyarrow.parquet as pq

    passages_path = Path(passages_path)
    if not passages_path.is_file():
        raise InputDataError(
            f"Passages file '{passages_path}' does not exist.",
            fix="run the corpus stage first (prepare_passages)",
        )
    h = hashlib.sha256()
    for batch in pq.ParquetFile(passages_path).iter_batches(
        batch_size=_READ_BATCH, columns=["passage_id", "text"]
    ):
        for pid, text in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True):
            h.update(f"{pid}\x1f{text}\x1e".encode())
    return h.hexdigest()


def fingerprint(settings: RetrievalSettings, digest: str) -> str:
    """Key of an index: passages digest + index settings + index format version."""
    payload = json.dumps(
        {"format": INDEX_FORMAT, "passages": digest, "settings": settings.index_settings()},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def index_location(settings: RetrievalSettings, index_dir: Path, fp: str) -> Path:
    """Where the index lives: ``<index_cache>/<retriever>-<fp16>`` or ``index_dir``."""
    if settings.index_cache:
        root = Path(os.path.expanduser(settings.index_cache))
        return root / f"{settings.retriever}-{fp[:16]}"
    return Path(index_dir)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def publish(tmp: Path, folder: Path) -> None:
    """Move a finished build into place, replacing a stale index (never a fresh one)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    if folder.exists():
        old = folder.with_name(f".{folder.name}.old-{os.getpid()}-{time.monotonic_ns()}")
        os.replace(folder, old)
        shutil.rmtree(old, ignore_errors=True)
    try:
        os.replace(tmp, folder)
    except OSError:  # another process published the same index first
        shutil.rmtree(tmp, ignore_errors=True)
        if read_manifest(folder) is None:
            raise
