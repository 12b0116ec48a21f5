"""The whole loop on the embedded defaults and real data: AG News, 4 labels x 5 seeds,
about 40 generations by SmolLM2 (llama.cpp), dense MiniLM retrieval, the student scored on
real AG News test rows. This guards the main job, so it runs in CI although it is slow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthesizrr.api import run
from synthesizrr.config import load_config

REPO = Path(__file__).resolve().parents[1]
LABELS = {"World", "Sports", "Business", "Sci/Tech"}
PROVENANCE = {
    "row_id", "text", "label", "seed_id", "passage_id", "doc_id", "retrieval_rank",
    "retrieval_score", "shot_ids", "prompt_hash", "model", "temperature", "top_p",
    "max_tokens", "prompt_tokens", "completion_tokens",
}  # fmt: skip


@pytest.mark.slow
def test_ag_news_end_to_end_on_embedded_teacher(shared_data: Path, tmp_path: Path) -> None:
    cfg = load_config(REPO / "examples" / "ag_news_small.yaml", {"run_dir": str(tmp_path)})
    events: list[tuple[str, str]] = []
    handle = run(cfg, on_event=lambda s, st, _: events.append((s, st)))
    done = [s for s, st in events if st in ("done", "incomplete")]
    assert done == ["seeds", "corpus", "index", "retrieve", "leakage", "generate", "refine",
                    "evaluate", "report"]  # fmt: skip
    leak = handle.manifest["stages"]["leakage"]["summary"]
    assert (leak["test_texts"], leak["seeds_checked"], leak["ngram"]) == (7600, 20, 13)

    seeds = handle.manifest["stages"]["seeds"]["summary"]
    assert seeds == {"seeds": 20, "per_label": {lab: 5 for lab in
                     ["World", "Sports", "Business", "Sci/Tech"]}}  # fmt: skip
    gen = json.loads((handle.stage_path("generate", "summary.json")).read_text())
    assert gen["planned"] == 40
    assert gen["kept"] + gen["dropped"] + gen["failed"] == 40
    assert gen["failed"] == 0 and gen["kept"] >= 20

    data = handle.dataset
    rows = data.to_pylist()
    assert set(data.column_names) >= PROVENANCE
    assert 0 < len(rows) <= gen["kept"]
    assert {r["label"] for r in rows} <= LABELS and len({r["label"] for r in rows}) >= 3
    seed_ids = {s["seed_id"]: s["label"] for s in
                __import__("pyarrow.parquet").parquet.read_table(
                    handle.stage_path("seeds", "seeds.parquet")).to_pylist()}  # fmt: skip
    for r in rows:
        assert r["text"].strip() and r["model"] == "llamacpp:SmolLM2-135M-Instruct.Q4_1.gguf"
        assert seed_ids[r["seed_id"]] == r["label"]  # the pair inherits the seed's label
        assert r["retrieval_rank"] >= 3 and 0.3 <= r["retrieval_score"] <= 0.9
        assert r["row_id"] == f"{r['seed_id']}|{r['passage_id']}"
        assert r["completion_tokens"] > 0
    # no document serves two seeds (reuse cap 1)
    assert len({r["passage_id"] for r in rows}) == len(rows)

    m = handle.metrics
    assert m["student"]["n_test"] == 2000
    assert m["student"]["accuracy_mean"] > 0.25 + 0.10  # beats chance (4 balanced labels)
    assert m["gold"]["n_train"] == len(rows)
    assert (handle.path / "dataset" / "train.jsonl").exists()
    assert handle.report_path.exists()

    # a second run with the same config skips every stage and sends no request
    events.clear()
    run(cfg, on_event=lambda s, st, _: events.append((s, st)))
    assert {st for _, st in events} == {"skipped"}
