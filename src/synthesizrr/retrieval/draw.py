"""Which retrieved documents are rewritten, and which shot documents each prompt shows.

Both draws work on the rows of ``pairs.parquet`` (dicts with seed_id, passage_id, doc_id,
rank, role), after the similarity band and the reuse cap (``max_seeds_per_doc``) have
been applied by :mod:`synthesizrr.retrieval.assign`, so any subset keeps the cap.

* :func:`draw_documents`: a seeded uniform sample of ``per_label`` of a label's "gen"
  pairs (every seed, every rank >= ``gen_min_rank``, inside the band), as the original
  code does, instead of the first seeds' nearest neighbours. The candidates are put in a
  canonical order first, so the draw does not depend on the order of the pairs file, and
  the sample is the head of one seeded shuffle, kept in the order drawn, so it is stable
  in ``per_label``: raising it keeps every document (and plan position) drawn before, and
  a run resumed with a larger budget finds its finished requests in the cache.
* :func:`pick_shots`: RETRICL shots from the "shot" pairs (ranks 1-2) of the other seeds
  of the label. A shot never shows the prompt's own document: not its passage, not its
  ``doc_id``, not its source article (see :func:`article_key`); shots also differ from
  each other in seed and article. The candidates (both shot ranks of every seed) are
  shuffled with the row's generator and taken greedily.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

Row = dict[str, Any]


def article_key(doc_id: str | None, pattern: str | None) -> str | None:
    """The source article of a document: group 1 of ``pattern`` on ``doc_id`` where it
    matches (e.g. ``^(.*):\\d+$`` for ids written ``<article>:<chunk>``), else ``doc_id``."""
    if doc_id is None or pattern is None:
        return doc_id
    m = re.match(pattern, doc_id)
    return m.group(1) if m and m.groups() else doc_id


def _canonical(row: Row) -> tuple[str, int, str]:
    return (str(row["seed_id"]), int(row["rank"]), str(row["passage_id"]))


def draw_documents(candidates: Sequence[Row], k: int, rng: random.Random) -> list[Row]:
    """``min(k, len(candidates))`` candidates drawn uniformly without replacement, in the
    order drawn: the first ``k`` of a seeded shuffle of the canonically ordered pool (seed
    id, rank, passage id), so the draw for ``k`` is the head of the draw for any larger
    ``k`` (``random.sample`` is not: its method depends on ``k``)."""
    pool = sorted(candidates, key=_canonical)
    rng.shuffle(pool)
    return pool[:k]


def _keys(row: Row, pattern: str | None) -> set[tuple[str, str]]:
    keys = {("passage", str(row["passage_id"]))}
    if row.get("doc_id") is not None:
        keys.add(("doc", str(row["doc_id"])))
        keys.add(("article", str(article_key(row["doc_id"], pattern))))
    return keys


def pick_shots(
    document: Row,
    shot_pairs: Sequence[Row],
    k: int,
    rng: random.Random,
    pattern: str | None,
    *,
    also: Sequence[Row] = (),
) -> list[Row]:
    """Up to ``k`` shot pairs for the prompt rewriting ``document`` (see the module doc).

    ``shot_pairs`` are the "shot" pairs of the label's seeds; the document's own seed is
    left out, as is every pair sharing a passage, doc id or source article with the
    document or with a shot already taken. ``also``: the other documents of a shot group
    (the shots are shared by the group, so none of its documents is shown as a shot).
    """
    own = {d["seed_id"] for d in (document, *also)}
    pool = sorted((p for p in shot_pairs if p["seed_id"] not in own), key=_canonical)
    used = _keys(document, pattern)
    for other in also:
        used |= _keys(other, pattern)
    seeds: set[str] = set()
    out: list[Row] = []
    for p in rng.sample(pool, len(pool)):
        if len(out) == k:
            break
        keys = _keys(p, pattern)
        if p["seed_id"] in seeds or keys & used:
            continue
        out.append(p)
        seeds.add(p["seed_id"])
        used |= keys
    return out
