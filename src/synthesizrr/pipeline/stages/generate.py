"""The generate stage: plan one prompt per (document, label), ask the teacher, parse.

Every kept row carries its provenance; every dropped generation is kept in
``dropped.parquet`` with its reason. Responses live in the run's request cache, so a
rerun (after a crash, a budget stop or a settings change downstream) costs nothing for
work already done.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

from synthesizrr import layout
from synthesizrr.config import RunConfig
from synthesizrr.errors import BackendError, BudgetExceededError
from synthesizrr.fileio import atomic_write_json, read_parquet, write_parquet
from synthesizrr.generation.plan import PlannedRow, build_requests, plan_rows
from synthesizrr.generation.schedule import in_order, prefix_order, restore
from synthesizrr.pipeline.stage import Stage, StageContext, StageResult

log = logging.getLogger(__name__)


def settings(cfg: RunConfig) -> Any:
    return {
        "generation": cfg.generation.fingerprint_dump(),
        "task": cfg.task.fingerprint_dump(),
        "seed": cfg.seed,
    }


def check(cfg: RunConfig) -> None:
    """An unknown backend name fails before any stage runs."""
    from synthesizrr.llm.registry import backend_class

    backend_class(cfg.generation.llm.backend)


def planned_rows(ctx: StageContext) -> list[PlannedRow]:
    """Read the seeds (and retrieved pairs with their passages) and plan the rows."""
    cfg = ctx.cfg
    seeds = read_parquet(ctx.input("seeds", layout.SEEDS)).to_pylist()
    if not cfg.generation.prompt.mode.uses_documents:
        return plan_rows(cfg.generation, cfg.task, cfg.seed, seeds)
    import pyarrow as pa
    import pyarrow.compute as pc

    pairs = read_parquet(ctx.input("retrieve", layout.PAIRS)).to_pylist()
    passages = read_parquet(ctx.input("corpus", layout.PASSAGES))
    needed = pa.array(sorted({p["passage_id"] for p in pairs}), type=pa.string())
    sub = passages.filter(pc.is_in(passages.column("passage_id"), value_set=needed))
    text_of = dict(
        zip(sub.column("passage_id").to_pylist(), sub.column("text").to_pylist(), strict=True)
    )
    return plan_rows(cfg.generation, cfg.task, cfg.seed, seeds, pairs, text_of,
                     article_pattern=cfg.retrieval.article_pattern)  # fmt: skip


def estimate(ctx: StageContext) -> dict[str, Any]:
    """The dry run: requests, tokens and cost of this stage, nothing sent."""
    from synthesizrr.generation.estimate import estimate as estimate_requests
    from synthesizrr.llm.registry import backend_class

    cfg = ctx.cfg
    rows = planned_rows(ctx)
    backend = backend_class(cfg.generation.llm.backend).for_estimate(cfg.generation.llm)
    try:
        requests = build_requests(rows, cfg.generation, cfg.task, cfg.seed, is_chat=backend.is_chat)
        est = estimate_requests(requests, backend=backend, prices=cfg.generation.budget.prices)
        return dict(est.to_dict())
    finally:
        backend.close()


def run(ctx: StageContext, out: Path) -> StageResult:
    import pyarrow as pa

    from synthesizrr.generation.parse import parse_completion

    cfg = ctx.cfg
    rows = planned_rows(ctx)
    budget = cfg.generation.budget
    if ctx.retry_failed:
        budget = budget.model_copy(update={"retry_failed_only": True})
    stopped: str | None = None
    with ctx.executor.open_backend(cfg.generation.llm) as teacher:
        requests = build_requests(rows, cfg.generation, cfg.task, cfg.seed, is_chat=teacher.is_chat)
        model_id = teacher.model_id
        order = prefix_order(requests)  # shared prefixes back to back; rows keep their order
        try:
            sent = teacher.run(
                in_order(requests, order), cache_path=ctx.run.path / layout.REQUEST_CACHE,
                settings=budget, progress=ctx.progress,
            )  # fmt: skip
        except BudgetExceededError as exc:
            stopped = str(exc)
            sent = exc.outcomes
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
    _write_rows(kept, out / layout.GENERATIONS, pa)
    _write_rows(dropped, out / layout.DROPPED, pa)
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
        cost = budget.prices.cost(summary["prompt_tokens"], summary["completion_tokens"])
        summary["cost"] = round(cost, 6)
    if stopped:
        summary["stopped"] = stopped
    atomic_write_json(out / layout.SUMMARY, summary)
    return StageResult(summary, incomplete=bool(failed or not_sent or stopped), stopped=stopped)


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


STAGE = Stage(
    "generate", layout.STAGE_FOLDERS["generate"], ("seeds", "retrieve"), settings, run,
    check=check, estimate=estimate, description="prompt the teacher and parse its outputs",
)  # fmt: skip
