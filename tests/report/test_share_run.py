"""A real (fake-teacher, BM25) run shared three ways: `load_dataset` on its folder,
`publish` to a Hub stand-in, `export --format argilla`; all through the real CLI."""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml
from hub_standin import FakeHub

WORDS = {
    "sports": ["match", "team", "goal", "league", "coach", "player", "season", "score"],
    "business": ["market", "shares", "profit", "company", "bank", "investor", "trade", "price"],
}


def _project(root: Path) -> None:
    rng = random.Random(0)
    with (root / "seeds.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label"])
        w.writerows((" ".join(rng.choice(ws) for _ in range(12)), lab)
                    for lab, ws in WORDS.items() for _ in range(4))  # fmt: skip
    docs = [{"id": f"d{i}", "text": " ".join(rng.choice(WORDS[sorted(WORDS)[i % 2]] + ["the", "of"])
                                             for _ in range(40)) + "."} for i in range(40)]  # fmt: skip
    (root / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs), "utf-8")


def _config(root: Path, name: str, per_label: int, **extra: Any) -> Path:
    cfg = {
        "name": name,
        "task": {"labels": {"sports": "sports news", "business": "business news"},
                 "instruction": "Write a short news summary about {label_description}."},
        "seeds": {"path": "seeds.csv", "per_label": 4},
        "corpus": {"path": "corpus.jsonl", "min_tokens": 5},
        "retrieval": {"retriever": "bm25", "top_k": 10, "sim_min": None, "sim_max": None},
        "generation": {"per_label": per_label, "prompt": {"mode": "retricl", "shots": 1},
                       "llm": {"backend": "fake"}},
        "refine": {"cartography": {"enabled": False}, "near_dup": False,
                   "label_check": {"enabled": False}},
        "evaluation": {"metrics": {"metrics": ["distinct_n"]}},
        **extra,
    }  # fmt: skip
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), "utf-8")
    return path


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    full = {**{k: v for k, v in os.environ.items() if not k.startswith("HF_")},
            "COLUMNS": "200", **(env or {})}  # fmt: skip
    proc = subprocess.run([sys.executable, "-m", "synthesizrr.cli", *args], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_a_run_published_and_exported_for_argilla(tmp_path: Path) -> None:
    pytest.importorskip("huggingface_hub")
    from huggingface_hub import DatasetCard

    _project(tmp_path)
    cli("run", str(_config(tmp_path, "news", 6, card={"license": "cc-by-4.0"})), "-q",
        cwd=tmp_path)  # fmt: skip
    run = tmp_path / "runs" / "news"
    rows = pq.read_table(run / "dataset" / "train.parquet").to_pylist()
    assert len(rows) == 12
    card = DatasetCard.load(run / "dataset" / "README.md")
    assert (card.data.license, card.data.source_datasets) == (
        "cc-by-4.0",
        ["seeds.csv", "corpus.jsonl"],
    )

    with FakeHub(token="hf_run") as hub:
        env = {"HF_ENDPOINT": hub.endpoint, "HF_TOKEN": "hf_run", "HF_HOME": str(tmp_path / "h")}
        cli("publish", str(run), "--repo-id", "org/news", cwd=tmp_path, env=env)
        files = hub.repos["datasets/org/news"].files
    assert sorted(files) == [".argilla/dataset.json", ".argilla/settings.json", "README.md",
                             "config.yaml", "manifest.json", "metrics.json", "train.parquet"]  # fmt: skip
    assert files["train.parquet"] == (run / "dataset" / "train.parquet").read_bytes()
    assert yaml.safe_load(files["config.yaml"])["card"]["license"] == "cc-by-4.0"
    # the published config is the run folder's, less the folder of this machine it names
    local = yaml.safe_load((run / "config.yaml").read_text("utf-8"))
    assert local.pop("paths_relative_to") == str(tmp_path)
    assert yaml.safe_load(files["config.yaml"]) == local
    assert str(tmp_path) not in files["config.yaml"].decode("utf-8")
    assert json.loads(files["manifest.json"])["stages"]["report"]["status"] == "done"

    cli("export", str(run), "--format", "argilla", str(tmp_path / "review"), cwd=tmp_path)
    records = json.loads((tmp_path / "review" / "records.json").read_text("utf-8"))
    assert [r["id"] for r in records] == [r["row_id"] for r in rows]
    assert [r["suggestions"]["label"]["value"] for r in records] == [r["label"] for r in rows]
    assert all(r["id"] == f"{r['metadata']['seed_id']}|{r['metadata']['passage_id']}"
               for r in records)  # fmt: skip


_LOAD = (
    "import json, sys\nfrom datasets import load_dataset\n"
    "print(json.dumps([list(load_dataset(p)['train']['text']) for p in sys.argv[1:]]))"
)


def _load(paths: list[Path], hf_home: Path) -> list[list[str]]:
    env = {**os.environ, "HF_HOME": str(hf_home), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    env.pop("HF_DATASETS_CACHE", None)
    proc = subprocess.run([sys.executable, "-c", _LOAD, *map(str, paths)], env=env,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_two_real_runs_and_a_rerun_load_their_own_rows_from_one_cache(tmp_path: Path) -> None:
    """Issue #13 item 3, on real runs: one HF_HOME, ``load_dataset`` per run folder."""
    pytest.importorskip("datasets")
    _project(tmp_path)
    cli("run", str(_config(tmp_path, "a", 6)), "-q", cwd=tmp_path)
    cli("run", str(_config(tmp_path, "b", 3)), "-q", cwd=tmp_path)
    a, b = tmp_path / "runs" / "a" / "dataset", tmp_path / "runs" / "b" / "dataset"

    def texts(folder: Path) -> list[str]:
        return pq.read_table(folder / "train.parquet").column("text").to_pylist()

    hf_home = tmp_path / "hf-home"
    assert _load([a, b], hf_home) == [texts(a), texts(b)]
    assert (len(texts(a)), len(texts(b))) == (12, 6)
    # Regenerate run a with other settings: the same folder now holds other rows.
    cli("run", str(_config(tmp_path, "a", 4)), "-q", cwd=tmp_path)
    assert len(texts(a)) == 8
    assert _load([a, b], hf_home) == [texts(a), texts(b)]
