"""The generate stage: plan one prompt per (document, label), ask the teacher, parse.

Every kept row carries its provenance; every dropped generation is kept in
``dropped.parquet`` with its reason. With ``generation.feedback_rounds``, a first pass
(held-out seeds left out) is followed by rounds planned from a student's errors on those
seeds (:mod:`synthesizrr.generation.feedback`); their rows carry ``feedback_round``. Responses live in the run's request cache, so a
rerun (after a crash, a budget stop or a settings change downstream) costs nothing for
work already done.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
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


@dataclass
class _Inputs:
    """What the plan reads: seeds, retrieved pairs and their passage texts."""

    seeds: list[dict[str, Any]]
    pairs: list[dict[str, Any]]
    text_of: dict[str, str]

    def without(self, seed_ids: frozenset[str]) -> _Inputs:
        """The seeds (and their pairs) other than ``seed_ids``."""
        return _Inputs(
            [s for s in self.seeds if s["seed_id"] not in seed_ids],
            [p for p in self.pairs if p["seed_id"] not in seed_ids],
            self.text_of,
        )


def _inputs(ctx: StageContext) -> _Inputs:
    seeds = read_parquet(ctx.input("seeds", layout.SEEDS)).to_pylist()
    if not ctx.cfg.generation.prompt.mode.uses_documents:
        return _Inputs(seeds, [], {})
    import pyarrow as pa
    import pyarrow.compute as pc

    pairs = read_parquet(ctx.input("retrieve", layout.PAIRS)).to_pylist()
    passages = read_parquet(ctx.input("corpus", layout.PASSAGES))
    needed = pa.array(sorted({p["passage_id"] for p in pairs}), type=pa.string())
    sub = passages.filter(pc.is_in(passages.column("passage_id"), value_set=needed))
    text_of = dict(
        zip(sub.column("passage_id").to_pylist(), sub.column("text").to_pylist(), strict=True)
    )
    return _Inputs(seeds, pairs, text_of)


def _plan(cfg: RunConfig, data: _Inputs, **round_: Any) -> list[PlannedRow]:
    if not cfg.generation.prompt.mode.uses_documents:
        return plan_rows(cfg.generation, cfg.task, cfg.seed, data.seeds)
    return plan_rows(cfg.generation, cfg.task, cfg.seed, data.seeds, data.pairs, data.text_of,
                     article_pattern=cfg.retrieval.article_pattern, **round_)  # fmt: skip


def _heldout(cfg: RunConfig, data: _Inputs) -> frozenset[str]:
    """The seeds a feedback round scores its student on (none without feedback)."""
    if not cfg.generation.feedback_rounds:
        return frozenset()
    from synthesizrr.generation.feedback import holdout

    return holdout(data.seeds, cfg.generation.feedback_holdout, cfg.seed)


def planned_rows(ctx: StageContext) -> list[PlannedRow]:
    """Read the seeds (and retrieved pairs with their passages) and plan the first pass
    (held-out seeds of a feedback round left out)."""
    data = _inputs(ctx)
    return _plan(ctx.cfg, data.without(_heldout(ctx.cfg, data)))


def estimate(ctx: StageContext) -> dict[str, Any]:
    """The dry run: requests, tokens and cost of this stage, nothing sent."""
    from synthesizrr.generation.estimate import estimate as estimate_requests
    from synthesizrr.llm.registry import backend_class

    cfg = ctx.cfg
    rows = planned_rows(ctx)
    backend = backend_class(cfg.generation.llm.backend).for_estimate(cfg.generation.llm)
    try:
        requests = build_requests(rows, cfg.generation, cfg.task, cfg.seed, is_chat=backend.is_chat)
        est = estimate_requests(
            requests,
            backend=backend,
            prices=cfg.generation.budget.prices,
            cache_path=ctx.run.path / layout.REQUEST_CACHE,
        )
        out = dict(est.to_dict())
        if cfg.generation.feedback_rounds:  # planned only once the first pass is answered
            out["feedback_requests_not_counted"] = (
                cfg.generation.feedback_rounds * cfg.generation.feedback_budget
            )
        return out
    finally:
        backend.close()


@dataclass
class _Batch:
    """The parsed answers of some planned rows (the first pass plus any feedback rounds)."""

    kept: list[dict[str, Any]] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: {"prompt": 0, "completion": 0, "requests": 0})
    )
    planned: int = 0
    sent: int = 0
    failed: int = 0
    stopped: str | None = None
    outcomes: list[Any] = field(default_factory=list)


def _generate(
    ctx: StageContext, teacher: Any, rows: list[PlannedRow], budget: Any, batch: _Batch, *,
    round_: int | None = None,
) -> None:  # fmt: skip
    """Send ``rows`` through the engine (request cache, budgets) and parse into ``batch``.
    ``round_``: the feedback round (0: the first pass of a run with feedback, whose rows
    then say so in ``feedback_round``; None: a run without feedback)."""
    from synthesizrr.generation.parse import parse_completion

    cfg = ctx.cfg
    requests = build_requests(rows, cfg.generation, cfg.task, cfg.seed, is_chat=teacher.is_chat)
    order = prefix_order(requests)  # shared prefixes back to back; rows keep their order
    try:
        sent = teacher.run(
            in_order(requests, order), cache_path=ctx.run.path / layout.REQUEST_CACHE,
            settings=budget, progress=ctx.progress,
        )  # fmt: skip
    except BudgetExceededError as exc:
        batch.stopped = str(exc)
        sent = exc.outcomes
        if not sent and not round_:
            raise
    if not round_:
        _require_an_answer(sent)
    outcomes = restore(sent, order, len(requests))
    batch.planned += len(rows)
    batch.sent += len(sent)
    batch.outcomes.extend(sent)
    echo = [cfg.task.instruction_for(lab) for lab in cfg.task.label_names]
    echo += list(cfg.task.labels.values())
    extra = {} if round_ is None else {"feedback_round": round_}
    for row, req, outcome in zip(rows, requests, outcomes, strict=True):
        if outcome is None:  # a budget stopped the run before this request was sent
            continue
        base = {
            "row_id": row.row_id, "label": row.label, "seed_id": row.seed_id,
            "passage_id": row.passage_id, "doc_id": row.doc_id, "retrieval_rank": row.rank,
            "retrieval_score": row.score, "shot_ids": row.shot_ids, "shot_group": row.shot_group,
            "prompt_hash": outcome.key, "model": teacher.model_id,
            "mode": cfg.generation.prompt.mode.value, "temperature": req.temperature,
            "top_p": req.top_p, "top_k": req.top_k, "min_p": req.min_p,
            "max_tokens": req.max_tokens, **extra,
        }  # fmt: skip
        resp = outcome.response
        if resp is None:
            batch.failed += 1
            batch.dropped.append({**base, "raw": None, "reason": f"request_failed: {outcome.error}",
                                  "prompt_tokens": 0, "completion_tokens": 0})  # fmt: skip
            continue
        t = batch.tokens[row.label]
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
            batch.dropped.append({**base, "raw": resp.text, "reason": parsed.reason})
        else:
            batch.kept.append({"text": parsed.text, **base})


def _feedback(
    ctx: StageContext, teacher: Any, data: _Inputs, heldout: frozenset[str], budget: Any,
    batch: _Batch,
) -> dict[str, Any]:  # fmt: skip
    """The feedback rounds (:mod:`synthesizrr.generation.feedback`), run into ``batch``;
    returns their record for the stage summary (and so the manifest)."""
    from synthesizrr.generation.feedback import allocate, score_seeds

    cfg = ctx.cfg
    gen = cfg.generation
    held = [s for s in data.seeds if s["seed_id"] in heldout]
    seed_texts = [str(s["text"]) for s in held]
    seed_labels = [str(s["label"]) for s in held]
    in_run = data.without(heldout)
    record: dict[str, Any] = {
        "rounds": gen.feedback_rounds, "budget_per_round": gen.feedback_budget,
        "heldout_seeds": len(held), "heldout_fraction": gen.feedback_holdout,
        "smoothing": gen.feedback_smoothing,
        "student": "embed_lr:minilm", "per_round": [],
    }  # fmt: skip

    def scored() -> Any:
        return score_seeds([r["text"] for r in batch.kept], [r["label"] for r in batch.kept],
                           seed_texts, seed_labels, cfg.task.label_names, cfg.seed)  # fmt: skip

    score = scored()
    record["accuracy_before"] = round(score.accuracy, 4)
    for r in range(1, gen.feedback_rounds + 1):
        if batch.stopped:
            record["skipped"] = f"round {r}: the budget stopped the generations"
            break
        counts = allocate(score.errors, gen.feedback_budget, cfg.task.label_names,
                          gen.feedback_smoothing)  # fmt: skip
        used = frozenset(str(x["passage_id"]) for x in batch.kept + batch.dropped)
        rows = _plan(cfg, in_run, counts=counts, exclude_passages=used, draw=f"feedback{r}")
        kept_before = len(batch.kept)
        _generate(ctx, teacher, rows, budget, batch, round_=r)
        log.info("feedback round %d: %d rows planned for %s, %d kept", r, len(rows), counts,
                 len(batch.kept) - kept_before)  # fmt: skip
        after = scored()
        record["per_round"].append({
            "round": r, **score.to_dict(), "allocated": counts, "planned": len(rows),
            "kept": len(batch.kept) - kept_before, "accuracy_after": round(after.accuracy, 4),
        })  # fmt: skip
        score = after
    record["accuracy_after"] = round(score.accuracy, 4)
    return record


def run(ctx: StageContext, out: Path) -> StageResult:
    import pyarrow as pa

    from synthesizrr.generation.engine import usage

    cfg = ctx.cfg
    data = _inputs(ctx)
    heldout = _heldout(cfg, data)
    rows = _plan(cfg, data.without(heldout))
    budget = cfg.generation.budget
    if ctx.retry_failed:
        budget = budget.model_copy(update={"retry_failed_only": True})
    batch = _Batch()
    feedback: dict[str, Any] | None = None
    with ctx.executor.open_backend(cfg.generation.llm) as teacher:
        model_id = teacher.model_id
        first = 0 if cfg.generation.feedback_rounds else None
        _generate(ctx, teacher, rows, budget, batch, round_=first)
        if cfg.generation.feedback_rounds:
            feedback = _feedback(ctx, teacher, data, heldout, budget, batch)

    kept, dropped, tokens, failed = batch.kept, batch.dropped, batch.tokens, batch.failed
    not_sent = batch.planned - batch.sent
    _write_rows(kept, out / layout.GENERATIONS, pa)
    _write_rows(dropped, out / layout.DROPPED, pa)
    reasons: dict[str, int] = defaultdict(int)
    for d in dropped:
        reasons[str(d["reason"]).split(":")[0]] += 1
    summary: dict[str, Any] = {
        "planned": batch.planned, "kept": len(kept), "dropped": len(dropped) - failed,
        "failed": failed, "not_sent": not_sent, "drop_reasons": dict(reasons),
        "tokens_per_label": dict(tokens),
        "prompt_tokens": sum(t["prompt"] for t in tokens.values()),
        "completion_tokens": sum(t["completion"] for t in tokens.values()),
        "model": model_id,
    }  # fmt: skip
    # What the answers cost the teacher when they were generated, cached ones included, so
    # a replay from the cache (whose stage seconds are near zero) still says what the rows
    # took; answers cached before the ledger kept seconds are counted as untimed.
    spent = usage(batch.outcomes)
    summary["teacher_seconds"] = round(spent["teacher_seconds"], 1)
    if spent["untimed_responses"]:
        summary["untimed_responses"] = spent["untimed_responses"]
    if budget.prices is not None:
        cost = budget.prices.cost(summary["prompt_tokens"], summary["completion_tokens"])
        summary["cost"] = round(cost, 6)
    if feedback is not None:
        summary["feedback"] = feedback
    stopped = batch.stopped
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


# version 2: prompts share a shot draw in groups of 4 by default (prompt.shot_groups); a
# run generated before, with a draw per prompt, generates again (its prompts changed).
# version 3: the retrieval modes draw their documents as the head of one seeded shuffle and
# form shot groups greedily in that order (stable when per_label grows); their prompts
# changed once, FewGen's did not (its requests stay cached).
STAGE = Stage(
    "generate", layout.STAGE_FOLDERS["generate"], ("seeds", "retrieve"), settings, run,
    check=check, estimate=estimate, description="prompt the teacher and parse its outputs",
    version=3,
)  # fmt: skip
