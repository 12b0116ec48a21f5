"""The one door to the embedding cache (CachedEmbedder over VECTOR_CACHE), the batching
base class and the shipped fake embedder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from synthesizrr import embeddings
from synthesizrr.embeddings import CachedEmbedder, VectorCache, cache, torch_backend
from synthesizrr.testing import FakeEmbedder, fake_embeddings


def counts(text: str) -> list[float]:
    """Vector of a text before normalization: (len, count of 'a', 1, 0)."""
    return [len(text), text.count("a"), 1, 0]


def unit(rows: list[list[float]]) -> np.ndarray:
    a = np.array(rows, dtype=np.float32)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


@pytest.fixture
def fake() -> Iterator[FakeEmbedder]:
    with fake_embeddings(FakeEmbedder(4, name="fake", backend="torch", features=counts)) as emb:
        yield emb


def test_encode_batches_normalizes_and_reports_progress() -> None:
    emb = FakeEmbedder(4, features=counts)
    seen: list[int] = []
    out = emb.encode(["aa", "b", "aaa"], batch_size=2, on_batch=seen.append)
    assert out.dtype == np.float32 and out.shape == (3, 4)
    np.testing.assert_allclose(out, unit([[2, 2, 1, 0], [1, 0, 1, 0], [3, 3, 1, 0]]), rtol=1e-6)
    assert emb.batches == [["aa", "b"], ["aaa"]] and seen == [2, 1]
    assert emb.encode([]).shape == (0, 4)


def test_cache_encodes_each_distinct_text_once(fake: FakeEmbedder) -> None:
    first = CachedEmbedder(fake).encode(["a", "bb", "a"])
    second = embeddings.embed(["bb", "ccc", "a"], "fake")
    assert fake.batches == [["a", "bb"], ["ccc"]]  # duplicates and cached texts skipped
    np.testing.assert_array_equal(first[0], first[2])
    np.testing.assert_array_equal(second[[0, 2]], first[[1, 0]])
    assert len(cache.VECTOR_CACHE) == 3


def test_encode_itself_never_caches() -> None:
    emb = FakeEmbedder(4, features=counts)
    emb.encode(["a", "a"])
    emb.encode(["a"])
    assert emb.batches == [["a", "a"], ["a"]]


def test_fake_embeddings_leave_no_fake_vector_behind() -> None:
    before = cache.VECTOR_CACHE
    with fake_embeddings() as emb:
        assert embeddings.get_embedder("minilm", "onnx") is emb
        vecs = embeddings.embed(["x", "y"])
        assert len(cache.VECTOR_CACHE) == 2 and cache.VECTOR_CACHE is not before
    assert cache.VECTOR_CACHE is before and "x" not in emb.texts[2:]
    assert vecs.shape == (2, 16)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(vecs, FakeEmbedder().encode(["x", "y"]))  # deterministic


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


def test_students_and_metrics_share_the_cache(fake: FakeEmbedder) -> None:
    from synthesizrr.metrics import MetricsSettings, get_metric

    students = embeddings.embed(["x", "yy"], "fake")  # what students and cartography call
    metric = get_metric("cosine", MetricsSettings(embedder="fake"))
    vecs = metric.cache.encode(["yy", "x", "zzz"])
    assert fake.batches == [["x", "yy"], ["zzz"]]
    assert metric.cache.n_encoded == 1 and len(cache.VECTOR_CACHE) == 3
    np.testing.assert_array_equal(vecs[:2], students[::-1])


def test_metrics_embed_with_the_configured_backend(fake: FakeEmbedder) -> None:
    from synthesizrr.metrics import MetricsSettings, get_metric

    metric = get_metric("cosine", MetricsSettings(embedder="fake", embed_backend="onnx-int8"))
    metric.cache.encode(["x"])
    assert (metric.cache.model, metric.cache.backend) == ("fake", "onnx-int8")
    assert list(cache.VECTOR_CACHE._vectors)[0][:2] == ("fake", "onnx-int8")


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
        monkeypatch.setattr(torch_backend, "require", lambda *a, st=st: st)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert torch_backend.TorchEmbedder("minilm").dim == dim


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
        return FakeEmbedder(4, name=model, backend=backend, features=counts)

    monkeypatch.setattr(embeddings, "get_embedder", fake_get)
    for backend in ("onnx-int8", "onnx", "torch"):
        DenseRetriever(RetrievalSettings(embed_backend=backend)).embed_queries(["q"])
    assert asked == ["onnx", "onnx", "torch"]
