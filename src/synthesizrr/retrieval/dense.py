"""Dense retrieval: sentence embeddings in FAISS (exact inner product by default).

Vectors are L2-normalized, so inner product is cosine similarity. The passages are split
into ``shards`` contiguous ranges, one FAISS index each (``shard-000.faiss`` ...); a query
searches every shard and the per-shard top-``k`` lists are merged by (score desc, row asc),
which gives the same rows and scores as one index over all passages.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from synthesizrr.embeddings import progress_bar
from synthesizrr.errors import require
from synthesizrr.retrieval.base import Retriever, count_passages, iter_passage_texts

log = logging.getLogger(__name__)

_IVF_TRAIN_PER_LIST = 39


def shard_bounds(n: int, shards: int) -> list[tuple[int, int]]:
    """Contiguous ``[start, stop)`` row ranges of (almost) equal size, none empty."""
    shards = max(1, min(shards, n)) if n else 1
    edges = [round(i * n / shards) for i in range(shards + 1)]
    return [(edges[i], edges[i + 1]) for i in range(shards)]


class DenseRetriever(Retriever):
    name = "dense"

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self._indexes: list[Any] = []
        self._offsets: list[int] = []

    # -- building -----------------------------------------------------------------------
    def _embedder(self) -> Any:
        from synthesizrr.embeddings import get_embedder

        return get_embedder(self.settings.model, self.settings.embed_backend)

    def _new_index(self, dim: int, n: int) -> Any:
        faiss = require("faiss", "retrieval", "Dense retrieval")
        kind = self.settings.index
        if kind == "flat":
            return faiss.IndexFlatIP(dim)
        if kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, self.settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = max(40, 2 * self.settings.hnsw_m)
            return index
        nlist = self.settings.ivf_nlist or int(4 * math.sqrt(max(n, 1)))
        nlist = max(1, min(nlist, n // _IVF_TRAIN_PER_LIST or 1))
        quantizer = faiss.IndexFlatIP(dim)
        return faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)

    def build(self, passages_path: Path, folder: Path, *, progress: bool = False) -> dict[str, Any]:
        faiss = require("faiss", "retrieval", "Dense retrieval")
        n = count_passages(passages_path)
        bounds = shard_bounds(n, self.settings.shards)
        embedder = self._embedder()
        dim = int(embedder.dim)
        pending: list[np.ndarray] = []
        shard = 0
        done = 0
        with progress_bar(n, f"Embedding passages ({embedder.backend})", enabled=progress) as adv:
            for texts in iter_passage_texts(passages_path):
                vecs = embedder.encode(texts, batch_size=self.settings.batch_size, on_batch=adv)
                pending.append(vecs)
                done += len(vecs)
                # Flush every shard whose rows are all embedded.
                while shard < len(bounds) and done >= bounds[shard][1]:
                    start, stop = bounds[shard]
                    block = np.concatenate(pending) if len(pending) > 1 else pending[0]
                    size = stop - start
                    self.write_shard(faiss, block[:size], folder, shard, dim)
                    rest = block[size:]
                    pending = [rest] if len(rest) else []
                    shard += 1
                log.debug("embedded %d/%d passages", done, n)
        return {"dim": dim, "shards": [list(b) for b in bounds], "passages": n}

    def write_shard(self, faiss: Any, vecs: np.ndarray, folder: Path, shard: int, dim: int) -> None:
        vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        index = self._new_index(dim, len(vecs))
        if not index.is_trained:
            index.train(vecs)
        index.add(vecs)
        faiss.write_index(index, str(folder / f"shard-{shard:03d}.faiss"))

    # -- searching ----------------------------------------------------------------------
    def load(self, folder: Path, n_passages: int) -> None:
        faiss = require("faiss", "retrieval", "Dense retrieval")
        self._indexes = []
        self._offsets = []
        for start, _stop in shard_bounds(n_passages, self.settings.shards):
            index = faiss.read_index(str(folder / f"shard-{len(self._indexes):03d}.faiss"))
            if self.settings.index == "ivf":
                index.nprobe = self.settings.ivf_nprobe
            elif self.settings.index == "hnsw":
                index.hnsw.efSearch = max(self.settings.hnsw_ef_search, self.settings.top_k)
            self._indexes.append(index)
            self._offsets.append(start)

    def index_vectors(self) -> np.ndarray:
        """All stored vectors in row order (flat indexes only)."""
        parts = [index.reconstruct_n(0, index.ntotal) for index in self._indexes]
        return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)

    def embed_queries(self, queries: Sequence[str]) -> np.ndarray:
        """Query vectors. With ``onnx-int8`` passages, queries (few) use the float32 graph:
        the int8 error is then on one side of each score only (recall@50 vs torch 0.93
        instead of 0.90, bench/retrieval)."""
        from synthesizrr.embeddings import get_embedder

        backend = self.settings.embed_backend
        embedder = get_embedder(self.settings.model, "onnx" if backend == "onnx-int8" else backend)
        return embedder.encode(queries, batch_size=self.settings.batch_size)

    def search(
        self, queries: Sequence[str], k: int, *, seed: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.search_vectors(self.embed_queries(queries), k)

    def search_vectors(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` over all shards for already-embedded, normalized query vectors."""
        if vectors.dtype != np.float32 or not vectors.flags.c_contiguous:
            vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(self._indexes) == 1:
            scores, rows = self._indexes[0].search(vectors, k)
            return scores, rows
        all_scores, all_rows = [], []
        for index, offset in zip(self._indexes, self._offsets, strict=True):
            scores, rows = index.search(vectors, k)
            if offset:
                rows[rows >= 0] += offset
            all_scores.append(scores)
            all_rows.append(rows)
        scores = np.concatenate(all_scores, axis=1)
        rows = np.concatenate(all_rows, axis=1)
        # Best first; ties by row; padding (-1) last.
        missing = rows < 0
        key_rows = np.where(missing, np.iinfo(np.int64).max, rows)
        key_scores = np.where(missing, np.inf, -scores)
        order = np.lexsort((key_rows, key_scores), axis=1)[:, :k]
        return (
            np.take_along_axis(scores, order, axis=1),
            np.take_along_axis(rows, order, axis=1),
        )
