"""BM25 retrieval with ``bm25s`` (English stopwords, lower-cased word tokens).

Scores are BM25 scores, not cosines: the similarity band applies only where it is set
explicitly (see :class:`RetrievalSettings`). Passages that share no term with the query
(score 0) are not returned; their rows are ``-1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from synthesizrr.errors import require
from synthesizrr.retrieval.base import Retriever, iter_passage_texts


class BM25Retriever(Retriever):
    name = "bm25"

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self._index: Any = None
        self._tokenizer: Any = None
        self._n = 0

    def _new_tokenizer(self) -> Any:
        require("bm25s", "retrieval", "BM25 retrieval")
        from bm25s.tokenization import Tokenizer

        return Tokenizer(lower=True, stopwords="en")

    def build(self, passages_path: Path, folder: Path, *, progress: bool = False) -> dict[str, Any]:
        bm25s = require("bm25s", "retrieval", "BM25 retrieval")
        tokenizer = self._new_tokenizer()
        corpus_ids: list[list[int]] = []
        for texts in iter_passage_texts(passages_path):
            corpus_ids.extend(
                tokenizer.tokenize(texts, update_vocab=True, return_as="ids", show_progress=False)
            )
        index = bm25s.BM25(k1=self.settings.bm25_k1, b=self.settings.bm25_b)
        index.index(corpus_ids, show_progress=progress)
        index.save(str(folder), show_progress=False)
        tokenizer.save_vocab(str(folder))
        return {"passages": len(corpus_ids), "vocabulary": len(tokenizer.get_vocab_dict())}

    def load(self, folder: Path, n_passages: int) -> None:
        bm25s = require("bm25s", "retrieval", "BM25 retrieval")
        self._index = bm25s.BM25.load(str(folder), show_progress=False)
        self._tokenizer = self._new_tokenizer()
        self._tokenizer.load_vocab(str(folder))
        self._n = n_passages

    def search(
        self, queries: Sequence[str], k: int, *, seed: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        nq = len(queries)
        scores = np.full((nq, k), -np.inf, dtype=np.float32)
        rows = np.full((nq, k), -1, dtype=np.int64)
        if nq == 0 or self._n == 0:
            return scores, rows
        kk = min(k, self._n)
        ids = self._tokenizer.tokenize(
            list(queries), update_vocab=False, return_as="ids", show_progress=False
        )
        found_rows, found_scores = self._index.retrieve(ids, k=kk, show_progress=False, n_threads=0)
        found_rows = np.asarray(found_rows, dtype=np.int64)
        found_scores = np.asarray(found_scores, dtype=np.float32)
        # Deterministic order: score desc, then row asc; drop zero-score (no shared term).
        order = np.lexsort((found_rows, -found_scores), axis=1)
        found_rows = np.take_along_axis(found_rows, order, axis=1)
        found_scores = np.take_along_axis(found_scores, order, axis=1)
        keep = found_scores > 0
        scores[:, :kk] = np.where(keep, found_scores, -np.inf)
        rows[:, :kk] = np.where(keep, found_rows, -1)
        return scores, rows
