"""Stage fingerprints: a stage reruns exactly when its inputs or settings changed."""

from __future__ import annotations

import glob
import hashlib
import json
import os
from pathlib import Path
from typing import Any


def digest(obj: Any) -> str:
    """sha256 of the canonical JSON of ``obj`` (sorted keys), first 16 hex digits."""
    blob = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]


def files_signature(path: Path) -> list[tuple[str, int, int]]:
    """(name, size, mtime_ns) of the file, glob matches or folder files behind ``path``.

    Cheap on tens of GB (no content hashing): an edited or replaced file changes size or
    mtime, which is what a rerun has to notice.
    """
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
    elif any(ch in str(path) for ch in "*?["):
        files = sorted(Path(p) for p in glob.glob(str(path), recursive=True) if os.path.isfile(p))
    else:
        files = [path] if path.exists() else []
    out = []
    for f in files:
        st = f.stat()
        out.append((str(f.resolve()), st.st_size, st.st_mtime_ns))
    return out
