"""The same config and seed give the same dataset on the local and the Ray executor:
a small AG News task (real seeds, real news passages, a 2-shard dense index, the fake
teacher) run to the generate stage both ways and compared row by row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("ray")
pytest.importorskip("faiss")

from synthesizrr.config import RunConfig, config_from_dict  # noqa: E402
from synthesizrr.executors import get_executor  # noqa: E402
from synthesizrr.executors.ray import RayExecutor  # noqa: E402
from synthesizrr.fileio import read_parquet  # noqa: E402
from synthesizrr.metrics.settings import MetricsSettings  # noqa: E402
from synthesizrr.pipeline import runner  # noqa: E402


def make_cfg(shared: Path, run_dir: Path, executor: str) -> RunConfig:
    raw: dict[str, Any] = {
        "name": "same",
        "run_dir": str(run_dir),
        "seed": 7,
        "executor": executor,
        "task": {"preset": "ag_news", "max_new_tokens": 40},
        "seeds": {"path": str(shared / "ag_news" / "train.csv"), "per_label": 2},
        "corpus": {
            "path": str(shared / "corpus_news_passages" / "passages.jsonl.gz"),
            "limit": 60,
        },  # fmt: skip
        "retrieval": {
            "shards": 2,
            "top_k": 8,
            "sim_min": 0.0,
            "shot_sim_min": 0.0,
            "max_seeds_per_doc": 2,
        },  # fmt: skip
        "generation": {
            "per_label": 3,
            "prompt": {"mode": "retricl", "shots": 1},
            "llm": {"backend": "fake", "concurrency": 2},
        },  # fmt: skip
    }
    return config_from_dict(raw, base_dir=shared)


def table(run: Any, stage_folder: str, name: str) -> list[dict[str, Any]]:
    path = run.path / stage_folder / name
    return read_parquet(path).to_pylist()


def test_local_and_ray_give_the_same_dataset(
    ray_cluster: str, shared_data: Path, tmp_path: Path
) -> None:
    local_cfg = make_cfg(shared_data, tmp_path / "local", "local")
    ray_cfg = make_cfg(shared_data, tmp_path / "ray", "ray")
    ray_cfg = ray_cfg.model_copy(update={"ray": ray_cfg.ray.model_copy(update={"llm_workers": 2})})
    executor = get_executor(ray_cfg)
    assert isinstance(executor, RayExecutor)
    assert executor.settings.llm_workers == 2  # the config's ray: section sizes the executor
    local = runner.execute(local_cfg, until="generate").run_dir
    on_ray = runner.execute(ray_cfg, until="generate").run_dir
    index_info = (on_ray.path / "03_index" / "index_info.json").read_text()
    assert '"executor": "ray"' in index_info
    for folder, name in [("02_corpus", "passages.parquet"), ("04_retrieve", "pairs.parquet"),
                         ("05_generate", "generations.parquet"),
                         ("05_generate", "dropped.parquet")]:  # fmt: skip
        want, got = table(local, folder, name), table(on_ray, folder, name)
        assert len(got) == len(want), name
        for row_got, row_want in zip(got, want, strict=True):
            assert row_got == row_want, name
    assert len(table(local, "05_generate", "generations.parquet")) >= 8


def test_metrics_on_ray_equal_local(ray_cluster: str) -> None:
    from synthesizrr.executors import LocalExecutor

    settings = MetricsSettings(metrics=["distinct_n", "self_bleu"])
    texts = ["the cat sat on the mat", "a dog ran in the park", "the cat ran home",
             "stocks fell on monday", "the market rallied late"]  # fmt: skip
    labels = ["a", "a", "a", "b", "b"]
    want = LocalExecutor().compute_metrics(settings, texts, labels, progress=False)
    got = RayExecutor().compute_metrics(settings, texts, labels, progress=False)
    assert sorted(got) == sorted(want) == ["distinct_n", "self_bleu"]
    assert {k: v.to_dict() for k, v in got.items()} == {k: v.to_dict() for k, v in want.items()}
