"""Shot groups: G consecutive prompts of one label share one seeded draw of shots.

Each prompt of a group keeps its own document and sampling seed; the shared shots are a
shared prompt prefix, which a prefix-keeping teacher evaluates once per group. With G=1
every prompt draws its own shots under its own row id, exactly as before groups existed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ShotGroup:
    """One group: its name (provenance), the key its shots are drawn under, its members."""

    name: str
    draw_key: str
    members: tuple[int, ...]


def shot_groups(
    label: str,
    row_ids: Sequence[str],
    size: int,
    *,
    seeds: Sequence[str | None] | None = None,
    max_seeds: int | None = None,
) -> list[ShotGroup]:
    """The groups of one label's rows, in order (``row_ids`` in plan order).

    Rows join the open group until it has ``size`` members. ``seeds`` (each row's seed)
    with ``max_seeds``: a group also closes before a row whose seed would make it span
    more than ``max_seeds`` seeds, so shots from the other seeds of the label (a shot
    never shows a member's own seed) are left to draw when a label has few seeds. Groups
    form greedily in plan order, so the groups of a plan's first rows are the same in any
    longer plan: raising ``per_label`` changes no group but the last, open one.
    """
    if size < 1:
        raise ValueError(f"shot_groups must be >= 1, got {size}")
    limit = None if seeds is None or max_seeds is None else max(1, max_seeds)
    spans: list[list[int]] = []
    spanned: set[str | None] = set()
    for i in range(len(row_ids)):
        seed = None if seeds is None else seeds[i]
        full = bool(spans) and len(spans[-1]) >= size
        wide = limit is not None and seed not in spanned and len(spanned) >= limit
        if not spans or full or wide:
            spans.append([])
            spanned = set()
        spans[-1].append(i)
        spanned.add(seed)
    out: list[ShotGroup] = []
    for index, members in enumerate(spans):
        name = f"{label}:{index}"
        # G=1: the row's own id, so the draw (and the request) is what it always was.
        key = row_ids[members[0]] if size == 1 else f"group|{name}"
        out.append(ShotGroup(name=name, draw_key=key, members=tuple(members)))
    return out
