"""The layout of a run directory: stage folders and file names, written down once.

    runs/<name>/
      manifest.json          config, versions, seed, each stage's fingerprint and status
      config.yaml            the resolved config of the last run
      cache/requests.sqlite  request cache and ledger (survives stage reruns)
      01_seeds/ 02_corpus/ 03_index/ 04_retrieve/ 04b_leakage/ 05_generate/
      06_refine/ 07_evaluate/ 08_report/
      dataset/               the published dataset (JSONL, Parquet, dataset card)
      report.html, metrics.json

The pipeline writes this layout and the report reads it; both take the names from here.
"""

from __future__ import annotations

import os
from pathlib import Path

MANIFEST = "manifest.json"
LOCK = ".lock"
CONFIG = "config.yaml"
REQUEST_CACHE = Path("cache") / "requests.sqlite"
DATASET_DIR = "dataset"
REPORT = "report.html"
METRICS = "metrics.json"

#: Stage name -> its folder, in pipeline order.
STAGE_FOLDERS: dict[str, str] = {
    "seeds": "01_seeds",
    "corpus": "02_corpus",
    "index": "03_index",
    "retrieve": "04_retrieve",
    "leakage": "04b_leakage",
    "generate": "05_generate",
    "refine": "06_refine",
    "evaluate": "07_evaluate",
    "report": "08_report",
}

# Files inside the stage folders.
SEEDS = "seeds.parquet"  # seeds
PASSAGES = "passages.parquet"  # corpus
CORPUS_STATS = "stats.json"  # corpus
INDEX_INFO = "index_info.json"  # index
PAIRS = "pairs.parquet"  # retrieve
LEAKAGE = "leakage.json"  # leakage
GENERATIONS = "generations.parquet"  # generate
DROPPED = "dropped.parquet"  # generate
SUMMARY = "summary.json"  # generate, refine
FINAL_DATASET = "dataset.parquet"  # refine
REMOVED = "removed.parquet"  # refine
DATAMAP = "datamap.parquet"  # refine
STAGE_METRICS = "metrics.json"  # evaluate (copied to the run folder)
DONE = "done.txt"  # report

# Files of the published dataset folder.
TRAIN_PARQUET = "train.parquet"
TRAIN_JSONL = "train.jsonl"
CARD = "README.md"


def stage_file(run: Path, stage: str, filename: str = "") -> Path:
    """``run/<stage folder>/filename``."""
    return Path(run) / STAGE_FOLDERS[stage] / filename


def cache_root() -> Path:
    """The user-level cache shared by runs (assembled models, ONNX exports):
    ``$SYNTHESIZRR_CACHE``, else ``$XDG_CACHE_HOME/synthesizrr``, else ``~/.cache/synthesizrr``."""
    root = os.environ.get("SYNTHESIZRR_CACHE")
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = os.path.join(xdg, "synthesizrr") if xdg else "~/.cache/synthesizrr"
    return Path(os.path.expanduser(root))
