"""The generate stage: plan one prompt per (document, label), ask the teacher, parse.

Every kept row carries its provenance; every dropped generation is kept in
``dropped.parquet`` with its reason. Responses live in the run's request cache, so a
rerun (after a crash, a budget stop or a settings change downstream) costs nothing for
work already done.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthesizrr.errors import BackendError, BudgetExceededError
from synthesizrr.generation.schedule import in_order, prefix_order, restore
from synthesizrr.pipeline.rundir import atomic_write_json, read_parquet, write_parquet
from synthesizrr.pipeline.stages import StageContext
from synthesizrr.prompts import PromptMode, RenderedPrompt, Shot, render, shot_groups

log = logging.getLogger(__name__)

CACHE_FILE = Path("cache") / "requests.sqlite"


@dataclass
class PlannedRow:
    row_id: str
    label: str
    seed_id: str | None
    passage_id: str | None
    doc_id: str | None
    rank: int | None
    score: float | None
    shot_ids: list[str]
    prompt: RenderedPrompt
    sample_index: int
    shot_group: str | None = None


def _rng(seed: int, *parts: str) -> random.Random:
    h = hashlib.sha256("\x1f".join([str(seed), *parts]).encode()).digest()
    return random.Random(int.from_bytes(h[:8], "big"))


def plan_rows(ctx: StageContext) -> list[PlannedRow]:
    cfg = ctx.cfg
    task, pset, gen = cfg.task, cfg.generation.prompt, cfg.generation
    seeds = read_parquet(ctx.input("seeds", "seeds.parquet")).to_pylist()
    seeds_by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in seeds:
        seeds_by_label[s["label"]].append(s)
    seed_text = {s["seed_id"]: s["text"] for s in seeds}
    planned: list[PlannedRow] = []

    if not pset.mode.uses_documents:
        k = 0 if pset.mode is PromptMode.ZEROGEN else pset.shots
        for label in task.label_names:
            pool = seeds_by_label[label]
            row_ids = [f"{label}:{i}" for i in range(gen.per_label)]
            for group in shot_groups(label, row_ids, pset.shot_groups):
                chosen = _rng(cfg.seed, "shots", group.draw_key).sample(pool, min(k, len(pool)))
                prompt = render(
                    task, pset, label=label, document=None,
                    shots=[Shot(answer=s["text"]) for s in chosen],
                )  # fmt: skip
                for i in group.members:
                    planned.append(PlannedRow(row_ids[i], label, None, None, None, None, None,
                                              [s["seed_id"] for s in chosen], prompt, i,
                                              group.name))  # fmt: skip
        return planned

    import pyarrow.compute as pc

    pairs = read_parquet(ctx.input("retrieve", "pairs.parquet")).to_pylist()
    passages = read_parquet(ctx.input("corpus", "passages.parquet"))
    needed = sorted({p["passage_id"] for p in pairs})
    sub = passages.filter(pc.is_in(passages.column("passage_id"), value_set=_arr(needed)))
    text_of = dict(
        zip(sub.column("passage_id").to_pylist(), sub.column("text").to_pylist(), strict=True)
    )

    from synthesizrr.retrieval.draw import draw_documents, pick_shots

    gen_rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    shot_rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in pairs:
        (gen_rows if p["role"] == "gen" else shot_rows)[p["label"]].append(p)
    pattern = cfg.retrieval.article_pattern
    for label in task.label_names:
        draw = _rng(cfg.seed, "documents", label)
        chosen_pairs = draw_documents(gen_rows[label], gen.per_label, draw)
        if len(chosen_pairs) < gen.per_label:
            log.warning("label %s: only %d retrieved documents for %d requested generations",
                        label, len(chosen_pairs), gen.per_label)  # fmt: skip
        row_ids = [f"{p['seed_id']}|{p['passage_id']}" for p in chosen_pairs]
        for group in shot_groups(label, row_ids, pset.shot_groups):
            rng = _rng(cfg.seed, "shots", group.draw_key)
            shots: list[Shot] = []
            shot_ids: list[str] = []
            own = {chosen_pairs[i]["seed_id"] for i in group.members}
            others = [s for s in seeds_by_label[label] if s["seed_id"] not in own]
            if pset.mode is PromptMode.RETRICL and pset.shots:
                for d in pick_shots(p, shot_rows[label], pset.shots, rng, pattern):
                    shots.append(
                        Shot(answer=seed_text[d["seed_id"]], document=text_of[d["passage_id"]])
                    )
                    shot_ids.append(f"{d['seed_id']}|{d['passage_id']}")
            elif pset.mode is PromptMode.NON_RETRICL and pset.shots:
                for s in rng.sample(others, min(pset.shots, len(others))):
                    shots.append(Shot(answer=s["text"]))
                    shot_ids.append(s["seed_id"])
            for i in group.members:
                p = chosen_pairs[i]
                prompt = render(task, pset, label=label, document=text_of[p["passage_id"]],
                                shots=shots)  # fmt: skip
                planned.append(PlannedRow(row_ids[i], label, p["seed_id"], p["passage_id"],
                                          p["doc_id"], int(p["rank"]), float(p["score"]),
                                          list(shot_ids), prompt, 0, group.name))  # fmt: skip
    return planned


def _arr(values: list[str]) -> Any:
    import pyarrow as pa

    return pa.array(values, type=pa.string())


def build_requests(ctx: StageContext, rows: list[PlannedRow], is_chat: bool) -> list[Any]:
    from synthesizrr.llm import LLMRequest, Message

    cfg, gen = ctx.cfg, ctx.cfg.generation
    stops: tuple[str, ...] = () if is_chat else ("\n\n", cfg.task.document_header)
    out = []
    for r in rows:
        seed = int.from_bytes(hashlib.sha256(f"{cfg.seed}|{r.row_id}".encode()).digest()[:4], "big")
        common: dict[str, Any] = dict(
            max_tokens=cfg.task.max_new_tokens, temperature=gen.temperature, top_p=gen.top_p,
            top_k=gen.top_k, min_p=gen.min_p, stop=stops, seed=seed, sample_index=r.sample_index,
        )  # fmt: skip
        if is_chat:
            msgs = tuple(Message(role=role, content=text) for role, text in r.prompt.messages)
            out.append(LLMRequest(messages=msgs, **common))
        else:
            out.append(LLMRequest(prompt=r.prompt.text, **common))
    return out


def dry_run_estimate(ctx: StageContext) -> dict[str, Any]:
    from synthesizrr.generation.estimate import estimate
    from synthesizrr.llm.registry import backend_class

    rows = plan_rows(ctx)
    settings = ctx.cfg.generation.llm
    backend = backend_class(settings.backend).for_estimate(settings)
    try:
        requests = build_requests(ctx, rows, backend.is_chat)
        est = estimate(requests, backend=backend, prices=ctx.cfg.generation.budget.prices)
        return dict(est.to_dict())
    finally:
        backend.close()


def run_generate(ctx: StageContext, out: Path) -> dict[str, Any]:
    import pyarrow as pa

    from synthesizrr.generation.parse import parse_completion

    cfg = ctx.cfg
    rows = plan_rows(ctx)
    budget = cfg.generation.budget
    if ctx.retry_failed:
        budget = budget.model_copy(update={"retry_failed_only": True})
    stopped: str | None = None
    with ctx.executor.open_backend(cfg.generation.llm) as teacher:
        requests = build_requests(ctx, rows, teacher.is_chat)
        model_id = teacher.model_id
        order = prefix_order(requests)  # shared prefixes back to back; rows keep their order
        try:
            sent = teacher.run(
                in_order(requests, order), cache_path=ctx.run.path / CACHE_FILE,
                settings=budget, progress=ctx.progress,
            )  # fmt: skip
        except BudgetExceededError as exc:
            stopped = str(exc)
            sent = list(getattr(exc, "outcomes", None) or [])
            if not sent:
                raise
    outcomes = restore(sent, order, len(requests))

    _require_an_answer(sent)
    echo = [cfg.task.instruction_for(lab) for lab in cfg.task.label_names]
    echo += list(cfg.task.labels.values())
    kept: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    tokens: dict[str, dict[str, int]] = defaultdict(
        lambda: {"prompt": 0, "completion": 0, "requests": 0}
    )
    failed = 0
    for row, req, outcome in zip(rows, requests, outcomes, strict=True):
        if outcome is None:  # a budget stopped the run before this request was sent
            continue
        base = {
            "row_id": row.row_id, "label": row.label, "seed_id": row.seed_id,
            "passage_id": row.passage_id, "doc_id": row.doc_id, "retrieval_rank": row.rank,
            "retrieval_score": row.score, "shot_ids": row.shot_ids, "shot_group": row.shot_group,
            "prompt_hash": outcome.key, "model": model_id, "mode": cfg.generation.prompt.mode.value,
            "temperature": req.temperature, "top_p": req.top_p, "top_k": req.top_k,
            "min_p": req.min_p, "max_tokens": req.max_tokens,
        }  # fmt: skip
        resp = outcome.response
        if resp is None:
            failed += 1
            dropped.append({**base, "raw": None, "reason": f"request_failed: {outcome.error}",
                            "prompt_tokens": 0, "completion_tokens": 0})  # fmt: skip
            continue
        t = tokens[row.label]
        t["prompt"] += resp.prompt_tokens
        t["completion"] += resp.completion_tokens
        t["requests"] += 1
        base.update(prompt_tokens=resp.prompt_tokens, completion_tokens=resp.completion_tokens,
                    finish_reason=resp.finish_reason)  # fmt: skip
        parsed = parse_completion(
            resp.text, output_prefix=cfg.task.output_prefix, finish_reason=resp.finish_reason,
            echo_phrases=echo, min_words=cfg.generation.min_words,
        )  # fmt: skip
        if parsed.text is None:
            dropped.append({**base, "raw": resp.text, "reason": parsed.reason})
        else:
            kept.append({"text": parsed.text, **base})
    not_sent = len(rows) - len(sent)
    _write_rows(kept, out / "generations.parquet", pa)
    _write_rows(dropped, out / "dropped.parquet", pa)
    reasons: dict[str, int] = defaultdict(int)
    for d in dropped:
        reasons[str(d["reason"]).split(":")[0]] += 1
    summary: dict[str, Any] = {
        "planned": len(rows), "kept": len(kept), "dropped": len(dropped) - failed,
        "failed": failed, "not_sent": not_sent, "drop_reasons": dict(reasons),
        "tokens_per_label": dict(tokens),
        "prompt_tokens": sum(t["prompt"] for t in tokens.values()),
        "completion_tokens": sum(t["completion"] for t in tokens.values()),
        "model": model_id,
    }  # fmt: skip
    if budget.prices is not None:
        p = budget.prices
        summary["cost"] = round(
            summary["prompt_tokens"] / 1000 * p.prompt_per_1k
            + summary["completion_tokens"] / 1000 * p.completion_per_1k, 6)  # fmt: skip
    if stopped:
        summary["stopped"] = stopped
    atomic_write_json(out / "summary.json", summary)
    if failed or not_sent or stopped:
        summary["_incomplete"] = True
    return summary


def _require_an_answer(outcomes: list[Any]) -> None:
    """A teacher that answered none of the requests is down (or rejects every request):
    exit 6 with its last error, however few requests there were (``abort_after_failures``
    only bounds how many are sent in vain)."""
    from synthesizrr.generation.engine import SKIPPED_RETRY_FAILED_ONLY

    if any(o.response is not None for o in outcomes):
        return
    errors = [o.error for o in outcomes if o.error and o.error != SKIPPED_RETRY_FAILED_ONLY]
    if not errors:  # nothing was sent (--retry-failed with no failed request)
        return
    raise BackendError(
        f"the teacher answered 0 of {len(outcomes)} requests (last error: {errors[-1]}).",
        fix="check the backend (server up? model name? key?) and run the same command again",
    )


def _write_rows(rows: list[dict[str, Any]], path: Path, pa: Any) -> None:
    schema = None
    if not rows:
        schema = pa.schema([("row_id", pa.string()), ("text", pa.string()), ("label", pa.string())])
    write_parquet(pa.Table.from_pylist(rows, schema=schema), path)
