"""Random retrieval (the paper's ablation): ``k`` passages drawn uniformly per query.

Draws depend only on ``(seed, query position)``, never on the query text; scores are NaN
(there is no similarity), so no similarity band applies.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from synthesizrr.retrieval.base import Retriever, count_passages


class RandomRetriever(Retriever):
    name = "random"

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self._n = 0

    def build(self, passages_path: Path, folder: Path, *, progress: bool = False) -> dict[str, Any]:
        n = count_passages(passages_path)
        (folder / "random.json").write_text(json.dumps({"passages": n}), encoding="utf-8")
        return {"passages": n}

    def load(self, folder: Path, n_passages: int) -> None:
        self._n = n_passages

    def search(
        self, queries: Sequence[str], k: int, *, seed: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        nq = len(queries)
        rows = np.full((nq, k), -1, dtype=np.int64)
        kk = min(k, self._n)
        for i in range(nq):
            rng = np.random.default_rng([seed, i])
            rows[i, :kk] = rng.choice(self._n, size=kk, replace=False)
        return np.full((nq, k), np.nan, dtype=np.float32), rows
