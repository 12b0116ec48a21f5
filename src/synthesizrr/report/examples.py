"""A few rows of a run beside what the teacher wrote them from.

A retrieval run's row came from a retrieved corpus passage; a few-shot row came from the
seed examples in its prompt. :func:`pick_examples` returns both kinds the same way, for
the comparison page and the demo's terminal output.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from synthesizrr.report.rundata import Missing, RunData, number


@dataclass(frozen=True)
class Example:
    """One generated row and its source."""

    row_id: str
    label: str
    text: str
    source_kind: str  # "retrieved article", "in-context seed examples" or "none"
    source_title: str | None
    source_text: str


def _by_id(run: RunData, stage: str, filename: str, key: str, ids: set[str]) -> dict[str, Any]:
    t = run.table(stage, filename)
    if isinstance(t, Missing) or key not in t.column_names or not ids:
        return {}
    return {str(r[key]): r for r in t.to_pylist() if str(r[key]) in ids}


def pick_examples(run: RunData, k: int = 2) -> list[Example] | Missing:
    """``k`` rows of the final dataset (labels taken in turn, seeded by the run seed)."""
    t = run.table("refine", "dataset.parquet")
    if isinstance(t, Missing):
        return t
    rows = t.to_pylist()
    if not rows:
        return Missing("the final dataset is empty")
    rng = random.Random(f"{number(run.manifest.get('seed')) or 0}|examples")
    by_label: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_label.setdefault(str(r.get("label")), []).append(r)
    for pool in by_label.values():
        rng.shuffle(pool)
    order = [lab for lab in run.labels if lab in by_label] + sorted(set(by_label) - set(run.labels))
    chosen: list[dict[str, Any]] = []
    depth = 0
    while len(chosen) < min(k, len(rows)):
        for lab in order:
            if depth < len(by_label[lab]) and len(chosen) < k:
                chosen.append(by_label[lab][depth])
        depth += 1
    passages = _by_id(run, "corpus", "passages.parquet", "passage_id",
                      {str(r["passage_id"]) for r in chosen if r.get("passage_id")})  # fmt: skip
    shot_seeds = {str(s).partition("|")[0] for r in chosen for s in r.get("shot_ids") or []}
    seeds = _by_id(run, "seeds", "seeds.parquet", "seed_id", shot_seeds)
    return [_example(r, passages, seeds) for r in chosen]


def _example(r: dict[str, Any], passages: dict[str, Any], seeds: dict[str, Any]) -> Example:
    base = {"row_id": str(r.get("row_id", "")), "label": str(r.get("label", "")),
            "text": str(r.get("text", ""))}  # fmt: skip
    pid = r.get("passage_id")
    if pid:
        pas = passages.get(str(pid), {})
        return Example(**base, source_kind="retrieved article", source_title=pas.get("title"),
                       source_text=str(pas.get("text", f"(passage {pid} not found)")))  # fmt: skip
    shots = [str(s).partition("|")[0] for s in r.get("shot_ids") or []]
    if shots:
        texts = [str(seeds.get(s, {}).get("text", f"({s} not found)")) for s in shots]
        return Example(**base, source_kind="in-context seed examples", source_title=None,
                       source_text="\n".join(texts))  # fmt: skip
    return Example(**base, source_kind="none", source_title=None, source_text="")
