from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from synthesizrr.embeddings import cache_dir, get_embedder
from synthesizrr.errors import ConfigError

TEXTS = [
    "Stocks fell sharply on Wall Street after the central bank raised rates.",
    "The home team won the championship in overtime.",
    "A new smartphone chip promises longer battery life.",
]


def test_unknown_backend_names_choices() -> None:
    with pytest.raises(
        ConfigError, match="Unknown embedding backend 'gpu'; choices: torch, onnx, onnx-int8"
    ):
        get_embedder("minilm", "gpu")


def test_cache_dir_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SYNTHESIZRR_CACHE", str(tmp_path))
    assert cache_dir() == tmp_path


@pytest.mark.slow
def test_onnx_backends_match_torch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SYNTHESIZRR_CACHE", str(tmp_path))
    ref = get_embedder("minilm", "torch").encode(TEXTS)
    fp32 = get_embedder("minilm", "onnx").encode(TEXTS)
    int8 = get_embedder("minilm", "onnx-int8").encode(TEXTS)
    assert fp32.dtype == int8.dtype == np.float32 and fp32.shape == int8.shape == (3, 384)
    np.testing.assert_allclose((fp32 * ref).sum(1), 1.0, atol=1e-5)
    assert (int8 * ref).sum(1).min() > 0.97
    assert sorted(p.name for p in (tmp_path / "onnx").iterdir().__next__().iterdir()) == [
        "model.int8.onnx",
        "model.onnx",
    ]
    # Batches run in parallel (one single-threaded run per core): same vectors as serially.
    emb = get_embedder("minilm", "onnx-int8")
    many = [f"{t} (variant {i}, {'more words ' * (i % 7)})" for i, t in enumerate(TEXTS * 40)]
    parallel = emb.encode(many, batch_size=8)
    workers, emb.workers = emb.workers, 1  # type: ignore[attr-defined]
    try:
        serial = emb.encode(many, batch_size=8)
    finally:
        emb.workers = workers  # type: ignore[attr-defined]
    np.testing.assert_array_equal(parallel, serial)
