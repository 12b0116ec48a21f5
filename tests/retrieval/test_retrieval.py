from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthesizrr.corpus import CorpusSettings, prepare_passages, read_labeled
from synthesizrr.errors import InputDataError
from synthesizrr.retrieval import RetrievalSettings, build_index, load_retriever, retrieve

N_PASSAGES = 150


@pytest.fixture(scope="module")
def passages(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus") / "passages.parquet"
    settings = CorpusSettings(path="corpus_news_passages/passages.jsonl.gz", limit=N_PASSAGES + 20)
    prepare_passages(settings, out, base_dir=shared_data)
    table = pq.read_table(out).slice(0, N_PASSAGES)
    pq.write_table(table, out)
    return out


@pytest.fixture(scope="module")
def seeds(shared_data: Path) -> pa.Table:
    lab = read_labeled("ag_news/train.csv", base_dir=shared_data).slice(0, 12)
    return pa.table(
        {"seed_id": [f"s{i}" for i in range(12)], "text": lab["text"], "label": lab["label"]}
    )


@pytest.fixture(scope="module")
def dense_dir(passages: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dense")
    build_index(RetrievalSettings(), passages, folder)
    return folder


def test_dense_retrieve_table_contract(passages: Path, dense_dir: Path, seeds: pa.Table) -> None:
    settings = RetrievalSettings(top_k=20)
    info = build_index(settings, passages, dense_dir)
    assert info["reused"] is True and info["passages"] == N_PASSAGES and info["dim"] == 384
    table = retrieve(settings, passages, dense_dir, seeds)
    assert table.schema.names == [
        "seed_id",
        "label",
        "passage_id",
        "doc_id",
        "rank",
        "score",
        "role",
    ]
    assert table.schema.field("score").type == pa.float32()
    rows = table.to_pylist()
    assert rows, "some pairs must survive the band"
    order = {s: i for i, s in enumerate(seeds.column("seed_id").to_pylist())}
    keys = [(order[r["seed_id"]], r["rank"]) for r in rows]
    assert keys == sorted(keys)
    label_of = dict(
        zip(seeds.column("seed_id").to_pylist(), seeds.column("label").to_pylist(), strict=True)
    )
    # the bundled MiniLM gets the measured percentile bands, resolved on these scores
    from synthesizrr.retrieval.settings import MEASURED_BANDS
    from synthesizrr.retrieval.stage import pair_bands

    bands = pair_bands(table)
    assert bands["shot"]["percentile"] == list(MEASURED_BANDS["minilm"]["shot"])
    assert bands["gen"]["percentile"] == list(MEASURED_BANDS["minilm"]["gen"])
    shot, gen = bands["shot"], bands["gen"]
    for r in rows:
        assert r["label"] == label_of[r["seed_id"]]
        assert r["passage_id"].startswith(r["doc_id"] + "#")
        if r["role"] == "shot":
            assert r["rank"] in (1, 2) and shot["min"] <= r["score"] <= shot["max"]
        else:
            assert r["role"] == "gen" and 3 <= r["rank"] <= 20
            assert gen["min"] <= r["score"] <= gen["max"]
    paper = retrieve(settings.model_copy(update={"sim_min": 0.4, "shot_sim_min": 0.5}),
                     passages, dense_dir, seeds)  # fmt: skip
    assert pair_bands(paper) == {"gen": {"kind": "cosine", "min": 0.4, "max": 0.9},
                                 "shot": {"kind": "cosine", "min": 0.5, "max": 0.9}}  # fmt: skip
    ids = [r["passage_id"] for r in rows]
    assert len(ids) == len(set(ids))  # max_seeds_per_doc = 1
    assert retrieve(settings, passages, dense_dir, seeds).equals(table)  # deterministic


def test_sharded_index_equals_single(passages: Path, dense_dir: Path, tmp_path: Path) -> None:
    single, _ = load_retriever(RetrievalSettings(), passages, dense_dir)
    sharded, info = load_retriever(RetrievalSettings(shards=4), passages, tmp_path)
    assert info["shards"] == [[0, 38], [38, 75], [75, 112], [112, 150]]
    q = np.ascontiguousarray(single.index_vectors()[:30])  # type: ignore[attr-defined]
    s1, r1 = single.search_vectors(q, 50)  # type: ignore[attr-defined]
    s4, r4 = sharded.search_vectors(q, 50)  # type: ignore[attr-defined]
    np.testing.assert_array_equal(r1, r4)
    np.testing.assert_allclose(s1, s4, rtol=0, atol=1e-6)


def test_index_reuse_rebuild_and_shared_cache(passages: Path, tmp_path: Path) -> None:
    bm = RetrievalSettings(retriever="bm25")
    first = build_index(bm, passages, tmp_path / "run1")
    assert first["reused"] is False
    assert build_index(bm, passages, tmp_path / "run1")["reused"] is True
    changed = build_index(
        RetrievalSettings(retriever="bm25", bm25_k1=1.2), passages, tmp_path / "run1"
    )
    assert changed["reused"] is False and changed["fingerprint"] != first["fingerprint"]
    # search-time settings do not change the fingerprint
    assert build_index(
        RetrievalSettings(retriever="bm25", bm25_k1=1.2, top_k=5), passages, tmp_path / "run1"
    )["reused"]
    cache = tmp_path / "shared"
    a = build_index(
        RetrievalSettings(retriever="bm25", index_cache=str(cache)), passages, tmp_path / "runA"
    )
    b = build_index(
        RetrievalSettings(retriever="bm25", index_cache=str(cache)), passages, tmp_path / "runB"
    )
    assert (a["reused"], b["reused"]) == (False, True)
    assert a["path"] == b["path"] == str(cache / f"bm25-{a['fingerprint'][:16]}")
    assert (
        json.loads((Path(a["path"]) / "index.json").read_text())["fingerprint"] == a["fingerprint"]
    )
    # changed passages -> different fingerprint
    other = tmp_path / "other.parquet"
    pq.write_table(pq.read_table(passages).slice(0, 100), other)
    assert (
        build_index(
            RetrievalSettings(retriever="bm25", index_cache=str(cache)), other, tmp_path / "runC"
        )["reused"]
        is False
    )


def test_bm25_and_random(passages: Path, seeds: pa.Table, tmp_path: Path) -> None:
    bm = retrieve(RetrievalSettings(retriever="bm25", top_k=10), passages, tmp_path / "bm", seeds)
    scores = bm.column("score").to_pylist()
    assert bm.num_rows > 0 and all(s > 0 for s in scores)
    assert any(s > 1.0 for s in scores)  # raw BM25 scores: the cosine band is not applied
    rs = RetrievalSettings(retriever="random", top_k=10)
    r0 = retrieve(rs, passages, tmp_path / "rnd", seeds, seed=0)
    again = retrieve(rs, passages, tmp_path / "rnd", seeds, seed=0)
    other = retrieve(rs, passages, tmp_path / "rnd", seeds, seed=1)
    assert again.drop_columns(["score"]).equals(r0.drop_columns(["score"]))  # NaN != NaN
    assert not other.drop_columns(["score"]).equals(r0.drop_columns(["score"]))
    assert all(np.isnan(s) for s in r0.column("score").to_pylist())
    assert sorted(set(r0.column("role").to_pylist())) == ["gen", "shot"]


def test_seed_table_errors(passages: Path, tmp_path: Path) -> None:
    rs = RetrievalSettings(retriever="random")
    with pytest.raises(InputDataError, match="no column 'label'; its columns are: seed_id, text"):
        retrieve(rs, passages, tmp_path, pa.table({"seed_id": ["a"], "text": ["x"]}))
    dup = pa.table({"seed_id": ["a", "a"], "text": ["x", "y"], "label": ["L", "L"]})
    with pytest.raises(InputDataError, match="Seed id 'a' appears more than once"):
        retrieve(rs, passages, tmp_path, dup)
    with pytest.raises(InputDataError, match="does not exist"):
        build_index(rs, tmp_path / "missing.parquet", tmp_path)
