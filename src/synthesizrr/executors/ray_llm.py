"""The teacher on Ray: a pool of actors answers requests; the driver keeps the cache.

Each actor builds one backend from the run's :class:`LLMSettings` (one engine per actor
for in-process backends, one HTTP client per actor for servers). The driver runs the
ordinary request engine (:func:`synthesizrr.generation.engine.run_requests`) over a proxy
backend, :class:`ActorPoolBackend`, whose ``agenerate`` sends a request to the least busy
actor. So caching, dedupe, budgets, ``retry_failed_only`` and failure accounting are the
local engine's own code, and the driver is the only writer of the SQLite cache: it
commits each response as its actor returns it. A driver killed with SIGKILL loses only
the requests in flight; a rerun sends nothing that was answered.

Rate limits (``llm.rpm`` / ``llm.tpm``) are shared: the driver applies them to every
request before it goes to any actor, and the actors' own limiters are switched off.
Every response is also streamed as it arrives to Parquet shards (a local folder or an
fsspec URL), for consumers that read results while a long job runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from synthesizrr.errors import BackendError, StageError, SynthesizrrError
from synthesizrr.executors.base import BackendHandle
from synthesizrr.executors.ray_settings import RaySettings
from synthesizrr.llm.base import LLMBackend
from synthesizrr.llm.retry import RateLimiter
from synthesizrr.llm.settings import LLMSettings
from synthesizrr.llm.types import LLMRequest, LLMResponse

log = logging.getLogger(__name__)

RESPONSE_COLUMNS = ("key", "model", "text", "finish_reason", "prompt_tokens", "completion_tokens")
_COUNT_CHUNK = 2000


class TeacherWorker:
    """Actor body: one backend, built in the actor's process from the run's settings."""

    def __init__(self, backend_cls: type[LLMBackend], settings: LLMSettings) -> None:
        logging.basicConfig(level=logging.WARNING)
        self._backend = backend_cls.from_settings(settings)

    def info(self) -> dict[str, Any]:
        b = self._backend
        return {
            "model_id": b.model_id,
            "is_chat": b.is_chat,
            "concurrency": max(1, int(getattr(b, "concurrency", 1) or 1)),
            "describe": b.describe(),
        }

    async def generate(self, request: LLMRequest) -> LLMResponse:
        return await self._backend.agenerate(request)

    def count(self, requests: list[LLMRequest]) -> list[int]:
        return [self._backend.count_request_tokens(r) for r in requests]

    def close(self) -> None:
        self._backend.close()


class ParquetShardWriter:
    """Buffers response rows and writes every ``shard_rows`` of them as one Parquet file
    under ``uri`` (a local folder or an fsspec URL). File names carry the writer's start
    time, so a resumed run adds shards and never overwrites one."""

    def __init__(self, uri: str, shard_rows: int) -> None:
        import fsspec

        self.uri = uri
        self.shard_rows = shard_rows
        self._fs, self._root = fsspec.core.url_to_fs(uri)
        self._stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{time.monotonic_ns() % 10**9:09d}"
        self._rows: list[dict[str, Any]] = []
        self._written = 0
        self.paths: list[str] = []

    def add(self, key: str, model: str, response: LLMResponse) -> None:
        self._rows.append(
            {
                "key": key,
                "model": model,
                "text": response.text,
                "finish_reason": response.finish_reason,
                "prompt_tokens": response.prompt_tokens,
                "completion_tokens": response.completion_tokens,
            }
        )
        if len(self._rows) >= self.shard_rows:
            self.flush()

    def flush(self) -> None:
        if not self._rows:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist(self._rows, schema=response_schema())
        path = f"{self._root.rstrip('/')}/part-{self._stamp}-{len(self.paths):05d}.parquet"
        try:
            self._fs.makedirs(self._root, exist_ok=True)
            with self._fs.open(path, "wb") as f:
                pq.write_table(table, f)
        except OSError as exc:
            raise BackendError(
                f"Cannot write response shard {path} (ray.output_uri={self.uri!r}): {exc}.",
                fix="set ray.output_uri to a writable folder or fsspec URL (s3://, gs://) "
                "whose credentials this driver has; responses are kept in the request cache",
            ) from exc
        self.paths.append(path)
        self._written += len(self._rows)
        self._rows = []

    def close(self) -> None:
        self.flush()


def response_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("key", pa.string()),
            ("model", pa.string()),
            ("text", pa.string()),
            ("finish_reason", pa.string()),
            ("prompt_tokens", pa.int64()),
            ("completion_tokens", pa.int64()),
        ]
    )


def read_response_shards(uri: str) -> Any:
    """Every streamed response under ``uri`` as one table (empty with the schema if none)."""
    import fsspec
    import pyarrow as pa
    import pyarrow.parquet as pq

    fs, root = fsspec.core.url_to_fs(uri)
    paths = sorted(fs.glob(f"{root.rstrip('/')}/part-*.parquet")) if fs.exists(root) else []
    tables = []
    for p in paths:
        with fs.open(p, "rb") as f:
            tables.append(pq.read_table(f))
    return pa.concat_tables(tables) if tables else response_schema().empty_table()


class ActorPoolBackend(LLMBackend):
    """A proxy backend for the driver's engine: each request goes to the least busy actor."""

    name = "ray-pool"

    def __init__(
        self,
        actors: Sequence[Any],
        info: dict[str, Any],
        *,
        limiter: RateLimiter | None,
        token_counts: dict[str, int],
        writer: ParquetShardWriter | None,
    ) -> None:
        self._actors = list(actors)
        self._inflight = [0] * len(self._actors)
        self._info = info
        self.model_id = str(info["model_id"])
        self.is_chat = bool(info["is_chat"])
        self.concurrency = len(self._actors) * int(info["concurrency"])
        self._limiter = limiter
        self._counts = token_counts
        self._writer = writer

    def count_request_tokens(self, request: LLMRequest) -> int:
        got = self._counts.get(request.cache_key(self.model_id))
        return got if got is not None else super().count_request_tokens(request)

    async def agenerate(self, request: LLMRequest) -> LLMResponse:
        from ray.exceptions import RayActorError, RayTaskError

        if self._limiter is not None:
            await self._limiter.acquire(self.count_request_tokens(request) + request.max_tokens)
        i = min(range(len(self._actors)), key=self._inflight.__getitem__)
        self._inflight[i] += 1
        try:
            response: LLMResponse = await self._actors[i].generate.remote(request)
        except RayTaskError as exc:  # the backend's own error: recorded as the local engine does
            cause = exc.cause
            if isinstance(cause, Exception):
                raise cause from None
            raise BackendError(f"teacher actor {i}: {exc}") from None
        except RayActorError as exc:
            raise BackendError(
                f"teacher actor {i} died ({type(exc).__name__}); the request is recorded as "
                "failed and retried on the next run",
                fix="check the actor's logs (ray logs) for out-of-memory or a crash",
            ) from None
        finally:
            self._inflight[i] -= 1
        if self._writer is not None:
            self._writer.add(request.cache_key(self.model_id), self.model_id, response)
        return response

    def describe(self) -> dict[str, Any]:
        return {**self._info["describe"], "executor": "ray", "actors": len(self._actors)}


def pool_size(explicit: int | None, num_cpus: float, num_gpus: float) -> int:
    import ray

    if explicit is not None:
        return explicit
    res = ray.cluster_resources()
    if num_gpus > 0:
        return max(1, int(res.get("GPU", 0) // num_gpus))
    return max(1, int(res.get("CPU", 1) // num_cpus))


def raise_cause(exc: BaseException, what: str) -> NoReturn:
    """Re-raise a synthesizrr error raised inside a Ray task or actor as itself; anything
    else as a :class:`StageError` naming ``what``."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, SynthesizrrError):
        raise cause from None
    detail = f"{type(cause).__name__}: {cause}" if cause is not None else f"{type(exc).__name__}"
    raise StageError(
        f"{what} failed on Ray ({detail}).",
        fix="check that every Ray node has synthesizrr and the needed extras installed (or set "
        "ray.runtime_env), and read the worker's log (ray logs) for the traceback",
    ) from exc


class RayBackendHandle(BackendHandle):
    """The teacher as a pool of Ray actors; ``run`` answers requests through the cache."""

    def __init__(self, llm_settings: LLMSettings, settings: RaySettings) -> None:
        import ray

        from synthesizrr.llm.registry import backend_class

        # The class is resolved here, so a backend registered in this process
        # (register_backend, a plugin) is shipped to the actors as is.
        cls = backend_class(llm_settings.backend)
        self._llm = llm_settings
        self._settings = settings
        # Rate limits are applied by the driver; an in-process engine uses its actor's CPUs.
        update: dict[str, Any] = {"rpm": None, "tpm": None}
        if llm_settings.n_threads is None:
            update["n_threads"] = max(1, int(settings.llm_num_cpus))
        worker_settings = llm_settings.model_copy(update=update)
        n = pool_size(settings.llm_workers, settings.llm_num_cpus, settings.llm_num_gpus)
        actor_cls: Any = ray.remote(TeacherWorker).options(
            num_cpus=settings.llm_num_cpus,
            num_gpus=settings.llm_num_gpus,
            max_concurrency=llm_settings.concurrency + 2,
            max_restarts=1,
        )
        self._actors: list[Any] = [actor_cls.remote(cls, worker_settings) for _ in range(n)]
        try:
            infos = ray.get([a.info.remote() for a in self._actors])
        except ray.exceptions.RayError as exc:
            self.close()
            raise_cause(exc, f"starting the teacher actors (llm.backend={llm_settings.backend!r})")
        self._info = infos[0]
        self.model_id = str(self._info["model_id"])
        self.is_chat = bool(self._info["is_chat"])
        log.info("Teacher %s on %d Ray actors", self.model_id, n)

    @property
    def actors(self) -> int:
        return len(self._actors)

    def _token_counts(self, requests: Sequence[LLMRequest]) -> dict[str, int]:
        """Prompt tokens of each distinct request, counted by the actors' tokenizers."""
        import ray

        unique = {r.cache_key(self.model_id): r for r in requests}
        keys = list(unique)
        chunks = [keys[i : i + _COUNT_CHUNK] for i in range(0, len(keys), _COUNT_CHUNK)]
        refs = [
            self._actors[j % len(self._actors)].count.remote([unique[k] for k in chunk])
            for j, chunk in enumerate(chunks)
        ]
        out: dict[str, int] = {}
        for chunk, counts in zip(chunks, ray.get(refs), strict=True):
            out.update(zip(chunk, counts, strict=True))
        return out

    def run(
        self, requests: Sequence[Any], *, cache_path: Path, settings: Any, progress: bool = False
    ) -> list[Any]:
        from synthesizrr.generation.engine import EngineSettings, run_requests

        engine = settings or EngineSettings()
        limiter = RateLimiter(self._llm.rpm, self._llm.tpm)
        needs_counts = engine.prices is not None or limiter.active
        counts = self._token_counts(requests) if needs_counts else {}
        uri = self._settings.output_uri or str(Path(cache_path).parent / "ray_responses")
        writer = ParquetShardWriter(uri, self._settings.shard_rows)
        proxy = ActorPoolBackend(
            self._actors,
            self._info,
            limiter=limiter if limiter.active else None,
            token_counts=counts,
            writer=writer,
        )
        try:
            return list(
                run_requests(
                    proxy, requests, cache_path=cache_path, settings=engine, progress=progress
                )
            )
        finally:
            writer.close()

    def close(self) -> None:
        import ray

        actors, self._actors = self._actors, []
        for actor in actors:
            try:
                ray.get(actor.close.remote(), timeout=30)
            except Exception:  # noqa: BLE001 - best effort; the actor is killed next
                log.debug("teacher actor did not close cleanly", exc_info=True)
            ray.kill(actor)
