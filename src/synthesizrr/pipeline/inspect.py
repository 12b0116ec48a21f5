"""Look inside a run: a seed and the documents retrieved for it."""

from __future__ import annotations

from typing import Any

from synthesizrr.config import RunConfig
from synthesizrr.errors import SynthesizrrError
from synthesizrr.pipeline.rundir import read_parquet
from synthesizrr.pipeline.stages import STAGES


def show_seed(
    cfg: RunConfig, seed_id: str | None, *, limit: int, console: Any, config: str = "CONFIG"
) -> None:
    """List the seeds, or print one seed and its retrieved documents; ``config`` is the
    config's path as the user typed it (for the commands the messages suggest)."""
    from rich.markup import escape
    from rich.table import Table

    run = cfg.run_path
    seeds_p = run / STAGES["seeds"].folder / "seeds.parquet"
    pairs_p = run / STAGES["retrieve"].folder / "pairs.parquet"
    if not cfg.generation.prompt.mode.uses_documents:
        raise SynthesizrrError(
            f"generation.prompt.mode '{cfg.generation.prompt.mode.value}' retrieves no "
            "documents, so there is nothing to show.",
            fix="use mode retricl or non_retricl to retrieve documents per seed",
        )
    if not pairs_p.exists() or not seeds_p.exists():
        raise SynthesizrrError(
            f"run '{run}' has no retrieval results yet.",
            fix=f"run `synthesizrr retrieve {config}` first",
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
        raise SynthesizrrError(
            f"seed '{seed_id}' is not in run '{cfg.name}' ({len(seeds)} seeds, e.g. "
            f"{', '.join(list(by_id)[:3])}).",
            fix=f"run `synthesizrr show {config}` to list the seed ids",
        )
    seed = by_id[seed_id]
    pairs = [p for p in read_parquet(pairs_p).to_pylist() if p["seed_id"] == seed_id][:limit]
    head = f"[bold]{escape(seed_id)}[/] ({escape(seed['label'])}): {escape(seed['text'])}"
    console.print(head, highlight=False)
    if not pairs:
        console.print(escape(_no_documents_hint(cfg, seed_id, config)), highlight=False)
        return
    passages = read_parquet(run / STAGES["corpus"].folder / "passages.parquet")
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
    t = Table("rank", "score", "role", "document", title="retrieved documents")
    for p in pairs:
        t.add_row(str(p["rank"]), f"{p['score']:.3f}", p["role"],
                  f"[dim]{escape(p['passage_id'])}[/]\n"
                  f"{escape(text_of.get(p['passage_id'], '')[:300])}")  # fmt: skip
    console.print(t)


def _no_documents_hint(cfg: RunConfig, seed_id: str, config: str) -> str:
    """Why a seed got no documents, and what to change."""
    r = cfg.retrieval
    reasons = []
    if r.sim_min is not None or r.sim_max is not None:
        reasons.append(
            f"none of its top {r.top_k} passages had a similarity in [{r.sim_min}, {r.sim_max}] "
            "(retrieval.sim_min / sim_max)"
        )
    if r.max_seeds_per_doc is not None:
        reasons.append(f"other seeds took them (retrieval.max_seeds_per_doc={r.max_seeds_per_doc})")
    why = " or ".join(reasons) or "the retriever returned no passage for it"
    return (
        f"no documents were retrieved for {seed_id}: {why}. To get some, widen the "
        f"similarity band or raise retrieval.top_k, then run `synthesizrr retrieve {config}`."
    )
