"""The dense index built on Ray: a batched map over corpus blocks, then one task per shard.

1. **Embed.** The passages are read in the same blocks the local build encodes
   (:func:`~synthesizrr.retrieval.base.iter_passage_texts`), and each block goes to one of
   a pool of embedding actors, each holding one model. Identical blocks give identical
   vectors, so the index equals the local one. The vectors stay in Ray's object store
   (spilled to disk when it fills); the driver holds references and reads texts only as
   actors free up.
2. **Index.** The passages are split into ``retrieval.shards`` contiguous row ranges
   (:func:`~synthesizrr.retrieval.dense.shard_bounds`, as locally); one Ray task per shard
   gathers its rows' vectors and builds its FAISS index with
   :class:`~synthesizrr.retrieval.dense.DenseRetriever`'s own code, so one worker needs
   memory for one shard only.

The driver writes ``shard-NNN.faiss`` and the manifest into the same folder layout, with
the same fingerprint, as the local build: ``retrieve`` loads it unchanged and an index
built by either executor is reused by the other. The nodes need no shared file system.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from synthesizrr.executors.ray_settings import RaySettings

log = logging.getLogger(__name__)


class EmbedWorker:
    """Actor body: one embedding model, loaded once; embeds blocks of passages."""

    def __init__(self, model: str, backend: str, batch_size: int) -> None:
        from synthesizrr.embeddings import get_embedder

        logging.basicConfig(level=logging.WARNING)
        self._embedder = get_embedder(model, backend)
        self._batch_size = batch_size

    def embed(self, texts: list[str]) -> Any:
        """float32 ``(len(texts), dim)``, L2-normalized (as the local build embeds them)."""
        return self._embedder.encode(texts, batch_size=self._batch_size, show_progress=False)


def build_shard(settings: Any, shard: int, start: int, stop: int, block_starts: list[int],
                *blocks: Any) -> tuple[dict[str, Any], bytes]:  # fmt: skip
    """Ray task: FAISS index of rows ``[start, stop)`` from the embedded blocks that hold
    them (``blocks[i]`` starts at row ``block_starts[i]``); ``(info, index file bytes)``."""
    import numpy as np

    from synthesizrr.errors import require
    from synthesizrr.retrieval.dense import DenseRetriever

    t0 = time.perf_counter()
    faiss = require("faiss", "retrieval", "Dense retrieval")
    vecs = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
    vecs = vecs[start - block_starts[0] : stop - block_starts[0]]
    with tempfile.TemporaryDirectory(prefix="synthesizrr-shard-") as tmp:
        DenseRetriever(settings).write_shard(faiss, vecs, Path(tmp), shard, int(vecs.shape[1]))
        data = (Path(tmp) / f"shard-{shard:03d}.faiss").read_bytes()
    return {"dim": int(vecs.shape[1]), "seconds": round(time.perf_counter() - t0, 3)}, data


def build_index_on_ray(
    settings: Any,
    passages_path: Path,
    index_dir: Path,
    *,
    ray_settings: RaySettings,
    progress: bool = False,
) -> dict[str, Any]:
    """Build (or reuse) the index of ``passages_path``; the same result as
    :func:`synthesizrr.retrieval.build_index`. Only dense indexes use the cluster; BM25 and
    random indexes are built by the driver."""
    from synthesizrr.retrieval import build_index
    from synthesizrr.retrieval.dense import shard_bounds

    passages_path = Path(passages_path)
    if settings.retriever != "dense":
        return dict(build_index(settings, passages_path, index_dir, progress=progress))

    def build_on_ray(folder: Path, n: int) -> dict[str, Any]:
        bounds = shard_bounds(n, settings.shards)
        infos = _build_shards(settings, passages_path, bounds, folder, ray_settings, progress)
        log.info("Built %d dense shards on Ray", len(bounds))
        return {
            "dim": int(infos[0]["dim"]),
            "shards": [list(b) for b in bounds],
            "executor": "ray",
            "shard_seconds": [info["seconds"] for info in infos],
        }

    return dict(
        build_index(settings, passages_path, index_dir, progress=progress, builder=build_on_ray)
    )


def _build_shards(
    settings: Any,
    passages_path: Path,
    bounds: list[tuple[int, int]],
    tmp: Path,
    ray_settings: RaySettings,
    progress: bool,
) -> list[dict[str, Any]]:
    import ray

    from synthesizrr.executors.ray_llm import pool_size, raise_cause
    from synthesizrr.retrieval.base import iter_passage_texts

    workers = pool_size(
        ray_settings.embed_workers, ray_settings.embed_num_cpus, ray_settings.embed_num_gpus
    )
    actor_cls: Any = ray.remote(EmbedWorker).options(
        num_cpus=ray_settings.embed_num_cpus, num_gpus=ray_settings.embed_num_gpus
    )
    actors: list[Any] = [
        actor_cls.remote(settings.model, settings.embed_backend, settings.batch_size)
        for _ in range(workers)
    ]
    task: Any = ray.remote(build_shard).options(num_cpus=ray_settings.embed_num_cpus)
    n = bounds[-1][1]
    bar: Any = None
    task_id: Any = None
    if progress:
        from rich.progress import Progress

        bar = Progress(transient=False)
        bar.start()
        task_id = bar.add_task("Embedding on Ray", total=n)
    try:
        # 1. Embed: the same blocks the local build encodes, spread over the actors; the
        #    vectors stay in the object store (the driver holds references only).
        starts: list[int] = []
        refs: list[Any] = []
        sizes: dict[Any, int] = {}
        inflight: list[Any] = []
        row = 0
        blocks = (
            iter_passage_texts(passages_path)
            if ray_settings.embed_block_rows is None
            else iter_passage_texts(passages_path, batch=ray_settings.embed_block_rows)
        )
        for texts in blocks:
            while len(inflight) >= 2 * workers:  # backpressure: texts are read as needed
                done, inflight = ray.wait(inflight, num_returns=1, fetch_local=False)
                _advance(bar, task_id, sum(sizes[r] for r in done))
            ref = actors[len(refs) % workers].embed.remote(texts)
            starts.append(row)
            refs.append(ref)
            sizes[ref] = len(texts)
            inflight.append(ref)
            row += len(texts)
        while inflight:
            done, inflight = ray.wait(inflight, num_returns=1, fetch_local=False)
            _advance(bar, task_id, sum(sizes[r] for r in done))
        for actor in actors:  # free their CPUs / GPUs for the index tasks
            ray.kill(actor)
        # 2. Index: one task per shard over the blocks that hold its rows.
        shard_refs = []
        for shard, (lo, hi) in enumerate(bounds):
            idx = [i for i, b0 in enumerate(starts) if b0 < hi and b0 + sizes[refs[i]] > lo]
            shard_refs.append(
                task.remote(
                    settings, shard, lo, hi, [starts[i] for i in idx], *[refs[i] for i in idx]
                )  # fmt: skip
            )
        infos = []
        for shard, ref in enumerate(shard_refs):
            info, data = ray.get(ref)
            (tmp / f"shard-{shard:03d}.faiss").write_bytes(data)
            infos.append(info)
        return infos
    except ray.exceptions.RayError as exc:
        raise_cause(exc, "building the dense index on Ray")
    finally:
        if bar is not None:
            bar.stop()
        for actor in actors:
            ray.kill(actor)


def _advance(bar: Any, task_id: Any, rows: int) -> None:
    if bar is not None:
        bar.advance(task_id, rows)
