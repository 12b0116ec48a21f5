"""Look inside a run: a seed and the documents retrieved for it."""

from __future__ import annotations

from typing import Any

from synthesizrr import layout
from synthesizrr.config import RunConfig
from synthesizrr.errors import StageError
from synthesizrr.fileio import read_parquet


def show_seed(cfg: RunConfig, seed_id: str | None, *, limit: int, console: Any) -> None:
    from rich.table import Table

    run = cfg.run_path
    seeds_p = layout.stage_file(run, "seeds", layout.SEEDS)
    pairs_p = layout.stage_file(run, "retrieve", layout.PAIRS)
    if not pairs_p.exists() or not seeds_p.exists():
        raise StageError(
            f"run '{run}' has no retrieval results yet.",
            fix=f"run `synthesizrr retrieve {cfg.name}.yaml` (the config) first",
        )
    seeds = read_parquet(seeds_p).to_pylist()
    if seed_id is None:
        t = Table("seed_id", "label", "text", title=f"seeds of {cfg.name}")
        for s in seeds:
            t.add_row(s["seed_id"], s["label"], s["text"][:100])
        console.print(t)
        return
    by_id = {s["seed_id"]: s for s in seeds}
    if seed_id not in by_id:
        raise StageError(
            f"seed '{seed_id}' is not in run '{cfg.name}' ({len(seeds)} seeds, e.g. "
            f"{', '.join(list(by_id)[:3])}).",
            fix="run `synthesizrr show CONFIG` to list the seed ids",
        )
    seed = by_id[seed_id]
    pairs = [p for p in read_parquet(pairs_p).to_pylist() if p["seed_id"] == seed_id][:limit]
    passages = read_parquet(layout.stage_file(run, "corpus", layout.PASSAGES))
    wanted = {p["passage_id"] for p in pairs}
    text_of = {
        pid: txt
        for pid, txt in zip(
            passages.column("passage_id").to_pylist(),
            passages.column("text").to_pylist(),
            strict=True,
        )
        if pid in wanted
    }
    console.print(f"[bold]{seed_id}[/] ({seed['label']}): {seed['text']}", highlight=False)
    t = Table("rank", "score", "role", "document", title="retrieved documents")
    for p in pairs:
        t.add_row(str(p["rank"]), f"{p['score']:.3f}", p["role"],
                  f"[dim]{p['passage_id']}[/]\n{text_of.get(p['passage_id'], '')[:300]}")  # fmt: skip
    console.print(t)
