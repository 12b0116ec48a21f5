"""File I/O on the ground floor: atomic writes, Parquet, and the versions a file records.

Every file the pipeline or the report writes goes through :func:`atomic_write_bytes` (or
:func:`write_parquet`): a temporary file in the same folder, then ``os.replace``, so a
crash never leaves a half-written file that a later run reads.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import platform
import tempfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from synthesizrr.errors import RunDirError
from synthesizrr.filemode import umask_mode
from synthesizrr.layout import MANIFEST
from synthesizrr.version import __version__

#: Distributions whose versions a run's manifest records.
RUN_PACKAGES = (
    "pydantic", "numpy", "pyarrow", "torch", "sentence-transformers", "faiss-cpu", "bm25s",
    "llama_cpp_python", "openai", "scikit-learn", "spacy", "nltk", "mauve-text", "ray",
)  # fmt: skip


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, umask_mode())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            raise RunDirError(
                f"disk full while writing '{path}'; nothing was overwritten.",
                fix="free disk space and run the same command again (finished work is kept)",
            ) from None
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def write_parquet(table: Any, path: Path) -> None:
    """Atomically write a pyarrow table as Parquet."""
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, umask_mode())
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def read_parquet(path: Path) -> Any:
    import pyarrow.parquet as pq

    return pq.read_table(path)


def read_manifest(run: Path) -> dict[str, Any]:
    """The run directory's ``manifest.json`` (``{}`` when there is none yet)."""
    p = Path(run) / MANIFEST
    if not p.exists():
        return {}
    try:
        data = json.loads(p.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise RunDirError(
            f"'{p}' is not a valid manifest.",
            fix="delete that file to rerun every stage, or use another run name",
        ) from None
    if not isinstance(data, dict):
        raise RunDirError(f"'{p}' is not a valid manifest.", fix="delete it")
    return data


def package_versions(names: Sequence[str] = RUN_PACKAGES, *, own: bool = True) -> dict[str, str]:
    """Python's version, the installed versions of ``names`` (absent ones left out) and,
    with ``own``, synthesizrr's first."""
    out = {"synthesizrr": __version__} if own else {}
    out["python"] = platform.python_version()
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out
