"""Importing the Ray executor's modules imports no heavy library (ray included)."""

from __future__ import annotations

import subprocess
import sys


def test_ray_executor_modules_import_nothing_heavy() -> None:
    code = (
        "import sys, synthesizrr.executors.ray, synthesizrr.executors.ray_llm, "
        "synthesizrr.executors.ray_index\n"
        "print(sorted(m for m in ('ray', 'torch', 'faiss', 'llama_cpp', 'sentence_transformers')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
