"""Sentence embeddings shared by retrieval, metrics, refine and students.

One contract: ``get_embedder(model, backend).encode(texts) -> float32 (n, dim)``, rows
L2-normalized so inner product is cosine similarity. ``model="minilm"`` is the bundled
all-MiniLM-L6-v2 (no network); any other name goes to sentence-transformers, which loads it
from a hub where one is reachable and fails with a clear message here.

Backends (same vectors up to numeric error, different speed on CPU; see bench/retrieval):

- ``torch``: sentence-transformers on PyTorch (the reference).
- ``onnx``: the transformer + mean pooling exported to ONNX and fused by ONNX Runtime's
  transformer optimizer (float32; same vectors as torch to ~1e-6).
- ``onnx-int8``: the same graph with int8 weights (dynamic quantization of the matrix
  products, 7-bit weight range so AVX2 CPUs without VNNI do not saturate); the fastest
  exact-architecture path on CPU.

ONNX files are derived locally from the model folder on first use (needs torch,
transformers, onnx and onnxruntime; no network) and cached under ``$SYNTHESIZRR_CACHE``
(default ``~/.cache/synthesizrr``)/``onnx/``, never in the repository.

One process-level cache serves every caller that embeds the same texts more than once
(metrics, cartography, students): ``encode(texts, cache=True)`` or :func:`cached_encode`
look each text up in :data:`VECTOR_CACHE`, a bounded LRU keyed by (model, backend, text).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from synthesizrr.errors import ConfigError, ModelNotAvailableError, require
from synthesizrr.hub import check_hub_model, sentence_transformers_ids
from synthesizrr.models import EMBEDDED_EMBEDDERS, resolve_embedder_path

log = logging.getLogger(__name__)

BACKENDS = ("torch", "onnx", "onnx-int8")
#: Most texts kept in :data:`VECTOR_CACHE` (~1.5 KB each for a 384-dim model).
MAX_CACHED_TEXTS = 200_000

Batch = tuple[np.ndarray, np.ndarray]  # (positions in the input, their vectors)


def cache_dir() -> Path:
    """Folder for derived artifacts: ``$SYNTHESIZRR_CACHE`` or ``~/.cache/synthesizrr``."""
    return Path(os.path.expanduser(os.environ.get("SYNTHESIZRR_CACHE", "~/.cache/synthesizrr")))


@contextlib.contextmanager
def progress_bar(total: int, description: str, *, enabled: bool) -> Iterator[Callable[[int], Any]]:
    """A rich progress bar over ``total`` items; yields ``advance(n)`` (a no-op if disabled)."""
    if not enabled:
        yield lambda n: None
        return
    from rich.progress import Progress

    with Progress(transient=False) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


class BaseEmbedder:
    """What every backend shares: batching, progress, normalization and the cache."""

    name: str
    backend: str
    dim: int

    def _batches(self, texts: list[str], batch_size: int) -> Iterator[Batch]:
        """Yield ``(positions, vectors)`` until every text is embedded (any order)."""
        raise NotImplementedError

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        show_progress: bool = False,
        cache: bool = False,
        on_batch: Callable[[int], Any] | None = None,
    ) -> np.ndarray:
        """float32 ``(len(texts), dim)``, rows L2-normalized.

        ``cache=True`` looks texts up in :data:`VECTOR_CACHE` first and encodes only the
        rest. ``show_progress`` draws a rich bar over the texts; ``on_batch(n)`` is called
        after every ``n`` texts embedded (for a caller's own bar).
        """
        if cache:
            return VECTOR_CACHE.encode(
                (self.name, self.backend),
                texts,
                lambda missing: self.encode(
                    missing, batch_size=batch_size, show_progress=show_progress, on_batch=on_batch
                ),
            )
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with progress_bar(len(texts), f"Embedding ({self.backend})", enabled=show_progress) as adv:
            for positions, vecs in self._batches(list(texts), batch_size):
                out[positions] = vecs
                adv(len(positions))
                if on_batch is not None:
                    on_batch(len(positions))
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Silence transformers' "Loading weights" tqdm bar while a model loads."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # pragma: no cover - sentence-transformers needs transformers
        yield
        return
    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()


class Embedder(BaseEmbedder):
    """A sentence-transformers model on PyTorch (the ``torch`` backend)."""

    def __init__(self, name: str, backend: str = "torch") -> None:
        self.name = name
        self.backend = backend
        cache_only = False
        if name not in EMBEDDED_EMBEDDERS:  # fail in seconds, not after a minute of retries
            ids = sentence_transformers_ids(name)
            cache_only = check_hub_model(name, repo_ids=ids, what="Embedding model")
        st = require("sentence_transformers", "embed", "Sentence embeddings")
        path = resolve_embedder_path(name)
        if name in EMBEDDED_EMBEDDERS:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            with _quiet_transformers():
                self._model: Any = st.SentenceTransformer(
                    path, device="cpu", local_files_only=cache_only
                )
        except Exception as exc:  # hub unreachable, unknown name, bad folder
            raise ModelNotAvailableError(
                f"Embedding model '{name}' could not be loaded ({type(exc).__name__}: {exc}).",
                fix="use the bundled 'minilm', a local sentence-transformers folder, "
                "or a hub name on a machine that can reach the hub",
            ) from exc
        # sentence-transformers 6.2 renamed get_sentence_embedding_dimension.
        get_dim = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        self.dim = int(get_dim())

    def _batches(self, texts: list[str], batch_size: int) -> Iterator[Batch]:
        # Longest first, as sentence-transformers sorts: little padding per batch.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            idx = order[start : start + batch_size]
            vecs = self._model.encode(
                [texts[int(i)] for i in idx],
                batch_size=batch_size,
                show_progress_bar=False,
                convert_to_numpy=True,
                normalize_embeddings=False,
            )
            yield idx, np.asarray(vecs, dtype=np.float32)


_ONNX_FORMAT = 2  # bump when the exported graph or its quantization changes


def _model_key(folder: Path) -> str:
    """Key of a model folder: its path and the size/mtime of its files."""
    h = hashlib.sha256(f"{_ONNX_FORMAT}|{folder.resolve()}".encode())
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            st = f.stat()
            h.update(f"{f.relative_to(folder)}|{st.st_size}|{int(st.st_mtime)}".encode())
    return h.hexdigest()[:16]


def onnx_dir(folder: Path) -> Path:
    """Where the ONNX files derived from model ``folder`` live (under :func:`cache_dir`)."""
    return cache_dir() / "onnx" / f"{folder.name}-{_model_key(folder)}"


def _max_seq_length(folder: Path) -> int:
    st_cfg = folder / "sentence_bert_config.json"
    if st_cfg.is_file():
        return int(json.loads(st_cfg.read_text()).get("max_seq_length", 256))
    return 256


def _pooled_module(bert: Any) -> Any:
    """Transformer + attention-masked mean pooling, as the ONNX graph computes it."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    return Pooled().eval()


def _export_fp32(folder: Path, tmp: Path) -> Path:
    """Export and fuse (attention, GELU, LayerNorm) the float32 graph into ``tmp``."""
    torch = require("torch", "embed", "ONNX export of the embedding model")
    transformers = require("transformers", "embed", "ONNX export of the embedding model")
    require("onnx", "fast-embed", "ONNX export of the embedding model")
    from onnxruntime.transformers import optimizer

    with _quiet_transformers():
        bert = transformers.AutoModel.from_pretrained(str(folder)).eval()
    ids = torch.ones(2, 16, dtype=torch.long)
    axes = {n: {0: "batch", 1: "seq"} for n in ("input_ids", "attention_mask", "token_type_ids")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _pooled_module(bert),
            (ids, ids, torch.zeros_like(ids)),
            str(tmp / "raw.onnx"),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["embedding"],
            dynamic_axes={**axes, "embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    optimized = optimizer.optimize_model(
        str(tmp / "raw.onnx"),
        model_type="bert",
        num_heads=int(bert.config.num_attention_heads),
        hidden_size=int(bert.config.hidden_size),
    )
    optimized.save_model_to_file(str(tmp / "model.onnx"))
    return tmp / "model.onnx"


def _quantize(fp32: Path, target: Path) -> None:
    """Dynamic int8 quantization of the matrix products (attention + feed-forward).

    Weights are per-channel int8 in a 7-bit range (``reduce_range``): on AVX2 CPUs without
    VNNI, ONNX Runtime's u8 x s8 kernel sums pairs of products in int16, which saturates
    with full-range weights and costs retrieval quality. The embedding lookup and
    LayerNorm stay float32.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(fp32),
        str(target),
        weight_type=QuantType.QInt8,
        per_channel=True,
        reduce_range=True,
        op_types_to_quantize=["MatMul", "Attention"],
        extra_options={"DefaultTensorType": 1},  # onnx.TensorProto.FLOAT
    )


def export_onnx(folder: Path, out_dir: Path, *, int8: bool) -> Path:
    """Derive ``out_dir/model.onnx`` (or ``model.int8.onnx``) from model ``folder``; return it.

    Built once (in a temporary folder, then renamed into place) and reused after.
    """
    name = "model.int8.onnx" if int8 else "model.onnx"
    target = out_dir / name
    if target.exists():
        return target
    out_dir.mkdir(parents=True, exist_ok=True)
    log.info("Deriving %s from %s (once)", target, folder)
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp_name:
        tmp = Path(tmp_name)
        fp32 = out_dir / "model.onnx"
        if not fp32.exists():  # int8 is derived from float32; keep both
            os.replace(_export_fp32(folder, tmp), fp32)
        if not int8:
            return target
        _quantize(fp32, tmp / name)
        os.replace(tmp / name, target)
    return target


class OnnxEmbedder(BaseEmbedder):
    """The same model run by ONNX Runtime (``onnx`` float32 or ``onnx-int8``).

    Texts are tokenized once, sorted by token count and cut into batches of at most
    ``batch_size`` rows and ``batch_size * 128`` tokens (padded), so no batch pays for
    another batch's longest text. Batches run one per core at once, each single-threaded.
    """

    def __init__(
        self,
        name: str,
        backend: str = "onnx-int8",
        *,
        path: Path | None = None,
        max_len: int | None = None,
    ) -> None:
        """``path``/``max_len`` override the derived file and the model's max_seq_length
        (for benchmarks of other graphs of the same model)."""
        self.name = name
        self.backend = backend
        ort = require("onnxruntime", "fast-embed", "ONNX embeddings")
        from tokenizers import Tokenizer

        folder = Path(resolve_embedder_path(name))
        if not (folder / "tokenizer.json").is_file():
            raise ModelNotAvailableError(
                f"Embedding model '{name}' has no local folder with tokenizer.json ({folder}); "
                f"the '{backend}' backend derives its ONNX file from a local model folder.",
                fix="use the bundled 'minilm' or a downloaded sentence-transformers folder, "
                "or embed_backend: torch",
            )
        if path is None:
            path = export_onnx(folder, onnx_dir(folder), int8=backend == "onnx-int8")
        if max_len is None:
            max_len = _max_seq_length(folder)
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_len)
        self._tokenizer.no_padding()
        # One single-threaded run per core, on different batches at once: no thread
        # barriers inside a run (which stall on a busy machine), no spinning between runs.
        self.workers = max(1, len(os.sched_getaffinity(0)))
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._pool: ThreadPoolExecutor | None = None
        self.dim = int(self._session.get_outputs()[0].shape[-1])

    def _feeds(self, texts: list[str], batch_size: int) -> Iterator[tuple[np.ndarray, Any]]:
        ids = [e.ids for e in self._tokenizer.encode_batch(texts)]
        lengths = np.fromiter((len(i) for i in ids), np.int64, len(ids))
        order = np.argsort(-lengths, kind="stable")
        budget = batch_size * 128
        start = 0
        while start < len(order):
            width = max(1, int(lengths[order[start]]))
            rows = max(1, min(batch_size, budget // width))
            idx = order[start : start + rows]
            start += rows
            tokens = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for r, i in enumerate(idx):
                n = int(lengths[i])
                tokens[r, :n] = ids[i]
                mask[r, :n] = 1
            yield idx, {"input_ids": tokens, "attention_mask": mask, "token_type_ids": mask * 0}

    def _run(self, item: tuple[np.ndarray, Any]) -> Batch:
        idx, feed = item
        return idx, self._session.run(None, feed)[0]

    def _batches(self, texts: list[str], batch_size: int) -> Iterator[Batch]:
        if not texts:
            return
        feeds = self._feeds(texts, batch_size)
        if self.workers == 1 or len(texts) <= batch_size:
            yield from map(self._run, feeds)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="onnx-embed")
        yield from self._pool.map(self._run, feeds)


class VectorCache:
    """Bounded LRU map ``(namespace..., text) -> vector``; thread-safe.

    :meth:`encode` returns the vectors of ``texts`` in order, calling ``encode_missing``
    once with the distinct texts it does not hold. The least recently used texts leave
    first once more than ``max_texts`` are held.
    """

    def __init__(self, max_texts: int = MAX_CACHED_TEXTS) -> None:
        self.max_texts = max_texts
        self._vectors: OrderedDict[tuple[Any, ...], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._vectors)

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()

    def encode(
        self,
        namespace: tuple[str, ...],
        texts: Sequence[str],
        encode_missing: Callable[[list[str]], np.ndarray],
    ) -> np.ndarray:
        keys = [(*namespace, hashlib.sha1(t.encode("utf-8")).digest()) for t in texts]
        found: dict[tuple[Any, ...], np.ndarray] = {}
        missing: dict[tuple[Any, ...], str] = {}  # in first-seen order
        with self._lock:
            for k, t in zip(keys, texts, strict=True):
                vec = self._vectors.get(k)
                if vec is not None:
                    found[k] = vec
                    self._vectors.move_to_end(k)
                elif k not in missing:
                    missing[k] = t
        if missing or not keys:
            if missing:
                log.info(
                    "Embedding %d new texts with %s (%d cached)",
                    len(missing),
                    "/".join(namespace),
                    len(keys) - len(missing),
                )
            vecs = np.asarray(encode_missing(list(missing.values())), dtype=np.float32)
            if vecs.shape[0] != len(missing):
                raise ValueError(f"encoder returned {vecs.shape[0]} rows for {len(missing)} texts")
            if not keys:
                return vecs.reshape(0, vecs.shape[1] if vecs.ndim == 2 else 0)
            new = {k: v.copy() for k, v in zip(missing, vecs, strict=True)}
            found.update(new)
            with self._lock:
                self._vectors.update(new)
                while len(self._vectors) > self.max_texts:
                    self._vectors.popitem(last=False)
        return np.stack([found[k] for k in keys])


#: The process-level embedding cache behind ``encode(cache=True)`` and :func:`cached_encode`.
VECTOR_CACHE = VectorCache()


@lru_cache(maxsize=4)
def get_embedder(model: str = "minilm", backend: str = "torch") -> BaseEmbedder:
    """Load (once per process) and return an embedder."""
    if backend not in BACKENDS:
        raise ConfigError(
            f"Unknown embedding backend '{backend}'; choices: {', '.join(BACKENDS)}.",
            fix="set retrieval.embed_backend to torch, onnx or onnx-int8",
        )
    if backend != "torch":
        return OnnxEmbedder(model, backend)
    return Embedder(model, backend)


def cached_encode(
    texts: Sequence[str],
    model: str = "minilm",
    backend: str = "torch",
    *,
    batch_size: int = 64,
    progress: bool = False,
) -> np.ndarray:
    """Embeddings of ``texts`` through :data:`VECTOR_CACHE`: each text is embedded once.

    The same as ``get_embedder(model, backend).encode(texts, cache=True)``; only the texts
    not cached reach ``Embedder.encode``.
    """
    embedder = get_embedder(model, backend)
    return VECTOR_CACHE.encode(
        (model, backend),
        texts,
        lambda missing: embedder.encode(missing, batch_size=batch_size, show_progress=progress),
    )
