from __future__ import annotations

import csv
from pathlib import Path

import pytest


def read_labeled(path: Path, limit: int | None = None) -> tuple[list[str], list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows = rows[:limit] if limit is not None else rows
    return [r["text"] for r in rows], [r["label"] for r in rows]


@pytest.fixture(scope="session")
def ag_train(shared_data: Path) -> tuple[list[str], list[str]]:
    return read_labeled(shared_data / "ag_news" / "train.csv")


@pytest.fixture(scope="session")
def ag_test(shared_data: Path) -> tuple[list[str], list[str]]:
    return read_labeled(shared_data / "ag_news" / "test.csv")
