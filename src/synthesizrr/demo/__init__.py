"""The built-in demo: SynthesizRR and FewGen side by side on a small real task.

``synthesizrr demo`` writes the task's data (real news headlines and articles from a
PyPI wheel, see :mod:`synthesizrr.demo.data`), runs one config per method with the same
seeds, test set, budget and student, and compares them (:mod:`synthesizrr.demo.side_by_side`).

    cfg = demo_config(Path("runs"), "fewgen")        # one method's RunConfig
    result = run_demo(Path("runs"))                  # both methods + the comparison page

The configs are ``task.yaml`` (what the methods share) merged with ``<method>.yaml``
(what differs), both beside this file.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from synthesizrr.config import RunConfig, config_from_dict
from synthesizrr.demo.data import news_zip, prepare_demo_data
from synthesizrr.errors import ConfigError

#: The methods the demo compares, in the order it shows them.
METHODS: tuple[str, ...] = ("synthesizrr", "fewgen")

__all__ = ["METHODS", "demo_config", "demo_raw", "news_zip", "prepare_demo_data"]


def _read(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath(name).read_text("utf-8")
    data = yaml.safe_load(text)
    return data if isinstance(data, dict) else {}


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``extra``, nested mappings merged key by key (neither is changed)."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def demo_raw(method: str) -> dict[str, Any]:
    """The config mapping of one demo method: ``task.yaml`` merged with ``<method>.yaml``."""
    if method not in METHODS:
        raise ConfigError(
            f"demo method '{method}' is not one of {list(METHODS)}.",
            fix=f"pass one of: {', '.join(METHODS)}",
        )
    return merge(_read("task.yaml"), _read(f"{method}.yaml"))


def demo_config(
    run_dir: Path, method: str = "synthesizrr", overrides: dict[str, Any] | None = None
) -> RunConfig:
    """The RunConfig of one demo method, its data written under ``run_dir/_demo_data``.

    Data paths resolve against ``run_dir`` (made absolute first), so the demo works from
    any working directory. ``overrides``: dotted field -> value, as ``--set`` gives them.
    """
    from synthesizrr.overrides import apply_overrides

    run_dir = Path(run_dir).resolve()
    prepare_demo_data(run_dir / "_demo_data")
    raw = demo_raw(method)
    raw["run_dir"] = str(run_dir)
    apply_overrides(raw, overrides or {})
    return config_from_dict(raw, source=f"demo ({method})", base_dir=run_dir)
