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
    # every document drawn, in the order of the seeded draw, which ignores the file's order
    assert [r.row_id for r in rows] == ["seed-0|p1#0", "seed-0|p2#0", "seed-1|p3#0"]
    again = plan_rows(
        gen(per_label=3, prompt={"mode": "retricl", "shots": 1, "shot_groups": 1}),
        TASK, 0, SEEDS[:3], pairs[::-1], text,
    )  # fmt: skip
    assert [r.row_id for r in again] == [r.row_id for r in rows]
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
    settings = gen(per_label=2, prompt={"mode": "retricl", "shots": 1, "shot_groups": 2})
    rows = plan_rows(settings, TASK, 0, SEEDS[:3], pairs, text)
    assert sorted(r.row_id for r in rows) == ["seed-0|p1#0", "seed-1|p3#0"]
    assert [r.shot_group for r in rows] == ["a:0", "a:0"]
    # seed-0 and seed-1 own the group's documents, and p3#1 shares doc p3 with one of them
    assert rows[0].shot_ids == rows[1].shot_ids == ["seed-2|p7#0"]
    # Two shots need two seeds no member rewrites: of 3 seeds, a group may span only one,
    # so the two documents (of two seeds) go to two groups, each with its two shots.
    two = gen(per_label=2, prompt={"mode": "retricl", "shots": 2, "shot_groups": 2})
    rows = plan_rows(two, TASK, 0, SEEDS[:3], pairs, text)
    assert [r.shot_group for r in rows] == ["a:0", "a:1"]
    for r in rows:
        assert len(r.shot_ids) == 2 and r.seed_id not in {s.split("|")[0] for s in r.shot_ids}


@pytest.mark.parametrize("mode,shots", [("retricl", 2), ("retricl", 0), ("non_retricl", 3),
                                        ("fewgen", 2)])  # fmt: skip
def test_raising_per_label_keeps_the_requests_planned_before(mode: str, shots: int) -> None:
    # A run resumed with a larger budget must find its finished requests in the cache:
    # every request of per_label 6 is one of per_label 10, in the same plan order, except
    # those of a label's last, open shot group (which gains members and keeps its shots).
    seeds = [{"seed_id": f"seed-{i}", "text": f"seed text {i}", "label": "ab"[i % 2]}
             for i in range(12)]  # fmt: skip
    pairs = [pair(f"seed-{i}", f"p{i}-{r}#0", "ab"[i % 2], r) for i in range(12)
             for r in range(3, 12)]  # fmt: skip
    pairs += [pair(f"seed-{i}", f"s{i}-{r}#0", "ab"[i % 2], r, "shot") for i in range(12)
              for r in (1, 2)]  # fmt: skip
    text = {p["passage_id"]: f"text of {p['passage_id']}" for p in pairs}

    def requests(per_label: int) -> list[tuple[str, str | None, int | None]]:
        settings = gen(per_label=per_label,
                       prompt={"mode": mode, "shots": shots, "shot_groups": 3})  # fmt: skip
        rows = plan_rows(settings, TASK, 0, seeds, pairs, text)
        reqs = build_requests(rows, settings, TASK, 0, is_chat=False)
        return [(r.row_id, q.prompt, q.seed) for r, q in zip(rows, reqs, strict=True)]

    small, big = requests(6), requests(10)
    assert len(small) == 12 and len(big) == 20
    kept = [r for r in big if r in set(small)]
    assert kept == [r for r in small if r in set(big)]  # in the same plan order
    assert len(kept) == 12  # 6 seeds per label: two full groups of 3, none left open


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
