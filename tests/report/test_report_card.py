from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from huggingface_hub import DatasetCard, DatasetCardData
from report_fakes import LABELS, make_fake_run

from synthesizrr.report import write_dataset_card
from synthesizrr.report.card import COLUMN_DOCS


def _front_matter(text: str) -> dict[str, object]:
    assert text.startswith("---\n")
    head, _, _ = text[4:].partition("\n---\n")
    data = yaml.safe_load(head)
    assert isinstance(data, dict)
    return data


def test_card_front_matter_and_content(tmp_path: Path) -> None:
    run = make_fake_run(tmp_path)
    out = write_dataset_card(run, run / "dataset" / "README.md")
    assert out == run / "dataset" / "README.md"
    text = out.read_text("utf-8")
    sha = hashlib.sha256((run / "dataset" / "train.parquet").read_bytes()).hexdigest()
    # The Hub's own card parser reads every convention key.
    card = DatasetCard.load(out)
    assert isinstance(card.data, DatasetCardData)
    data = card.data
    assert data.task_categories == ["text-classification"]
    assert data.task_ids == ["multi-class-classification"]
    assert data.size_categories == ["n<1K"]
    assert data.language == ["en"]
    assert data.license is None  # unset by default; the body says so
    assert data.annotations_creators == ["machine-generated"]
    assert data.language_creators == ["machine-generated"]
    assert data.source_datasets == ["data/seeds.csv", "data/corpus.jsonl"]
    assert data.pretty_name == "fake_retricl (synthetic, SynthesizRR)"
    assert data.tags == ["synthetic", "synthesizrr", "retricl"]
    assert data.configs == [
        {"config_name": "default", "data_files": [{"split": "train", "path": "train.parquet"}],
         "description": f"fake_retricl: 16 rows, train.parquet sha256 {sha}"}
    ]  # fmt: skip
    assert _front_matter(text) == data.to_dict()
    assert card.text.startswith("\n# fake_retricl: a synthetic text-classification dataset\n")
    assert "- License: not set. Set `card.license` in the config" in text
    # task, teacher, sizes, metrics, provenance, columns
    assert "- Name: ag_news" in text
    assert "passages retrieved from an unlabeled corpus were rewritten by the teacher" in text
    assert "**smollm2-135m-instruct**" in text
    for lab in LABELS:
        assert f"| {lab} | news about {lab.lower()} | 4 |" in text
    assert "| **total** | | **16** |" in text
    assert (
        "| retricl | 16 | 82.5 ± 1.2 | 82.1 ± 1.1 | 70.0 | 85.0 | +15.0 [+8.0, +22.0] | n/a | 90.0 | "
        "0.210 | 0.150 | 7.25 | 0.610 |" in text
    )
    # the number a user decides on opens the Metrics section, in words
    metrics = text.split("## Metrics\n", 1)[1]
    assert metrics.startswith(
        "\n**Does this data help?** The synthetic rows help: seeds + synthetic beats the seeds "
        "alone (+15.0 points, 95% CI +8.0 to +22.0). The same student scores 70.0% on the real "
        "test set when trained on the seeds alone and 85.0% on the seeds plus these rows "
        "(interval: 95% paired bootstrap over the 40 test rows (1000 resamples); training rows "
        "fixed).\n"
    )
    assert ("- seeds only: accuracy 70.0, macro-F1 82.1 ± 1.1; trained on 8 real seed "
            "rows, tested on 40 real rows") in text  # fmt: skip
    assert ("- seeds plus synthetic: accuracy 85.0, macro-F1 82.1 ± 1.1; trained on 24 "
            "seed + synthetic rows, tested on 40 real rows") in text  # fmt: skip
    assert "- Corpus: data/corpus.jsonl" in text
    assert "- Generation: 22 planned, 20 kept, 2 dropped, 0 failed, 2640 tokens" in text
    assert "- Refinement: 20 input, 16 kept, 4 removed" in text
    assert "- Seeds: data/seeds.csv (2 per label asked, 8 drawn)" in text
    assert ("- student: accuracy 82.5 ± 1.2, macro-F1 82.1 ± 1.1; trained on 16 synthetic rows, "
            "tested on 40 real rows (`student:tfidf_logreg|seeds:2`)") in text  # fmt: skip
    assert ("- gold: accuracy 90.0, macro-F1 82.1 ± 1.1; trained on 16 real rows, "
            "tested on 40 real rows (`student:tfidf_logreg|seeds:2`)") in text  # fmt: skip
    assert "- self_bleu: `self_bleu|n:1-5|smooth:method1`" in text
    assert "- mauve: `mauve|features:minilm`" in text
    assert ("- Label preservation: 75.0% of rows were classified as their intended label by an "
            "oracle trained on real data (`oracle:tfidf_logreg`); the other 25.0% may not fit "
            "their label.") in text  # fmt: skip
    assert "- Teacher size: the teacher here is `smollm2-135m-instruct`. The paper's" in text
    columns = pq.read_schema(run / "dataset" / "train.parquet").names
    for col in columns:
        assert f"| `{col}` |" in text
        assert COLUMN_DOCS[col].replace("|", "\\|") in text


def test_card_without_metrics_or_dataset(tmp_path: Path) -> None:
    run = make_fake_run(tmp_path, mode="fewgen", student=False)
    (run / "metrics.json").unlink()
    (run / "07_evaluate" / "metrics.json").unlink()
    text = write_dataset_card(run, tmp_path / "card.md").read_text("utf-8")
    assert "## Metrics\n\nnot available (07_evaluate/metrics.json is missing)" in text
    assert "- Corpus: none (no retrieval)" in text
    assert "- Retriever: none" in text
    assert ("(prompt mode `fewgen`): the teacher wrote new examples of each label from a few real "
            "seed examples in the prompt (no retrieval; the FewGen baseline), then filtered.") in text  # fmt: skip
    assert "- Label preservation: not measured; some texts may not fit their label." in text

    empty = tmp_path / "empty"
    empty.mkdir()
    text = write_dataset_card(empty, tmp_path / "card2.md").read_text("utf-8")
    assert _front_matter(text)["configs"] is not None
    assert "## Columns\n\nnot available (no dataset file in this run)" in text


def test_dataset_loads_with_datasets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")
    run = make_fake_run(tmp_path)
    write_dataset_card(run, run / "dataset" / "README.md")
    cache = str(tmp_path / "hf-cache")
    from_json = datasets.load_dataset(
        "json", data_files=str(run / "dataset" / "train.jsonl"), cache_dir=cache
    )
    from_folder = datasets.load_dataset(str(run / "dataset"), cache_dir=cache)
    assert list(from_folder) == ["train"] and list(from_json) == ["train"]
    expected = pq.read_table(run / "dataset" / "train.parquet").to_pylist()
    assert from_folder["train"].num_rows == from_json["train"].num_rows == 16
    assert from_folder["train"].column_names == list(expected[0])
    assert from_folder["train"]["text"] == [r["text"] for r in expected]
    assert from_json["train"]["label"] == [r["label"] for r in expected]
    assert from_folder["train"][0]["shot_ids"] == expected[0]["shot_ids"]


def test_card_license_and_sources_from_config(tmp_path: Path) -> None:
    run = make_fake_run(tmp_path)
    manifest = json.loads((run / "manifest.json").read_text("utf-8"))
    manifest["config"]["card"] = {"license": "cc-by-4.0", "language": ["en", "de"],
                                  "source_datasets": ["fancyzhx/ag_news"]}  # fmt: skip
    (run / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    out = write_dataset_card(run, run / "dataset" / "README.md")
    data = DatasetCard.load(out).data
    assert (data.license, data.language, data.source_datasets) == (
        "cc-by-4.0", ["en", "de"], ["fancyzhx/ag_news"])  # fmt: skip
    assert "- License: `cc-by-4.0` (from `card.license` in the config)" in out.read_text("utf-8")


def test_card_names_the_band_the_retrieve_stage_used(tmp_path: Path) -> None:
    """Unset cosine bounds mean the measured percentile band: the card says the band the
    run used (from the retrieve stage), not the 0.4-0.9 defaults of the config's fields."""
    run = make_fake_run(tmp_path)
    text = write_dataset_card(run, tmp_path / "card.md").read_text("utf-8")
    assert ("- Retriever: retriever dense, model minilm, top_k 5, generation band percentile "
            "10-99 (min 0.2848, max 0.5853)\n") in text  # fmt: skip
    # A run from before the stage recorded its band: the config's bounds, as written.
    manifest = json.loads((run / "manifest.json").read_text("utf-8"))
    manifest["stages"]["retrieve"]["summary"] = {"pairs": 40}
    manifest["config"]["retrieval"] |= {"sim_min": 0.3, "sim_max": 0.9}
    (run / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    text = write_dataset_card(run, tmp_path / "card2.md").read_text("utf-8")
    assert "- Retriever: retriever dense, model minilm, top_k 5, sim_min 0.3, sim_max 0.9\n" in text
