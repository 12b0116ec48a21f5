"""Importing the Ray executor's modules imports no heavy library (ray included)."""

from __future__ import annotations

from collections.abc import Callable


def test_ray_executor_modules_import_nothing_heavy(
    heavy_after_import: Callable[[list[str], set[str]], list[str]],
) -> None:
    modules = ["synthesizrr.executors.ray", "synthesizrr.executors.ray_llm",
               "synthesizrr.executors.ray_index"]  # fmt: skip
    heavy = {"ray", "torch", "faiss", "llama_cpp", "sentence_transformers"}
    assert heavy_after_import(modules, heavy) == []
