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


def shot_groups(label: str, row_ids: Sequence[str], size: int) -> list[ShotGroup]:
    """The groups of one label's rows, in order (``row_ids`` in plan order)."""
    if size < 1:
        raise ValueError(f"shot_groups must be >= 1, got {size}")
    out: list[ShotGroup] = []
    for start in range(0, len(row_ids), size):
        members = tuple(range(start, min(start + size, len(row_ids))))
        name = f"{label}:{start // size}"
        # G=1: the row's own id, so the draw (and the request) is what it always was.
        key = row_ids[start] if size == 1 else f"group|{name}"
        out.append(ShotGroup(name=name, draw_key=key, members=members))
    return out
