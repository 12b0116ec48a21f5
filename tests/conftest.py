from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout; tests that need it skip where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (it is beside the repo in CI)")
    return SHARED_DATA


def _heavy_after_import(modules: list[str], heavy: set[str]) -> list[str]:
    """Which of ``heavy`` a fresh interpreter has loaded after importing ``modules``."""
    code = (
        f"import sys\nfor m in {modules!r}: __import__(m)\n"
        f"print(','.join(sorted({sorted(heavy)!r} & sys.modules.keys())))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


@pytest.fixture(scope="session")
def heavy_after_import() -> Callable[[list[str], set[str]], list[str]]:
    """``heavy_after_import(modules, heavy)``: the heavy libraries importing ``modules``
    loads, checked in a fresh interpreter (this one has them all loaded already)."""
    return _heavy_after_import
