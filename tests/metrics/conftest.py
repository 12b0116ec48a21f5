from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest


def read_labeled(path: Path, limit: int | None = None) -> tuple[list[str], list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows = rows[:limit] if limit is not None else rows
    return [r["text"] for r in rows], [r["label"] for r in rows]


@pytest.fixture(scope="session")
def ag_train(shared_data: Path) -> tuple[list[str], list[str]]:
    return read_labeled(shared_data / "ag_news" / "train.csv")


@pytest.fixture(scope="session")
def ag_test(shared_data: Path) -> tuple[list[str], list[str]]:
    return read_labeled(shared_data / "ag_news" / "test.csv")


def _hash_encoder(texts: list[str], dim: int = 16) -> np.ndarray:
    """A deterministic fake embedder: unit vectors seeded by a hash of each text."""
    rows = []
    for t in texts:
        seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")
        v = np.random.default_rng(seed).normal(size=dim)
        rows.append(v / np.linalg.norm(v))
    return np.asarray(rows, dtype=np.float32).reshape(len(texts), dim)


@pytest.fixture()
def hash_encoder() -> Callable[[list[str]], np.ndarray]:
    return _hash_encoder
