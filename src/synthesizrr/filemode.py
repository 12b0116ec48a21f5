"""File modes that follow the umask.

``tempfile`` creates files 0600 and folders 0700, and the atomic writes rename such files
into place. Everything synthesizrr writes gets the mode ``open()``/``mkdir()`` would give
instead, so teammates can read a shared run. No file holds a secret (API keys are read
from the environment and never written), so none needs 0600.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def current_umask() -> int:
    """The process umask (read without changing it where ``/proc`` allows)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def umask_mode(mode: int = 0o666) -> int:
    """``mode`` as ``open()``/``mkdir()`` would create it: 0o644 for files and, with
    ``mode=0o777``, 0o755 for folders under the usual umask 022."""
    return mode & ~current_umask()
