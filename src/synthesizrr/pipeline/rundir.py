"""The run directory: atomic files, the manifest, and the lock.

Layout of ``runs/<name>/``::

    manifest.json        config, versions, seed, each stage's fingerprint and status
    config.yaml          the resolved config of the last run
    cache/requests.sqlite  request cache and ledger (survives stage reruns)
    01_seeds/ 02_corpus/ 03_index/ 04_retrieve/ 05_generate/ 06_refine/ 07_evaluate/
    dataset/             the published dataset (JSONL, Parquet, dataset card)
    report.html, metrics.json

A stage writes into ``.<folder>.partial/`` and is renamed into place only when it
finished, so a crash never leaves a half-written stage folder that a later run reads.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from synthesizrr import __version__
from synthesizrr.errors import RunDirError
from synthesizrr.filemode import umask_mode

MANIFEST = "manifest.json"
LOCK = ".lock"
_VERSIONED = (
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


def as_run_dir_error(exc: BaseException, where: Path) -> RunDirError:
    """The :class:`RunDirError` a user should see for a filesystem failure in the run
    directory: a full disk, a read-only filesystem, missing permissions, or another OSError."""
    import sqlite3

    text = str(exc)
    if (
        (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT))
        or (isinstance(exc, sqlite3.Error) and "disk is full" in text)
        or "No space left on device" in text
    ):
        return RunDirError(
            f"disk full while writing in '{where}'; finished work is kept.",
            fix="free disk space and run the same command again",
        )
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        reason = (exc.strerror or "permission denied").lower()
        return RunDirError(
            f"run directory '{where}' is not writable ({reason}).",
            fix="choose a writable run_dir or fix the folder's permissions",
        )
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else text
    return RunDirError(
        f"cannot write in run directory '{where}' ({reason}).",
        fix="check the path (a file where the folder should be?) or choose another run_dir",
    )


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


def package_versions() -> dict[str, str]:
    out = {"synthesizrr": __version__, "python": platform.python_version()}
    for name in _VERSIONED:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


class RunDir:
    """A run folder: the manifest and stage folders, guarded by an exclusive lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_fh: Any = None

    # -- lock ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self) -> Iterator[RunDir]:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / ".write-probe"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise as_run_dir_error(exc, self.path) from None
        try:
            fh = open(self.path / LOCK, "a+")  # noqa: SIM115 - held for the whole run
        except OSError as exc:
            raise as_run_dir_error(exc, self.path) from None
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise RunDirError(
                f"run directory '{self.path}' is in use by {holder}.",
                fix="wait for that run to finish, or give this run another name",
            ) from None
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()} on {platform.node()} since {time.strftime('%H:%M:%S')}")
            fh.flush()
        except OSError as exc:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            with contextlib.suppress(OSError):
                fh.close()
            raise as_run_dir_error(exc, self.path) from None
        self._lock_fh = fh
        self._remove_debris()
        try:
            yield self
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            fh.close()
            self._lock_fh = None

    def _remove_debris(self) -> None:
        """Delete what a killed run left behind: temporary files of atomic writes and
        unfinished stage folders. Safe because we hold the lock; nothing reads them."""
        for p in list(self.path.iterdir()):
            if p.is_dir() and p.name.startswith(".") and p.name.endswith((".partial", ".old")):
                shutil.rmtree(p, ignore_errors=True)
        for p in list(self.path.rglob(".*.tmp")):
            if p.is_file():
                with contextlib.suppress(OSError):
                    p.unlink()

    # -- manifest -------------------------------------------------------------------------
    def read_manifest(self) -> dict[str, Any]:
        p = self.path / MANIFEST
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

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        atomic_write_json(self.path / MANIFEST, manifest)

    # -- stage folders ----------------------------------------------------------------------
    def stage_dir(self, folder: str) -> Path:
        return self.path / folder

    def partial_dir(self, folder: str) -> Path:
        p = self.path / f".{folder}.partial"
        if p.exists():
            shutil.rmtree(p)
        p.mkdir(parents=True)
        return p

    def commit_stage(self, folder: str) -> Path:
        partial = self.path / f".{folder}.partial"
        final = self.path / folder
        if final.exists():
            old = self.path / f".{folder}.old"
            if old.exists():
                shutil.rmtree(old)
            os.replace(final, old)
            os.replace(partial, final)
            shutil.rmtree(old)
        else:
            os.replace(partial, final)
        return final
