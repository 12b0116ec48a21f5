"""The run directory: the manifest, the lock and atomic stage folders.

The layout (stage folders, file names) is :mod:`synthesizrr.layout`.

A stage writes into ``.<folder>.partial/`` and is renamed into place only when it
finished, so a crash never leaves a half-written stage folder that a later run reads.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import platform
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from synthesizrr.errors import RunDirError
from synthesizrr.fileio import atomic_write_json, read_manifest
from synthesizrr.layout import LOCK, MANIFEST


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
        return read_manifest(self.path)

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
