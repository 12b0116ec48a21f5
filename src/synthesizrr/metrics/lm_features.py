"""Last-token hidden states of a causal LM: the MAUVE features the paper uses (GPT-2 XL).

A GGUF model (the embedded teacher 'smollm2', 'gemma3-270m', a .gguf path) is read by
transformers (``gguf_file=``; weights dequantized to float32) and saved once as a plain
transformers folder under the cache root, so later loads take under a second instead of
~40 s. A transformers model name or folder (e.g. 'gpt2-large') is loaded as it is.

Texts are tokenized, sorted by token count and run in padded batches (right padding);
each text's feature is the final hidden state at its last real token. Batching changes the
vectors only by float32 rounding (cosine >= 0.99999 to one text at a time).

Why not llama.cpp's embedding mode: it gives the same vectors (cosine >= 0.999 to these,
the gap being its quantized matrix products), but took 1.5x the CPU time of float32 torch
on this 2-core machine (bench/metrics/RESULTS.md), and computes every token's logits too.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from synthesizrr.errors import ModelNotAvailableError, require
from synthesizrr.layout import cache_root
from synthesizrr.models import EMBEDDED_LLMS

log = logging.getLogger(__name__)

_FORMAT = 1  # bump when the converted folder's content changes


def is_gguf(name: str) -> bool:
    """Whether a feature model name means a GGUF file (an embedded LLM or a .gguf path)."""
    return name in EMBEDDED_LLMS or name in ("gemma3-270m", "gemma3") or name.endswith(".gguf")


def converted_dir(gguf: Path, transformers_version: str) -> Path:
    """Where the transformers folder converted from ``gguf`` lives: keyed by the file's
    path, size and mtime and the transformers version that converted it."""
    st = gguf.stat()
    key = f"{_FORMAT}|{gguf.resolve()}|{st.st_size}|{int(st.st_mtime)}|{transformers_version}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache_root() / "lm_features" / f"{gguf.stem}-{digest}"


def _convert(gguf: Path, target: Path) -> None:
    """Dequantize ``gguf`` into a transformers folder at ``target`` (temp folder, rename)."""
    transformers = require("transformers", "metrics", "MAUVE features from a GGUF model")
    require("gguf", "metrics", "MAUVE features from a GGUF model")
    require("accelerate", "metrics", "MAUVE features from a GGUF model")
    safetensors_torch = require("safetensors.torch", "metrics", "MAUVE features")
    log.info("Converting %s to a transformers folder at %s (once)", gguf, target)
    tok = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = transformers.AutoModel.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp_name:
        tmp = Path(tmp_name) / "model"
        tok.save_pretrained(tmp)
        # save_pretrained refuses a model loaded from GGUF; its weights are plain float32
        config = model.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        config.save_pretrained(tmp)
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        safetensors_torch.save_file(state, str(tmp / "model.safetensors"))
        try:
            os.replace(tmp, target)
        except OSError:  # another process converted it first
            if not target.is_dir():
                raise


@lru_cache(maxsize=2)
def load_lm(name: str) -> tuple[Any, Any]:
    """(tokenizer, model) of a feature model, in eval mode, float32."""
    transformers = require("transformers", "metrics", "MAUVE features from a causal LM")
    require("torch", "metrics", "MAUVE features from a causal LM")
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
    source = name
    if is_gguf(name):
        from synthesizrr.models import resolve_llm_path

        gguf = resolve_llm_path(name)
        folder = converted_dir(gguf, transformers.__version__)
        if not (folder / "model.safetensors").is_file():
            _convert(gguf, folder)
        source, offline = str(folder), True
    try:
        tok = transformers.AutoTokenizer.from_pretrained(source, local_files_only=offline)
        model = transformers.AutoModel.from_pretrained(source, local_files_only=offline)
    except Exception as exc:  # offline hub, unknown name, bad folder
        raise ModelNotAvailableError(
            f"MAUVE feature model '{name}' (metrics.mauve_features) could not be "
            f"loaded ({type(exc).__name__}).",
            fix="set metrics.mauve_features to 'smollm2' or 'minilm' (bundled), to a local "
            "model folder, or run where the Hugging Face hub is reachable",
        ) from exc
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "right"
    return tok, model.float().eval()


def last_token_features(
    name: str, texts: Sequence[str], *, max_length: int = 1024, batch_size: int = 16,
    progress: bool = False,
) -> np.ndarray:  # fmt: skip
    """Final hidden state at each text's last token (texts cut to ``max_length`` tokens),
    float32 (len(texts), hidden size); an empty text is read as one space."""
    import torch

    from synthesizrr.embeddings.base import progress_bar

    tok, model = load_lm(name)
    ids = [tok(t or " ", truncation=True, max_length=max_length)["input_ids"] for t in texts]
    order = sorted(range(len(ids)), key=lambda i: (len(ids[i]), i))
    out = np.zeros((len(ids), model.config.hidden_size), dtype=np.float32)
    with (
        progress_bar(len(ids), "MAUVE features", enabled=progress) as advance,
        torch.inference_mode(),
    ):
        for start in range(0, len(order), batch_size):
            part = order[start : start + batch_size]
            enc = tok.pad({"input_ids": [ids[i] for i in part]}, return_tensors="pt")
            hidden = model(**enc).last_hidden_state
            last = enc["attention_mask"].sum(dim=1) - 1
            out[part] = hidden[torch.arange(len(part)), last].numpy()
            advance(len(part))
    return out
