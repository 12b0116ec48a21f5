"""Sentence embeddings shared by retrieval, metrics and students.

One contract: ``get_embedder(model, backend).encode(texts) -> float32 (n, dim)``, rows
L2-normalized so inner product is cosine similarity. ``model="minilm"`` is the bundled
all-MiniLM-L6-v2 (no network); any other name goes to sentence-transformers, which loads it
from a hub where one is reachable and fails with a clear message here.

Backends (same vectors up to numeric error, different speed on CPU):

- ``torch``: sentence-transformers on PyTorch (the reference).
- ``onnx``: the transformer + mean pooling exported to ONNX and fused by ONNX Runtime's
  transformer optimizer (float32; same vectors as torch to ~1e-6).
- ``onnx-int8``: the same graph with int8 weights (dynamic quantization); cosine to the
  torch vectors ~0.99. Fastest exact-architecture path on CPU.

ONNX files are derived locally from the model folder on first use (needs torch,
transformers, onnx and onnxruntime; no network) and cached under ``$SYNTHESIZRR_CACHE``
(default ``~/.cache/synthesizrr``)/``onnx/``, never in the repository.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from synthesizrr.errors import ConfigError, ModelNotAvailableError, require
from synthesizrr.models import EMBEDDED_EMBEDDERS, resolve_embedder_path

log = logging.getLogger(__name__)


class Embedder:
    """A loaded sentence-transformers model."""

    def __init__(self, name: str, backend: str = "torch") -> None:
        self.name = name
        self.backend = backend
        st = require("sentence_transformers", "embed", "Sentence embeddings")
        path = resolve_embedder_path(name)
        if name in EMBEDDED_EMBEDDERS:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            self._model: Any = st.SentenceTransformer(path, device="cpu")
        except Exception as exc:  # hub unreachable, unknown name, bad folder
            raise ModelNotAvailableError(
                f"Embedding model '{name}' could not be loaded ({type(exc).__name__}: {exc}).",
                fix="use the bundled 'minilm', a local sentence-transformers folder, "
                "or a hub name on a machine that can reach the hub",
            ) from exc
        get_dim = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        self.dim = int(get_dim())

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(
            list(texts),
            batch_size=batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)


BACKENDS = ("torch", "onnx", "onnx-int8")
_ONNX_FORMAT = 1


def cache_dir() -> Path:
    """Folder for derived artifacts: ``$SYNTHESIZRR_CACHE`` or ``~/.cache/synthesizrr``."""
    return Path(os.path.expanduser(os.environ.get("SYNTHESIZRR_CACHE", "~/.cache/synthesizrr")))


def _model_key(folder: Path) -> str:
    """Key of a model folder: its path and the size/mtime of its files."""
    h = hashlib.sha256(f"{_ONNX_FORMAT}|{folder.resolve()}".encode())
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            st = f.stat()
            h.update(f"{f.relative_to(folder)}|{st.st_size}|{int(st.st_mtime)}".encode())
    return h.hexdigest()[:16]


class _Pooled:  # wrapped in a torch.nn.Module at export time
    """Transformer + attention-masked mean pooling, as the ONNX graph computes it."""

    @staticmethod
    def module(bert: Any) -> Any:
        import torch

        class Pooled(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.bert = bert

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                hidden = self.bert(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    token_type_ids=token_type_ids,
                ).last_hidden_state
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

        return Pooled().eval()


def export_onnx(folder: Path, out_dir: Path, *, int8: bool) -> Path:
    """Export ``folder`` (a sentence-transformers model) to ONNX in ``out_dir``; return the file."""
    name = "model.int8.onnx" if int8 else "model.onnx"
    target = out_dir / name
    if target.exists():
        return target
    torch = require("torch", "embed", "ONNX export of the embedding model")
    transformers = require("transformers", "embed", "ONNX export of the embedding model")
    require("onnx", "fast-embed", "ONNX export of the embedding model")
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp_name:
        tmp = Path(tmp_name)
        bert = transformers.AutoModel.from_pretrained(str(folder)).eval()
        cfg = bert.config
        ids = torch.ones(2, 16, dtype=torch.long)
        axes = {
            n: {0: "batch", 1: "seq"} for n in ("input_ids", "attention_mask", "token_type_ids")
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Pooled.module(bert),
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
            num_heads=int(cfg.num_attention_heads),
            hidden_size=int(cfg.hidden_size),
        )
        optimized.save_model_to_file(str(tmp / "model.onnx"))
        if int8:
            quantize_dynamic(
                str(tmp / "model.onnx"),
                str(tmp / name),
                weight_type=QuantType.QInt8,
                per_channel=True,
                extra_options={"DefaultTensorType": 1},  # onnx.TensorProto.FLOAT
            )
        os.replace(tmp / name, target)
    log.info("Derived %s from %s", target, folder)
    return target


class OnnxEmbedder:
    """The same model run by ONNX Runtime (``onnx`` float32 or ``onnx-int8``)."""

    def __init__(self, name: str, backend: str = "onnx-int8") -> None:
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
        out_dir = cache_dir() / "onnx" / f"{folder.name}-{_model_key(folder)}"
        path = export_onnx(folder, out_dir, int8=backend == "onnx-int8")
        max_len = 256
        st_cfg = folder / "sentence_bert_config.json"
        if st_cfg.is_file():
            max_len = int(json.loads(st_cfg.read_text()).get("max_seq_length", max_len))
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_len)
        self._tokenizer.enable_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, len(os.sched_getaffinity(0)))
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.dim = int(self.encode(["dimension probe"]).shape[1])

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Longest first, as sentence-transformers does: less padding per batch.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out: np.ndarray | None = None
        for start in range(0, len(texts), batch_size):
            idx = order[start : start + batch_size]
            enc = self._tokenizer.encode_batch([texts[int(i)] for i in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            vecs = self._session.run(
                None,
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )[0]
            if out is None:
                out = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
            out[idx] = vecs
        assert out is not None
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return np.ascontiguousarray(out, dtype=np.float32)


@lru_cache(maxsize=4)
def get_embedder(model: str = "minilm", backend: str = "torch") -> Embedder | OnnxEmbedder:
    """Load (once per process) and return an embedder."""
    if backend not in BACKENDS:
        raise ConfigError(
            f"Unknown embedding backend '{backend}'; choices: {', '.join(BACKENDS)}.",
            fix="set retrieval.embed_backend to torch, onnx or onnx-int8",
        )
    if backend != "torch":
        return OnnxEmbedder(model, backend)
    return Embedder(model, backend)
