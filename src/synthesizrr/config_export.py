"""A config as YAML that runs as it is from any folder: every default filled in (but the
unset bounds whose absence has a meaning, ``StrictModel.set_matters``) and every file path
absolute (``synthesizrr validate CONFIG > full.yaml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from synthesizrr.config import RunConfig


def _cwd_path(value: str | None) -> str | None:
    """A path the library resolves against the working directory, made absolute when it
    names an existing file or folder (a model name such as ``smollm2`` stays as it is)."""
    if value is None:
        return None
    p = Path(value).expanduser()
    return str(p.resolve()) if not p.is_absolute() and p.exists() else value


def portable_dict(cfg: RunConfig) -> dict[str, Any]:
    """``cfg`` as plain data with absolute paths."""
    data = cfg.dump_as_given()
    data["run_dir"] = str(cfg.resolve(cfg.run_dir))
    data["paths_relative_to"] = str(cfg.base_dir)
    data["seeds"]["path"] = str(cfg.resolve(cfg.seeds.path))
    if cfg.corpus is not None:
        data["corpus"]["path"] = str(cfg.resolve(cfg.corpus.path))
    ev = data["evaluation"]
    for key in ("test_path", "train_path"):
        if ev.get(key):
            ev[key] = str(cfg.resolve(ev[key]))
    data["generation"]["llm"]["model"] = _cwd_path(cfg.generation.llm.model)
    data["retrieval"]["model"] = _cwd_path(cfg.retrieval.model)
    if cfg.retrieval.index_cache is not None:
        data["retrieval"]["index_cache"] = str(Path(cfg.retrieval.index_cache).resolve())
    return data


def dump_portable(cfg: RunConfig) -> str:
    """YAML of :func:`portable_dict`, long strings kept on one line."""
    return yaml.safe_dump(portable_dict(cfg), sort_keys=False, allow_unicode=True, width=2**31 - 1)
