"""Plan the generate stage: one prompt per (document, label), and its LLM request.

Plain functions of plain tables (lists of row dicts), so they are tested without a run
directory: :func:`plan_rows` turns the seeds (and, in the retrieval modes, the retrieved
pairs and their passage texts) into :class:`PlannedRow` s, :func:`build_requests` turns
those into :class:`~synthesizrr.llm.LLMRequest` s.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from synthesizrr.generation.settings import GenerationSettings
from synthesizrr.llm.types import LLMRequest, Message
from synthesizrr.prompts import (
    PromptMode,
    RenderedPrompt,
    Shot,
    TaskSettings,
    render,
    shot_groups,
)
from synthesizrr.retrieval.draw import draw_documents, pick_shots

log = logging.getLogger(__name__)

Row = dict[str, Any]


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


def seeded_rng(seed: int, *parts: str) -> random.Random:
    h = hashlib.sha256("\x1f".join([str(seed), *parts]).encode()).digest()
    return random.Random(int.from_bytes(h[:8], "big"))


def plan_rows(
    gen: GenerationSettings,
    task: TaskSettings,
    seed: int,
    seeds: Sequence[Row],
    pairs: Sequence[Row] = (),
    passage_text: Mapping[str, str] | None = None,
    *,
    article_pattern: str | None = None,
    counts: Mapping[str, int] | None = None,
    exclude_passages: frozenset[str] = frozenset(),
    draw: str | None = None,
) -> list[PlannedRow]:
    """The rows to generate, in order.

    ``seeds``: rows with ``seed_id``, ``text``, ``label``. In the retrieval modes,
    ``pairs`` are the retrieved (seed, passage) rows (``seed_id``, ``passage_id``,
    ``doc_id``, ``label``, ``rank``, ``score``, ``role`` "gen" or "shot") and
    ``passage_text`` maps their ``passage_id`` to the passage text; ``article_pattern``
    (``retrieval.article_pattern``) names a document's source article. Rows of one shot
    group (``prompt.shot_groups``) share one draw of shots.

    A feedback round (:mod:`synthesizrr.generation.feedback`) plans ``counts[label]`` rows
    per label instead of ``per_label``, from documents whose passage is not in
    ``exclude_passages``; ``draw`` names the round, so its draws (documents, shots, shot
    groups) are its own. Documents-free modes take neither.
    """
    pset = gen.prompt
    seeds_by_label: dict[str, list[Row]] = defaultdict(list)
    for s in seeds:
        seeds_by_label[s["label"]].append(s)
    if not pset.mode.uses_documents:
        return _plan_without_documents(gen, task, seed, seeds_by_label)
    text_of = passage_text or {}
    seed_text = {s["seed_id"]: s["text"] for s in seeds}
    planned: list[PlannedRow] = []
    gen_rows: dict[str, list[Row]] = defaultdict(list)
    shot_rows: dict[str, list[Row]] = defaultdict(list)
    for p in pairs:
        (gen_rows if p["role"] == "gen" else shot_rows)[p["label"]].append(p)
    tag = () if draw is None else (draw,)
    for label in task.label_names:
        want = gen.per_label if counts is None else counts.get(label, 0)
        if want == 0:
            continue
        candidates = [p for p in gen_rows[label] if p["passage_id"] not in exclude_passages]
        chosen_pairs = draw_documents(candidates, want, seeded_rng(seed, "documents", label, *tag))
        if len(chosen_pairs) < want:
            log.warning("label %s: only %d retrieved documents for %d requested generations",
                        label, len(chosen_pairs), want)  # fmt: skip
        row_ids = [f"{p['seed_id']}|{p['passage_id']}" for p in chosen_pairs]
        group_label = label if draw is None else f"{label}@{draw}"
        # A group's shots come from seeds none of its members rewrites a document of, so a
        # group spans at most as many seeds as leave enough others for its shots.
        label_seeds = len({str(x["seed_id"]) for x in seeds_by_label[label]})
        groups = shot_groups(group_label, row_ids, pset.shot_groups,
                             seeds=[str(p["seed_id"]) for p in chosen_pairs],
                             max_seeds=label_seeds - pset.shots)  # fmt: skip
        for group in groups:
            rng = seeded_rng(seed, "shots", group.draw_key, *tag)
            members = [chosen_pairs[i] for i in group.members]
            shots: list[Shot] = []
            shot_ids: list[str] = []
            if pset.mode is PromptMode.RETRICL and pset.shots:
                picked = pick_shots(members[0], shot_rows[label], pset.shots, rng,
                                    article_pattern, also=members[1:])  # fmt: skip
                for d in picked:
                    shots.append(
                        Shot(answer=seed_text[d["seed_id"]], document=text_of[d["passage_id"]])
                    )
                    shot_ids.append(f"{d['seed_id']}|{d['passage_id']}")
            elif pset.mode is PromptMode.NON_RETRICL and pset.shots:
                own = {m["seed_id"] for m in members}
                others = [s for s in seeds_by_label[label] if s["seed_id"] not in own]
                for s in rng.sample(others, min(pset.shots, len(others))):
                    shots.append(Shot(answer=s["text"]))
                    shot_ids.append(s["seed_id"])
            for i, p in zip(group.members, members, strict=True):
                prompt = render(task, pset, label=label, document=text_of[p["passage_id"]],
                                shots=shots)  # fmt: skip
                planned.append(PlannedRow(row_ids[i], label, p["seed_id"], p["passage_id"],
                                          p["doc_id"], int(p["rank"]), float(p["score"]),
                                          list(shot_ids), prompt, 0, group.name))  # fmt: skip
    return planned


def _plan_without_documents(
    gen: GenerationSettings, task: TaskSettings, seed: int, seeds_by_label: dict[str, list[Row]]
) -> list[PlannedRow]:
    """FewGen / ZeroGen: ``per_label`` samples of one prompt per label, seeds as shots."""
    pset = gen.prompt
    k = 0 if pset.mode is PromptMode.ZEROGEN else pset.shots
    planned: list[PlannedRow] = []
    for label in task.label_names:
        pool = seeds_by_label[label]
        row_ids = [f"{label}:{i}" for i in range(gen.per_label)]
        for group in shot_groups(label, row_ids, pset.shot_groups):
            chosen = seeded_rng(seed, "shots", group.draw_key).sample(pool, min(k, len(pool)))
            prompt = render(
                task, pset, label=label, document=None,
                shots=[Shot(answer=s["text"]) for s in chosen],
            )  # fmt: skip
            for i in group.members:
                planned.append(PlannedRow(row_ids[i], label, None, None, None, None, None,
                                          [s["seed_id"] for s in chosen], prompt, i,
                                          group.name))  # fmt: skip
    return planned


def build_requests(
    rows: Sequence[PlannedRow],
    gen: GenerationSettings,
    task: TaskSettings,
    seed: int,
    *,
    is_chat: bool,
) -> list[LLMRequest]:
    """One request per planned row; its sampling seed derives from the run seed and row id."""
    stops = tuple(task.stop) + (() if is_chat else ("\n\n", task.document_header))
    out = []
    for r in rows:
        row_seed = int.from_bytes(hashlib.sha256(f"{seed}|{r.row_id}".encode()).digest()[:4], "big")
        common: dict[str, Any] = dict(
            max_tokens=task.max_new_tokens, temperature=gen.temperature, top_p=gen.top_p,
            top_k=gen.top_k, min_p=gen.min_p, stop=stops, seed=row_seed,
            sample_index=r.sample_index,
        )  # fmt: skip
        if is_chat:
            msgs = tuple(Message(role=role, content=text) for role, text in r.prompt.messages)
            out.append(LLMRequest(messages=msgs, **common))
        else:
            out.append(LLMRequest(prompt=r.prompt.text, **common))
    return out
