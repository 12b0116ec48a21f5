"""The retrieval stage's two calls: :func:`build_index` and :func:`retrieve`."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from synthesizrr.errors import InputDataError
from synthesizrr.fileio import package_versions
from synthesizrr.filemode import umask_mode
from synthesizrr.retrieval.assign import select_pair_arrays
from synthesizrr.retrieval.base import (
    INDEX_FORMAT,
    MANIFEST,
    Retriever,
    count_passages,
    fingerprint,
    index_location,
    passages_digest,
    publish,
    read_manifest,
)
from synthesizrr.retrieval.bm25 import BM25Retriever
from synthesizrr.retrieval.dense import DenseRetriever
from synthesizrr.retrieval.randomized import RandomRetriever
from synthesizrr.retrieval.settings import RetrievalSettings

log = logging.getLogger(__name__)

#: Retriever classes by ``RetrievalSettings.retriever``.
RETRIEVERS: dict[str, type[Retriever]] = {
    cls.name: cls for cls in (DenseRetriever, BM25Retriever, RandomRetriever)
}
SEED_COLUMNS = ("seed_id", "text", "label")
#: Distributions whose versions an index records.
INDEX_PACKAGES = (
    "faiss-cpu",
    "bm25s",
    "sentence-transformers",
    "torch",
    "onnxruntime",
    "model2vec",
)
BANDS_KEY = "synthesizrr.bands"


def index_versions() -> dict[str, str]:
    return package_versions(INDEX_PACKAGES, own=False)


#: Writes an index's files into a fresh folder ``(folder, passage count) -> manifest extras``.
IndexBuilder = Callable[[Path, int], dict[str, Any]]


def build_index(
    settings: RetrievalSettings,
    passages_path: Path,
    index_dir: Path,
    *,
    progress: bool = False,
    builder: IndexBuilder | None = None,
) -> dict[str, Any]:
    """Build the index of ``passages_path`` unless an up-to-date one exists; return its info.

    The index goes to ``index_dir`` (a folder of its own; it is replaced when stale) or,
    where ``settings.index_cache`` is set, to ``<index_cache>/<retriever>-<fingerprint>``.
    The returned dict is the manifest (``index.json``) plus ``path`` and ``reused``.
    ``builder`` replaces the local build of the files (the Ray executor passes its own);
    reuse, the manifest and the atomic publish stay here, so both executors agree.
    """
    passages_path = Path(passages_path)
    fp = fingerprint(settings, passages_digest(passages_path))
    folder = index_location(settings, Path(index_dir), fp)
    manifest = read_manifest(folder)
    if manifest is not None and manifest.get("fingerprint") == fp:
        log.info("Reusing %s index at %s", settings.retriever, folder)
        return manifest | {"path": str(folder), "reused": True}
    n = count_passages(passages_path)
    if n == 0:
        raise InputDataError(
            f"Passages file '{passages_path}' has no passages.",
            fix="check the corpus stage's settings (corpus.path, corpus.min_tokens)",
        )
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    tmp.chmod(umask_mode(0o777))  # mkdtemp makes it 0700; the index is no secret
    try:
        start = time.perf_counter()
        if builder is None:
            extra = RETRIEVERS[settings.retriever](settings).build(
                passages_path, tmp, progress=progress
            )
        else:
            extra = builder(tmp, n)
        seconds = time.perf_counter() - start
        manifest = {
            "format": INDEX_FORMAT,
            "fingerprint": fp,
            "settings": settings.index_settings(),
            "passages": n,
            "build_seconds": round(seconds, 3),
            "passages_per_second": round(n / seconds, 1) if seconds > 0 else None,
            "versions": index_versions(),
            **extra,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        publish(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    log.info("Built %s index of %d passages in %.1fs at %s", settings.retriever, n, seconds, folder)
    return manifest | {"path": str(folder), "reused": False}


def load_retriever(
    settings: RetrievalSettings, passages_path: Path, index_dir: Path, *, progress: bool = False
) -> tuple[Retriever, dict[str, Any]]:
    """The built (or reused) index, loaded and ready to search."""
    info = build_index(settings, passages_path, index_dir, progress=progress)
    retriever = RETRIEVERS[settings.retriever](settings)
    retriever.load(Path(info["path"]), int(info["passages"]))
    return retriever, info


def _check_seeds(seeds: Any) -> None:
    missing = [c for c in SEED_COLUMNS if c not in seeds.column_names]
    if missing:
        raise InputDataError(
            f"The seeds table has no column {', '.join(repr(m) for m in missing)}; its columns "
            f"are: {', '.join(seeds.column_names)}.",
            fix="pass a table with columns seed_id, text, label",
        )
    ids = seeds.column("seed_id").to_pylist()
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise InputDataError(
            f"Seed id '{dup}' appears more than once in the seeds table.",
            fix="give every seed a unique seed_id",
        )


def retrieve(
    settings: RetrievalSettings,
    passages_path: Path,
    index_dir: Path,
    seeds: Any,
    *,
    seed: int = 0,
    progress: bool = False,
) -> Any:
    """Each seed's text retrieves its top-K passages; return the kept (seed, passage) pairs.

    Columns: seed_id, label, passage_id, doc_id, rank (1-based in the seed's raw top-K),
    score (float32: cosine for dense, BM25 score, NaN for random), role ("shot" | "gen").
    Rows are ordered by seed order, then rank. ``seed`` only affects random retrieval.
    The resolved similarity bands are in the schema metadata (:func:`pair_bands`).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    _check_seeds(seeds)
    retriever, _info = load_retriever(settings, passages_path, index_dir, progress=progress)
    texts = [t if t is not None else "" for t in seeds.column("text").to_pylist()]
    start = time.perf_counter()
    scores, rows = retriever.search(texts, settings.top_k, seed=seed)
    log.info(
        "Searched %d seeds x top-%d in %.2fs",
        len(texts),
        settings.top_k,
        time.perf_counter() - start,
    )
    kept = select_pair_arrays(settings, scores, rows)
    ids = pq.read_table(passages_path, columns=["passage_id", "doc_id"])
    seed_ids = pa.array([str(i) for i in seeds.column("seed_id").to_pylist()], type=pa.string())
    labels = pa.array([str(x) for x in seeds.column("label").to_pylist()], type=pa.string())
    take_seed = pa.array(kept.seed, type=pa.int64())
    take = pa.array(kept.row, type=pa.int64())
    table = pa.table(
        {
            "seed_id": seed_ids.take(take_seed),
            "label": labels.take(take_seed),
            "passage_id": ids.column("passage_id").take(take).combine_chunks(),
            "doc_id": ids.column("doc_id").take(take).combine_chunks(),
            "rank": pa.array(kept.rank.astype(np.int32), type=pa.int32()),
            "score": pa.array(kept.score, type=pa.float32()),
            "role": pa.array(np.where(kept.shot, "shot", "gen").tolist(), type=pa.string()),
        }
    )
    return table.replace_schema_metadata({BANDS_KEY: json.dumps(kept.bands)})


def pair_bands(pairs: Any) -> dict[str, Any]:
    """The resolved similarity bands a :func:`retrieve` table was selected with."""
    raw = (pairs.schema.metadata or {}).get(BANDS_KEY.encode())
    return dict(json.loads(raw)) if raw else {}


def band_summary(bands: dict[str, Any]) -> dict[str, Any]:
    """Flat manifest entries of resolved bands: ``gen_band`` ("percentile 10-99" or
    "cosine"), ``gen_sim_min``, ``gen_sim_max`` and the same for ``shot``."""
    out: dict[str, Any] = {}
    for which in ("gen", "shot"):
        band = bands.get(which)
        if not band:
            continue
        pct = band.get("percentile")
        out[f"{which}_band"] = f"percentile {pct[0]:g}-{pct[1]:g}" if pct else band["kind"]
        for bound in ("min", "max"):
            value = band.get(bound)
            out[f"{which}_sim_{bound}"] = None if value is None else round(float(value), 4)
    return out
