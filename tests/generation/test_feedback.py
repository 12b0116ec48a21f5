"""The feedback round's pieces on plain values: held-out seeds, the student's errors, the
budget split, and the round's plan (documents not used yet, draws of its own)."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from synthesizrr.generation.feedback import allocate, holdout, score_seeds
from synthesizrr.generation.plan import plan_rows
from synthesizrr.generation.settings import GenerationSettings
from synthesizrr.prompts import TaskSettings
from synthesizrr.testing import FakeEmbedder, fake_embeddings

TASK = TaskSettings(
    labels={"a": "about a", "b": "about b"},
    instruction="Write {label_description}.",
    max_new_tokens=20,
)


def seeds(per_label: int) -> list[dict[str, str]]:
    return [
        {"seed_id": f"{lab}{i}", "text": f"{lab} seed {i}", "label": lab}
        for lab in ("a", "b")
        for i in range(per_label)
    ]


def test_holdout_takes_the_fraction_of_each_label_never_all_of_it() -> None:
    held = holdout(seeds(5), 0.4, seed=0)
    assert sorted(held) == ["a3", "a4", "b0", "b2"]  # golden: the seeded draw
    assert holdout(seeds(5), 0.4, seed=0) == held  # seeded
    assert holdout(seeds(5), 0.4, seed=1) != held
    assert sorted(holdout(seeds(1), 0.5, seed=0)) == []  # a label's only seed stays in
    assert len(holdout(seeds(2), 0.9, seed=0)) == 2  # one of each label, never both
    assert len(holdout(seeds(10), 0.01, seed=0)) == 2  # at least one of each label


def test_allocate_follows_the_errors_by_largest_remainder() -> None:
    labels = ["a", "b", "c"]
    assert allocate({"a": 1, "b": 2, "c": 0}, 12, labels) == {"a": 4, "b": 8, "c": 0}
    assert allocate({"a": 1, "b": 1, "c": 1}, 4, labels) == {"a": 2, "b": 1, "c": 1}
    # 2.4, 0.8, 0.8: floors 2, 0, 0; the two largest remainders (b, c) get the rest
    assert allocate({"a": 3, "b": 1, "c": 1}, 4, labels) == {"a": 2, "b": 1, "c": 1}
    assert allocate({"a": 0, "b": 0, "c": 0}, 5, labels) == {"a": 2, "b": 2, "c": 1}
    assert allocate({}, 0, labels) == {"a": 0, "b": 0, "c": 0}
    # add-one: weights 1, 1, 1, 3 instead of the whole budget on d
    four = ["a", "b", "c", "d"]
    assert allocate({"d": 2}, 12, four) == {"a": 0, "b": 0, "c": 0, "d": 12}
    assert allocate({"d": 2}, 12, four, smoothing=1.0) == {"a": 2, "b": 2, "c": 2, "d": 6}


def test_score_seeds_counts_errors_per_label_and_pair() -> None:
    def features(text: str) -> list[float]:
        return [text.count("alpha"), text.count("beta"), text.count("gamma"), 1.0]

    train = ["alpha one", "alpha two", "beta one", "beta two", "gamma one", "gamma two"]
    labels = ["a", "a", "b", "b", "c", "c"]
    held = ["alpha x", "beta x", "alpha y", "gamma z"]  # the 2nd and 3rd read as a, not b/c
    truth = ["a", "b", "c", "c"]
    with fake_embeddings(FakeEmbedder(4, features=features)):
        got = score_seeds(train, labels, held, truth, ["a", "b", "c"], seed=0)
    assert got.accuracy == 0.75
    assert got.errors == {"a": 0, "b": 0, "c": 1}
    assert got.pairs == [("c", "a", 1)]
    assert got.to_dict() == {"accuracy": 0.75, "errors": {"a": 0, "b": 0, "c": 1},
                             "confused_pairs": [["c", "a", 1]]}  # fmt: skip


def pair(seed: str, pid: str, label: str, rank: int, role: str = "gen") -> dict[str, object]:
    return {"seed_id": seed, "passage_id": pid, "doc_id": pid, "label": label, "rank": rank,
            "score": 0.5, "role": role}  # fmt: skip


PAIRS = [pair(f"{lab}{s}", f"{lab}{s}-p{r}", lab, r) for lab in "ab" for s in range(2)
         for r in range(3, 7)] + [
    pair(f"{lab}{s}", f"{lab}{s}-shot{r}", lab, r, "shot") for lab in "ab" for s in range(2)
    for r in (1, 2)
]  # fmt: skip
TEXT = {str(p["passage_id"]): f"text of {p['passage_id']}" for p in PAIRS}


def test_a_round_plans_its_counts_from_unused_documents_with_its_own_draws() -> None:
    g = GenerationSettings.model_validate(
        {"per_label": 3, "prompt": {"mode": "retricl", "shots": 1, "shot_groups": 1}}
    )
    first = plan_rows(g, TASK, 0, seeds(2), PAIRS, TEXT)
    used = frozenset(str(r.passage_id) for r in first)
    again = plan_rows(g, TASK, 0, seeds(2), PAIRS, TEXT, counts=None, exclude_passages=frozenset())
    assert [r.row_id for r in again] == [r.row_id for r in first]  # defaults: the same plan
    extra = plan_rows(g, TASK, 0, seeds(2), PAIRS, TEXT, counts={"a": 4, "b": 1},
                      exclude_passages=used, draw="feedback1")  # fmt: skip
    assert [r.label for r in extra] == ["a"] * 4 + ["b"]
    assert not {r.passage_id for r in extra} & used
    assert {r.shot_group for r in extra} == {"a@feedback1:0", "a@feedback1:1", "a@feedback1:2",
                                             "a@feedback1:3", "b@feedback1:0"}  # fmt: skip
    for r in extra:  # shots still come from the other seed of the label
        assert [s.split("|")[0] for s in r.shot_ids] != [r.seed_id]
    other = plan_rows(g, TASK, 0, seeds(2), PAIRS, TEXT, counts={"a": 4, "b": 1},
                      exclude_passages=used, draw="feedback2")  # fmt: skip
    assert [r.row_id for r in other] != [r.row_id for r in extra]  # a round's own draw
    none = plan_rows(g, TASK, 0, seeds(2), PAIRS, TEXT, counts={"a": 0, "b": 0}, draw="x")
    assert none == []


def test_feedback_settings_are_checked() -> None:
    with pytest.raises(ValidationError, match="feedback_rounds=1 needs feedback_budget > 0"):
        GenerationSettings.model_validate({"feedback_rounds": 1})
    with pytest.raises(ValidationError, match="needs a retrieval mode .* not prompt.mode 'fewgen'"):
        GenerationSettings.model_validate(
            {"feedback_rounds": 1, "feedback_budget": 4, "prompt": {"mode": "fewgen"}}
        )
    off = GenerationSettings().fingerprint_dump()
    assert not {"feedback_rounds", "feedback_budget", "feedback_holdout",
                "feedback_smoothing"} & set(off)  # fmt: skip
    on = GenerationSettings.model_validate({"feedback_rounds": 1, "feedback_budget": 4})
    assert on.fingerprint_dump()["feedback_budget"] == 4
    assert np.isclose(on.feedback_holdout, 0.4)
