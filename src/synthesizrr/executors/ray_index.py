"""The dense index built on Ray: one actor job per index shard, one model per actor.

The passages are split into ``retrieval.shards`` contiguous row ranges
(:func:`synthesizrr.retrieval.dense.shard_bounds`, as locally). A pool of embedding
actors, each holding one embedding model, takes the shards as they come (a batched map
over corpus shards): the actor embeds its shard's texts and builds that shard's FAISS
index with :class:`~synthesizrr.retrieval.dense.DenseRetriever` itself, and returns the
serialized index. The driver writes ``shard-NNN.faiss`` files and the manifest into the
same folder layout, with the same fingerprint, as the local build, so ``retrieve`` loads
it unchanged and an index built by either executor is reused by the other.

Texts travel to the actors through Ray's object store and indexes come back the same
way, so the nodes need no shared file system; the driver holds at most one shard's
texts per actor at a time.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from synthesizrr.executors.ray_settings import RaySettings

log = logging.getLogger(__name__)


class EmbedWorker:
    """Actor body: one embedding model; builds index shards from texts."""

    def __init__(self, settings: Any) -> None:
        from synthesizrr.embeddings import get_embedder

        logging.basicConfig(level=logging.WARNING)
        self._settings = settings.model_copy(update={"shards": 1})
        get_embedder(settings.model, settings.embed_backend)  # load once, per actor

    def build_shard(self, shard: int, texts: list[str]) -> tuple[int, dict[str, Any], bytes]:
        """Embed ``texts`` and index them; ``(shard, build info, index file bytes)``."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from synthesizrr.retrieval.dense import DenseRetriever

        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="synthesizrr-shard-") as tmp:
            passages = Path(tmp) / "passages.parquet"
            pq.write_table(pa.table({"text": pa.array(texts, type=pa.string())}), passages)
            out = Path(tmp) / "index"
            out.mkdir()
            info = DenseRetriever(self._settings).build(passages, out)
            data = (out / "shard-000.faiss").read_bytes()
        info["seconds"] = round(time.perf_counter() - start, 3)
        return shard, info, data


def read_rows(passages_path: Path, start: int, stop: int) -> list[str]:
    """Texts of rows ``[start, stop)``, reading only the row groups that hold them."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(passages_path)
    texts: list[str] = []
    first = 0
    for g in range(pf.num_row_groups):
        rows = pf.metadata.row_group(g).num_rows
        lo, hi = max(start, first), min(stop, first + rows)
        if lo < hi:
            col = pf.read_row_group(g, columns=["text"]).column(0)
            texts += [
                t if t is not None else "" for t in col.slice(lo - first, hi - lo).to_pylist()
            ]
        first += rows
        if first >= stop:
            break
    return texts


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
    from synthesizrr.retrieval.base import (
        INDEX_FORMAT,
        MANIFEST,
        count_passages,
        fingerprint,
        index_location,
        passages_digest,
        publish,
        read_manifest,
    )
    from synthesizrr.retrieval.dense import shard_bounds
    from synthesizrr.retrieval.stage import _versions

    passages_path = Path(passages_path)
    if settings.retriever != "dense":
        return dict(build_index(settings, passages_path, index_dir, progress=progress))
    fp = fingerprint(settings, passages_digest(passages_path))
    folder = index_location(settings, Path(index_dir), fp)
    manifest = read_manifest(folder)
    if manifest is not None and manifest.get("fingerprint") == fp:
        log.info("Reusing dense index at %s", folder)
        return manifest | {"path": str(folder), "reused": True}
    n = count_passages(passages_path)
    if n == 0:  # the local build raises the same error with its message
        return dict(build_index(settings, passages_path, index_dir, progress=progress))
    bounds = shard_bounds(n, settings.shards)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        start = time.perf_counter()
        shard_infos = _build_shards(settings, passages_path, bounds, tmp, ray_settings, progress)
        seconds = time.perf_counter() - start
        manifest = {
            "format": INDEX_FORMAT,
            "fingerprint": fp,
            "settings": settings.index_settings(),
            "passages": n,
            "build_seconds": round(seconds, 3),
            "passages_per_second": round(n / seconds, 1) if seconds > 0 else None,
            "versions": _versions(),
            "dim": int(shard_infos[0]["dim"]),
            "shards": [list(b) for b in bounds],
            "executor": "ray",
            "shard_seconds": [info["seconds"] for info in shard_infos],
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        publish(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    log.info("Built dense index of %d passages in %d shards on Ray in %.1fs at %s",
             n, len(bounds), seconds, folder)  # fmt: skip
    return manifest | {"path": str(folder), "reused": False}


def _build_shards(
    settings: Any,
    passages_path: Path,
    bounds: list[tuple[int, int]],
    tmp: Path,
    ray_settings: RaySettings,
    progress: bool,
) -> list[dict[str, Any]]:
    import ray
    from ray.util import ActorPool

    from synthesizrr.executors.ray_llm import pool_size, raise_cause

    workers = pool_size(
        ray_settings.embed_workers, ray_settings.embed_num_cpus, ray_settings.embed_num_gpus
    )
    workers = min(workers, len(bounds))
    actor_cls: Any = ray.remote(EmbedWorker).options(
        num_cpus=ray_settings.embed_num_cpus, num_gpus=ray_settings.embed_num_gpus
    )
    actors: list[Any] = [actor_cls.remote(settings) for _ in range(workers)]
    pool = ActorPool(actors)
    infos: dict[int, dict[str, Any]] = {}
    bar: Any = None
    task_id: Any = None
    if progress:
        from rich.progress import Progress

        bar = Progress(transient=False)
        bar.start()
        task_id = bar.add_task("Index shards on Ray", total=len(bounds))
    try:

        def submit(actor: Any, shard: int) -> Any:
            lo, hi = bounds[shard]  # texts are read only when an actor is free
            return actor.build_shard.remote(shard, read_rows(passages_path, lo, hi))

        for shard, info, data in pool.map_unordered(submit, list(range(len(bounds)))):
            (tmp / f"shard-{shard:03d}.faiss").write_bytes(data)
            infos[shard] = info
            log.debug("index shard %d of %d done in %.1fs", shard + 1, len(bounds),
                      info["seconds"])  # fmt: skip
            if bar is not None:
                bar.advance(task_id)
    except ray.exceptions.RayError as exc:
        raise_cause(exc, "building the dense index on Ray")
    finally:
        if bar is not None:
            bar.stop()
        for actor in actors:
            ray.kill(actor)
    return [infos[i] for i in range(len(bounds))]
