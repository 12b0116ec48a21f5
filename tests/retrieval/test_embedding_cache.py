"""The one embedding cache (synthesizrr.embeddings.VECTOR_CACHE) and the batching base class."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from synthesizrr import embeddings
from synthesizrr.embeddings import BaseEmbedder, VectorCache


class FakeEmbedder(BaseEmbedder):
    """Vector of a text: (len, count of 'a', 1, 0), before normalization; records batches."""

    def __init__(self, name: str = "fake", backend: str = "torch") -> None:
        self.name, self.backend, self.dim = name, backend, 4
        self.batches: list[list[str]] = []

    def _batches(
        self, texts: list[str], batch_size: int
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for start in range(0, len(texts), batch_size):
            idx = np.arange(start, min(start + batch_size, len(texts)))
            chunk = [texts[i] for i in idx]
            self.batches.append(chunk)
            yield idx, np.array([[len(t), t.count("a"), 1, 0] for t in chunk], dtype=np.float32)


def unit(rows: list[list[float]]) -> np.ndarray:
    a = np.array(rows, dtype=np.float32)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeEmbedder:
    emb = FakeEmbedder()
    monkeypatch.setattr(embeddings, "get_embedder", lambda model="minilm", backend="torch": emb)
    monkeypatch.setattr(embeddings, "VECTOR_CACHE", VectorCache(max_texts=100))
    return emb


def test_encode_batches_normalizes_and_reports_progress() -> None:
    emb = FakeEmbedder()
    seen: list[int] = []
    out = emb.encode(["aa", "b", "aaa"], batch_size=2, on_batch=seen.append)
    assert out.dtype == np.float32 and out.shape == (3, 4)
    np.testing.assert_allclose(out, unit([[2, 2, 1, 0], [1, 0, 1, 0], [3, 3, 1, 0]]), rtol=1e-6)
    assert emb.batches == [["aa", "b"], ["aaa"]] and seen == [2, 1]
    assert emb.encode([]).shape == (0, 4)


def test_cache_encodes_each_distinct_text_once(fake: FakeEmbedder) -> None:
    first = fake.encode(["a", "bb", "a"], cache=True)
    second = embeddings.cached_encode(["bb", "ccc", "a"], "fake")
    assert fake.batches == [["a", "bb"], ["ccc"]]  # duplicates and cached texts skipped
    np.testing.assert_array_equal(first[0], first[2])
    np.testing.assert_array_equal(second[[0, 2]], first[[1, 0]])
    assert len(embeddings.VECTOR_CACHE) == 3


def test_cache_keys_include_model_and_backend() -> None:
    cache = VectorCache()
    calls: list[list[str]] = []

    def enc(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return np.ones((len(texts), 2), dtype=np.float32) * len(calls)

    a = cache.encode(("m", "torch"), ["x"], enc)
    b = cache.encode(("m", "onnx"), ["x"], enc)
    c = cache.encode(("m", "torch"), ["x"], enc)
    assert calls == [["x"], ["x"]]
    assert (a[0, 0], b[0, 0], c[0, 0]) == (1.0, 2.0, 1.0)


def test_cache_is_bounded_lru() -> None:
    cache = VectorCache(max_texts=2)
    calls: list[list[str]] = []

    def enc(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return np.zeros((len(texts), 3), dtype=np.float32)

    cache.encode(("m",), ["a", "b"], enc)
    cache.encode(("m",), ["a"], enc)  # a is now the most recently used
    cache.encode(("m",), ["c"], enc)  # evicts b
    cache.encode(("m",), ["a", "b"], enc)
    assert calls == [["a", "b"], ["c"], ["b"]] and len(cache) == 2
    assert cache.encode(("m",), [], enc).shape == (0, 3)


def test_cache_rejects_wrong_row_count() -> None:
    with pytest.raises(ValueError, match="encoder returned 1 rows for 2 texts"):
        VectorCache().encode(("m",), ["a", "b"], lambda t: np.zeros((1, 2), dtype=np.float32))


def test_distill_and_metrics_share_the_cache(fake: FakeEmbedder) -> None:
    from synthesizrr.distill.embed_cache import cache_size, clear_cache, embed_texts
    from synthesizrr.metrics import EmbeddingCache

    clear_cache()
    students = embed_texts(["x", "yy"], "fake")
    metrics = EmbeddingCache("fake")
    vecs = metrics.encode(["yy", "x", "zzz"])
    assert fake.batches == [["x", "yy"], ["zzz"]]
    assert metrics.n_encoded == 1 and cache_size() == 3
    np.testing.assert_array_equal(vecs[:2], students[::-1])


def test_embedding_dimension_old_and_new_sentence_transformers_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ST >= 6.2 has get_embedding_dimension; older ones get_sentence_embedding_dimension."""
    import types
    import warnings

    class New:
        def __init__(self, *a: object, **k: object) -> None: ...

        def get_embedding_dimension(self) -> int:
            return 7

        def get_sentence_embedding_dimension(self) -> int:
            warnings.warn("renamed", FutureWarning, stacklevel=1)
            return 7

    class Old:
        def __init__(self, *a: object, **k: object) -> None: ...

        def get_sentence_embedding_dimension(self) -> int:
            return 5

    for cls, dim in ((New, 7), (Old, 5)):
        st = types.SimpleNamespace(SentenceTransformer=cls)
        monkeypatch.setattr(embeddings, "require", lambda *a, st=st: st)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert embeddings.Embedder("minilm").dim == dim


def test_dense_build_draws_one_rich_bar(
    fake: FakeEmbedder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from synthesizrr.retrieval import RetrievalSettings
    from synthesizrr.retrieval.dense import DenseRetriever

    texts = [f"passage {'a' * i} number {i}" for i in range(30)]
    path = tmp_path / "passages.parquet"
    pq.write_table(pa.table({"passage_id": [str(i) for i in range(30)], "text": texts}), path)
    retriever = DenseRetriever(RetrievalSettings(batch_size=8, shards=2))
    info = retriever.build(path, tmp_path, progress=True)
    out = capsys.readouterr()
    assert info == {"dim": 4, "shards": [[0, 15], [15, 30]], "passages": 30}
    assert "Embedding passages (torch)" in out.out + out.err
    assert "Batches" not in out.out + out.err
    assert [len(b) for b in fake.batches] == [8, 8, 8, 6]
    retriever.load(tmp_path, 30)
    scores, rows = retriever.search(texts[:3], 2)
    assert rows[:, 0].tolist() == [0, 1, 2] and rows.dtype == np.int64
    np.testing.assert_allclose(scores[:, 0], 1.0, rtol=1e-5)


def test_int8_index_embeds_queries_with_float32_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    from synthesizrr.retrieval import RetrievalSettings
    from synthesizrr.retrieval.dense import DenseRetriever

    asked: list[str] = []

    def fake_get(model: str = "minilm", backend: str = "torch") -> FakeEmbedder:
        asked.append(backend)
        return FakeEmbedder(model, backend)

    monkeypatch.setattr(embeddings, "get_embedder", fake_get)
    for backend in ("onnx-int8", "onnx", "torch"):
        DenseRetriever(RetrievalSettings(embed_backend=backend)).embed_queries(["q"])
    assert asked == ["onnx", "onnx", "torch"]
