"""Config validation: every bad value names the file, the field path and the fix."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from synthesizrr.config import load_config
from synthesizrr.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
GOOD = """\
name: t
task:
  preset: ag_news
seeds:
  path: seeds.csv
  per_label: 5
corpus:
  path: corpus.jsonl
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "cfg.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_good_config_fills_paper_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, GOOD))
    assert cfg.generation.prompt.mode.value == "retricl"
    assert (cfg.generation.temperature, cfg.generation.top_p) == (0.95, 0.9)
    assert (cfg.retrieval.sim_min, cfg.retrieval.sim_max, cfg.retrieval.top_k) == (0.4, 0.9, 50)
    assert cfg.retrieval.max_seeds_per_doc == 1
    assert cfg.generation.llm.backend == "llamacpp" and cfg.generation.llm.model == "smollm2"
    assert cfg.run_path == tmp_path.resolve() / "runs" / "t"
    assert cfg.resolve("seeds.csv") == tmp_path.resolve() / "seeds.csv"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD + "retreival: {}\n", r"cfg.yaml: retreival: unknown key. Did you mean 'retrieval'\?"),
        (
            GOOD.replace("per_label: 5", "per_label: 5\n  per_lable: 3"),
            r"seeds.per_lable: unknown key. Did you mean 'per_label'\? Valid keys here: path, ",
        ),
        (
            GOOD.replace("per_label: 5", "per_label: -5"),
            r"seeds.per_label: Input should be greater than 0 \(got -5\)",
        ),
        (
            GOOD.replace("per_label: 5", "per_label: five"),
            r"seeds.per_label: Input should be a valid integer",
        ),
        (
            GOOD + "generation:\n  prompt:\n    mode: retrieval\n",
            r"generation.prompt.mode: Input should be 'retricl', 'non_retricl', 'fewgen' or 'zerogen'",
        ),
        (
            GOOD.replace("  preset: ag_news", "  preset: ag_news\n  labels: {}"),
            r"task.labels: a classification task needs at least 2 labels",
        ),
        (
            GOOD.replace("  preset: ag_news", "  preset: ag_news\n  labels: {a: x, b: ''}"),
            r"task.labels: label 'b' has no description",
        ),
        (
            GOOD.replace("  preset: ag_news", "  preset: ag_news\n  labels:\n    a: x\n    a: y"),
            r"duplicate key 'a' at line 6 \(first at line 5\)",
        ),
        (
            GOOD.replace("corpus:\n  path: corpus.jsonl\n", ""),
            r"mode 'retricl' retrieves documents, so a 'corpus' section is required",
        ),
        (GOOD.replace("name: t", "name: 'bad name/'"), r"name: String should match pattern"),
        (
            GOOD + "evaluation:\n  synthetic_weight: 0\n",
            r"evaluation.synthetic_weight: synthetic_weight must be 'auto' or a number > 0, "
            r"got 0.0 \(got 0\)",
        ),
        ("name: t\ntask: [\n", r"line 3, column 1: invalid YAML"),
        ("- a\n- b\n", r"the config must be a YAML mapping of sections, got list"),
        (GOOD.replace("name: t\n", ""), r"name: required field is missing"),
    ],
)
def test_bad_config_is_rejected_with_field_path(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text))


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file '.*nope.yaml' does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_overrides_use_dotted_paths(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, GOOD), {"generation.per_label": 7, "seed": 3})
    assert (cfg.generation.per_label, cfg.seed) == (7, 3)


@pytest.mark.parametrize("name", ["ag_news", "imdb", "ag_news_small", "openai_server"])
def test_examples_validate(name: str) -> None:
    cfg = load_config(REPO / "examples" / f"{name}.yaml")
    assert cfg.seeds.path.startswith("../../shared/data/")


def test_cli_reports_config_error_on_one_line_with_exit_code_2(tmp_path: Path) -> None:
    cfg = write(tmp_path, GOOD + "retreival: {}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "synthesizrr.cli", "validate", str(cfg)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "retreival: unknown key" in lines[0]


def test_import_is_light(heavy_after_import: Callable[[list[str], set[str]], list[str]]) -> None:
    heavy = {"torch", "llama_cpp", "faiss", "spacy", "ray", "sklearn", "transformers",
             "sentence_transformers"}  # fmt: skip
    modules = ["synthesizrr", "synthesizrr.config", "synthesizrr.api"]
    assert heavy_after_import(modules, heavy) == []


def test_ray_section_is_validated(tmp_path: Path) -> None:
    from synthesizrr.config import config_from_dict

    raw = {
        "name": "r",
        "executor": "ray",
        "ray": {"llm_workers": 3, "embed_workers": 2},
        "task": {"preset": "ag_news"},
        "seeds": {"path": "seeds.csv"},
        "generation": {"prompt": {"mode": "fewgen"}},
    }
    cfg = config_from_dict(raw, base_dir=tmp_path)
    assert (cfg.ray.llm_workers, cfg.ray.embed_workers) == (3, 2)
    raw["ray"] = {"llm_worker": 3}
    with pytest.raises(ConfigError, match=r"ray\.llm_worker"):
        config_from_dict(raw, base_dir=tmp_path)


BOUNDS = ("sim_min", "sim_max", "shot_sim_min", "shot_sim_max")


@pytest.mark.parametrize(
    "retrieval",
    [
        {},  # the measured percentile bands of the bundled embedder
        {"sim_band": {"percentile": [5, 95]}},
        {"sim_min": 0.3},  # the generation band in cosines, the shot band measured
        {"sim_min": None},
        {"retriever": "bm25"},  # no score bound unless one is set
        {"retriever": "bm25", "sim_min": 12.5},
    ],
)
@pytest.mark.parametrize("dump", ["run_folder_copy", "validate"])
def test_a_dumped_config_loads_back_to_the_same_retrieval(
    tmp_path: Path, retrieval: dict[str, object], dump: str
) -> None:
    """The run folder's config.yaml and `validate`'s output once wrote every cosine bound
    out, so loading them back set the bounds: the measured band became 0.4-0.9 cosines,
    a bm25 run got a 0.4-0.9 score band, and a sim_band config did not load at all."""
    import yaml

    from synthesizrr.config import config_from_dict, dump_run_config
    from synthesizrr.config_export import dump_portable

    data = yaml.safe_load(GOOD) | {"retrieval": retrieval}
    cfg = config_from_dict(data, base_dir=tmp_path)
    text = (dump_run_config if dump == "run_folder_copy" else dump_portable)(cfg)
    back = config_from_dict(yaml.safe_load(text), base_dir=tmp_path / "elsewhere")
    r, b = cfg.retrieval, back.retrieval
    assert [b.band(w) for w in ("gen", "shot")] == [r.band(w) for w in ("gen", "shot")]
    assert [b.band_applies(n) for n in BOUNDS] == [r.band_applies(n) for n in BOUNDS]
    assert b.model_fields_set & set(BOUNDS) == r.model_fields_set & set(BOUNDS)
    # Loading the copy once more writes the same text: nothing drifts run after run.
    assert (dump_run_config if dump == "run_folder_copy" else dump_portable)(back) == text


def test_unset_bounds_are_left_out_of_the_dump_and_set_ones_kept() -> None:
    import yaml

    from synthesizrr.config import config_from_dict

    cfg = config_from_dict(yaml.safe_load(GOOD) | {"retrieval": {"sim_max": 0.8}})
    out = cfg.dump_as_given()["retrieval"]
    assert [n for n in BOUNDS if n in out] == ["sim_max"] and out["sim_max"] == 0.8
    assert out["top_k"] == 50 and out["sim_band"] is None  # other defaults filled in
    assert cfg.retrieval.band("gen") == ("cosine", 0.4, 0.8)
    assert cfg.retrieval.band("shot") == ("percentile", 10.0, 99.0)
