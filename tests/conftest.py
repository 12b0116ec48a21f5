from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
#: The installed ``synthesizrr`` console script of this interpreter's environment.
ENTRY_POINT = Path(sys.executable).parent / "synthesizrr"
CliRun = Callable[..., subprocess.CompletedProcess[str]]


def entry_point_env(extra: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The environment of a CLI subprocess: this checkout's ``src`` first on the path, the
    hub offline, no ``COLUMNS`` (output width is the CLI's own business); ``extra`` adds
    variables, and removes those it maps to None."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")])
    env["HF_HUB_OFFLINE"] = "1"
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _run_entry_point(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str | None] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    assert ENTRY_POINT.is_file(), f"{ENTRY_POINT} is missing: pip install -e . first"
    return subprocess.run(
        [str(ENTRY_POINT), *args], cwd=cwd, env=entry_point_env(env), capture_output=True,
        text=True, timeout=timeout, check=False,
    )  # fmt: skip


def _start_entry_point(
    *args: str, cwd: Path | None = None, env: Mapping[str, str | None] | None = None
) -> subprocess.Popen[str]:
    assert ENTRY_POINT.is_file(), f"{ENTRY_POINT} is missing: pip install -e . first"
    return subprocess.Popen(
        [str(ENTRY_POINT), *args], cwd=cwd, env=entry_point_env(env), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.fixture(scope="session")
def synthesizrr_start() -> Callable[..., subprocess.Popen[str]]:
    """``synthesizrr_start(*args, cwd=None, env=None)``: the console script as a ``Popen``
    (for tests that signal it)."""
    return _start_entry_point


@pytest.fixture(scope="session")
def synthesizrr() -> CliRun:
    """``synthesizrr(*args, cwd=None, env=None, timeout=300)``: the real console script in
    a subprocess (stdout and stderr are pipes, so not a terminal)."""
    return _run_entry_point


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
