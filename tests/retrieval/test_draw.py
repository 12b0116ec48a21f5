"""Which documents are rewritten and which shots a prompt shows (issue #15 items 1-2)."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from pydantic import ValidationError

from synthesizrr.retrieval import RetrievalSettings
from synthesizrr.retrieval.draw import article_key, draw_documents, pick_shots


def gen(seed: int, rank: int, doc: int) -> dict[str, object]:
    return {"seed_id": f"seed-{seed:02d}", "passage_id": f"d{doc}#0", "doc_id": f"d{doc}",
            "rank": rank, "role": "gen"}  # fmt: skip


def test_draw_spreads_over_every_seed_and_ignores_file_order() -> None:
    cands = [gen(s, r, s * 100 + r) for s in range(50) for r in range(3, 51)]
    chosen = draw_documents(cands, 10, random.Random(7))
    again = draw_documents(list(reversed(cands)), 10, random.Random(7))
    assert chosen == again  # the pairs file's order does not matter
    seeds = Counter(c["seed_id"] for c in chosen)
    # round-robin would have taken rank 3 of seeds 0-9; the draw reaches far seeds and ranks
    assert len(seeds) >= 8 and max(int(str(s)[5:]) for s in seeds) >= 25
    assert any(int(str(c["rank"])) > 3 for c in chosen)
    every = draw_documents(cands[:3], 10, random.Random(0))  # fewer candidates than asked
    assert sorted((c["seed_id"], c["rank"]) for c in every) \
        == [("seed-00", 3), ("seed-00", 4), ("seed-00", 5)]  # fmt: skip


@pytest.mark.parametrize("small", [1, 5, 10, 40])
def test_draw_for_a_smaller_budget_is_the_head_of_the_larger_one(small: int) -> None:
    # random.sample switches its method with k (and the draw used to be re-sorted), so a
    # run resumed with a larger per_label drew other documents and lost its cached requests
    cands = [gen(s, r, s * 100 + r) for s in range(50) for r in range(3, 51)]
    big = draw_documents(cands, 300, random.Random(7))
    assert draw_documents(cands, small, random.Random(7)) == big[:small]
    assert len({c["passage_id"] for c in big}) == 300


def test_draw_is_uniform_over_candidates() -> None:
    cands = [gen(s, r, s * 100 + r) for s in range(4) for r in range(3, 8)]  # 20 candidates
    hits: Counter[str] = Counter()
    rng = random.Random(0)
    for _ in range(2000):
        hits.update(str(c["passage_id"]) for c in draw_documents(cands, 5, rng))
    assert len(hits) == 20 and min(hits.values()) > 400 and max(hits.values()) < 600  # mean 500


def shot(seed: int, rank: int, doc: str) -> dict[str, object]:
    return {"seed_id": f"seed-{seed}", "passage_id": f"{doc}#0", "doc_id": doc, "rank": rank,
            "role": "shot"}  # fmt: skip


def test_shots_never_show_the_prompts_document_or_article() -> None:
    document = {"seed_id": "seed-0", "passage_id": "news:7:2#0", "doc_id": "news:7:2", "rank": 5}
    pool = [
        shot(0, 1, "news:1:0"),  # the document's own seed: never a shot
        shot(1, 1, "news:7:2"),  # the same doc_id (and passage)
        shot(1, 2, "news:9:0"),  # rank 2 of seed 1: allowed
        shot(2, 1, "news:7:0"),  # another chunk of the same article
        shot(2, 2, "news:7:5"),  # again the same article
        shot(3, 1, "news:4:1"),
        shot(3, 2, "news:4:2"),  # same article as seed 3's rank 1: one of them at most
    ]
    pattern = r"^(.*):\d+$"
    for trial in range(30):
        shots = pick_shots(document, pool, 3, random.Random(trial), pattern)
        docs = [s["doc_id"] for s in shots]
        assert len(shots) == 2 and len({s["seed_id"] for s in shots}) == 2
        assert "news:9:0" in docs and ({"news:4:1", "news:4:2"} & set(docs))
        assert not {"news:7:2", "news:7:0", "news:7:5", "news:1:0"} & set(docs)
    # without the pattern the other chunks of article 7 are different documents
    seen = {str(s["doc_id"]) for t in range(30)
            for s in pick_shots(document, pool, 3, random.Random(t), None)}  # fmt: skip
    assert seen == {"news:9:0", "news:7:0", "news:7:5", "news:4:1", "news:4:2"}


def test_rank_two_shot_documents_are_used() -> None:
    document = {"seed_id": "seed-0", "passage_id": "x#0", "doc_id": "x", "rank": 3}
    pool = [shot(1, 1, "a"), shot(1, 2, "b")]
    ranks = Counter(pick_shots(document, pool, 1, random.Random(t), None)[0]["rank"]
                    for t in range(200))  # fmt: skip
    assert set(ranks) == {1, 2} and min(ranks.values()) > 70


def test_article_key_and_pattern_validation() -> None:
    assert article_key("reuters21578:1:3", r"^(.*):\d+$") == "reuters21578:1"
    assert article_key("plain-id", r"^(.*):\d+$") == "plain-id"
    assert article_key("reuters21578:1:3", None) == "reuters21578:1:3"
    with pytest.raises(ValidationError, match="article_pattern needs a group"):
        RetrievalSettings(article_pattern=r"^.*:\d+$")
    with pytest.raises(ValidationError, match="article_pattern is not a regular expression"):
        RetrievalSettings(article_pattern="(")
