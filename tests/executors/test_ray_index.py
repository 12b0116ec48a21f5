"""The dense index built shard by shard on Ray: same search results as one local index,
same fingerprint and folder as a local sharded build, so either executor reuses it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ray")
pytest.importorskip("faiss")

from synthesizrr.executors import LocalExecutor  # noqa: E402
from synthesizrr.executors.ray import RayExecutor, RaySettings  # noqa: E402
from synthesizrr.retrieval import RetrievalSettings, build_index  # noqa: E402
from synthesizrr.retrieval.dense import DenseRetriever  # noqa: E402

N_PASSAGES = 60
QUERIES = [
    "Oil prices rise as supply worries grow",
    "The home team won the championship final",
    "New smartphone chip promises longer battery life",
    "Talks between the two governments broke down",
    "Central bank keeps interest rates unchanged",
    "Wheat harvest hit by drought",
]


@pytest.fixture(scope="module")
def passages(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = []
    with gzip.open(shared_data / "corpus_news_passages" / "passages.jsonl.gz", "rt") as f:
        for line in f:
            rec = json.loads(line)
            rows.append({"passage_id": rec["id"], "doc_id": rec["id"], "text": rec["text"]})
            if len(rows) == N_PASSAGES:
                break
    path = tmp_path_factory.mktemp("passages") / "passages.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=25)  # 3 row groups
    return path


def search(settings: RetrievalSettings, folder: Path) -> tuple[np.ndarray, np.ndarray]:
    retriever = DenseRetriever(settings)
    retriever.load(folder, N_PASSAGES)
    return retriever.search(QUERIES, 20)


def shard_vectors(folder: Path) -> list[np.ndarray]:
    import faiss

    out = []
    for path in sorted(folder.glob("shard-*.faiss")):
        index = faiss.read_index(str(path))
        out.append(index.reconstruct_n(0, index.ntotal))
    return out


def test_sharded_ray_index_equals_local_build_and_single_index(
    ray_cluster: str, passages: Path, tmp_path: Path
) -> None:
    import faiss

    sharded = RetrievalSettings(shards=3)
    ex = RayExecutor(settings=RaySettings(embed_workers=2))
    info = ex.build_index(sharded, passages, tmp_path / "ray")
    assert (info["reused"], info["executor"], info["passages"]) == (False, "ray", N_PASSAGES)
    assert info["shards"] == [[0, 20], [20, 40], [40, 60]]
    assert sorted(p.name for p in (tmp_path / "ray").iterdir()) == [
        "index.json", "shard-000.faiss", "shard-001.faiss", "shard-002.faiss"
    ]  # fmt: skip

    # The local executor's sharded build: the very same vectors, the very same results.
    local = LocalExecutor().build_index(sharded, passages, tmp_path / "local")
    assert local["fingerprint"] == info["fingerprint"]
    ray_vecs, local_vecs = shard_vectors(tmp_path / "ray"), shard_vectors(tmp_path / "local")
    assert [v.tobytes() for v in ray_vecs] == [v.tobytes() for v in local_vecs]
    ray_scores, ray_rows = search(sharded, tmp_path / "ray")
    scores, rows = search(sharded, tmp_path / "local")
    assert ray_rows.tolist() == rows.tolist() and ray_scores.tobytes() == scores.tobytes()
    assert {int(r) // 20 for r in ray_rows.ravel()} == {0, 1, 2}  # hits from every shard

    # One FAISS index over all the vectors: the merged top-K of the shards is its top-K.
    # FAISS's inner-product kernels may round a score differently by the row's position in
    # its index (last bit), so rows may swap only where two scores tie within 1e-6.
    single = faiss.IndexFlatIP(ray_vecs[0].shape[1])
    single.add(np.concatenate(ray_vecs))
    q = DenseRetriever(sharded).embed_queries(QUERIES)
    one_scores, one_rows = single.search(q, 20)
    np.testing.assert_allclose(ray_scores, one_scores, rtol=0, atol=1e-6)
    all_scores = q @ np.concatenate(ray_vecs).T
    for i in range(len(QUERIES)):
        for a, b in zip(ray_rows[i], one_rows[i], strict=True):
            assert a == b or abs(all_scores[i, a] - all_scores[i, b]) < 1e-6
        assert set(ray_rows[i][:-1]) <= set(one_rows[i])  # same set, but for a tie at the cut

    # Same fingerprint and folder layout as a local build: each executor reuses the other's.
    again = ex.build_index(sharded, passages, tmp_path / "local")
    assert again["reused"] is True and again["fingerprint"] == info["fingerprint"]
    assert build_index(sharded, passages, tmp_path / "ray")["reused"] is True


def test_bm25_is_built_by_the_driver(ray_cluster: str, passages: Path, tmp_path: Path) -> None:
    pytest.importorskip("bm25s")
    settings = RetrievalSettings(retriever="bm25")
    info = RayExecutor().build_index(settings, passages, tmp_path / "bm25")
    assert info["reused"] is False and "executor" not in info
    assert info["fingerprint"] == build_index(settings, passages, tmp_path / "bm25")["fingerprint"]
