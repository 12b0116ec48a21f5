"""Generation planning on plain tables: which rows, which shots, which requests."""

from __future__ import annotations

import logging

import pytest

from synthesizrr.generation.plan import build_requests, plan_rows
from synthesizrr.generation.settings import GenerationSettings
from synthesizrr.prompts import TaskSettings

TASK = TaskSettings(
    labels={"a": "about a", "b": "about b"},
    instruction="Write {label_description}.",
    max_new_tokens=20,
)
SEEDS = [
    {"seed_id": f"seed-{i}", "text": f"seed text {i}", "label": "a" if i < 3 else "b"}
    for i in range(6)
]


def gen(**kw: object) -> GenerationSettings:
    return GenerationSettings.model_validate(kw)


def pair(seed: str, pid: str, label: str, rank: int, role: str = "gen") -> dict[str, object]:
    return {"seed_id": seed, "passage_id": pid, "doc_id": pid.split("#")[0], "label": label,
            "rank": rank, "score": 0.5, "role": role}  # fmt: skip


def test_fewgen_plans_per_label_samples_with_same_label_shots() -> None:
    rows = plan_rows(gen(per_label=3, prompt={"mode": "fewgen", "shots": 2}), TASK, 0, SEEDS)
    assert [r.row_id for r in rows] == ["a:0", "a:1", "a:2", "b:0", "b:1", "b:2"]
    assert [r.sample_index for r in rows] == [0, 1, 2, 0, 1, 2]
    for r in rows:
        assert len(r.shot_ids) == 2
        assert {sid for sid in r.shot_ids} <= {s["seed_id"] for s in SEEDS if s["label"] == r.label}
        assert (r.seed_id, r.passage_id, r.rank) == (None, None, None)
    again = plan_rows(gen(per_label=3, prompt={"mode": "fewgen", "shots": 2}), TASK, 0, SEEDS)
    assert [r.shot_ids for r in again] == [r.shot_ids for r in rows]  # seeded


def test_zerogen_has_no_shots() -> None:
    rows = plan_rows(gen(per_label=2, prompt={"mode": "zerogen"}), TASK, 0, SEEDS)
    assert [(r.row_id, r.shot_ids) for r in rows] == [
        ("a:0", []), ("a:1", []), ("b:0", []), ("b:1", [])
    ]  # fmt: skip


def test_retricl_draws_documents_and_takes_shots_from_other_seeds() -> None:
    pairs = [
        pair("seed-1", "p3#0", "a", 3), pair("seed-0", "p2#0", "a", 4),
        pair("seed-0", "p1#0", "a", 3), pair("seed-1", "p9#0", "a", 1, "shot"),
        pair("seed-0", "p8#0", "a", 1, "shot"),
    ]  # fmt: skip
    text = {p["passage_id"]: f"text of {p['passage_id']}" for p in pairs}
    rows = plan_rows(
        gen(per_label=3, prompt={"mode": "retricl", "shots": 1, "shot_groups": 1}),
        TASK,
        0,
        SEEDS[:3],
        pairs,
        text,
    )
    # every document drawn, in canonical order (seed id, rank, passage id), not file order
    assert [r.row_id for r in rows] == ["seed-0|p1#0", "seed-0|p2#0", "seed-1|p3#0"]
    assert [(r.rank, r.doc_id, r.sample_index) for r in rows] == [(3, "p1", 0), (4, "p2", 0),
                                                                   (3, "p3", 0)]  # fmt: skip
    # one shot: a shot document of another seed of the label
    assert [r.shot_ids for r in rows] == [["seed-1|p9#0"], ["seed-1|p9#0"], ["seed-0|p8#0"]]
    assert "text of p1#0" in rows[0].prompt.text and "text of p9#0" in rows[0].prompt.text
    assert [r.shot_group for r in rows] == ["a:0", "a:1", "a:2"]


def test_a_shot_group_shares_shots_that_show_none_of_its_documents() -> None:
    pairs = [
        pair("seed-0", "p1#0", "a", 3), pair("seed-1", "p3#0", "a", 3),
        pair("seed-0", "p8#0", "a", 1, "shot"), pair("seed-1", "p9#0", "a", 1, "shot"),
        pair("seed-2", "p7#0", "a", 1, "shot"), pair("seed-2", "p3#1", "a", 2, "shot"),
    ]  # fmt: skip
    text = {p["passage_id"]: f"text of {p['passage_id']}" for p in pairs}
    settings = gen(per_label=2, prompt={"mode": "retricl", "shots": 2, "shot_groups": 2})
    rows = plan_rows(settings, TASK, 0, SEEDS[:3], pairs, text)
    assert [r.row_id for r in rows] == ["seed-0|p1#0", "seed-1|p3#0"]
    assert [r.shot_group for r in rows] == ["a:0", "a:0"]
    # seed-0 and seed-1 own the group's documents, and p3#1 shares doc p3 with one of them
    assert rows[0].shot_ids == rows[1].shot_ids == ["seed-2|p7#0"]


def test_retricl_warns_when_fewer_documents_than_requested(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pairs = [pair("seed-0", "p1#0", "a", 3)]
    with caplog.at_level(logging.WARNING, logger="synthesizrr.generation.plan"):
        rows = plan_rows(gen(per_label=2, prompt={"mode": "retricl", "shots": 0}), TASK, 0,
                         SEEDS[:3], pairs, {"p1#0": "t"})  # fmt: skip
    assert [r.row_id for r in rows] == ["seed-0|p1#0"]
    assert "label a: only 1 retrieved documents for 2 requested generations" in caplog.text
    assert "label b: only 0 retrieved documents" in caplog.text


def test_task_stop_sequences_reach_every_request_and_keys_stay_put_without_them() -> None:
    settings = gen(per_label=1, prompt={"mode": "zerogen"})
    rows = plan_rows(settings, TASK, 5, SEEDS)
    one_line = TASK.model_copy(update={"stop": ["\n"]})
    chat = build_requests(rows, settings, one_line, 5, is_chat=True)
    raw = build_requests(rows, settings, one_line, 5, is_chat=False)
    assert chat[0].stop == ("\n",)
    assert raw[0].stop == ("\n", "\n\n", TASK.document_header)
    # Unset, the request (and so its cache key) is what it was before the field existed.
    plain = build_requests(rows, settings, TASK, 5, is_chat=True)
    assert plain[0].stop == () and plain[0].cache_key("m") != chat[0].cache_key("m")
    assert "stop" not in TASK.fingerprint_dump() and one_line.fingerprint_dump()["stop"] == ["\n"]
    with pytest.raises(ValueError, match="a stop sequence is empty"):
        TaskSettings(labels=TASK.labels, instruction=TASK.instruction, stop=[""])


def test_build_requests_for_completion_and_chat_models() -> None:
    settings = gen(per_label=1, temperature=0.7, top_p=0.8, top_k=40, min_p=0.05,
                   prompt={"mode": "zerogen"})  # fmt: skip
    rows = plan_rows(settings, TASK, 5, SEEDS)
    raw = build_requests(rows, settings, TASK, 5, is_chat=False)
    chat = build_requests(rows, settings, TASK, 5, is_chat=True)
    assert [r.prompt for r in raw] == [r.prompt.text for r in rows]
    assert raw[0].stop == ("\n\n", TASK.document_header) and chat[0].stop == ()
    assert chat[0].messages is not None and chat[0].messages[-1].role == "user"
    assert (raw[0].max_tokens, raw[0].temperature, raw[0].top_p) == (20, 0.7, 0.8)
    assert (raw[0].top_k, raw[0].min_p) == (chat[0].top_k, chat[0].min_p) == (40, 0.05)
    # per-row sampling seeds, derived from the run seed and the row id (pinned)
    assert [r.seed for r in raw] == [r.seed for r in chat] == [3913173903, 3458598882]
