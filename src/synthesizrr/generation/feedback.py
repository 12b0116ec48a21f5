"""One round of student feedback: where should the next generations go?

Seeds only (never the real train set beyond the seeds, never the test set):

1. :func:`holdout` sets a fraction of each label's seeds aside. They are neither retrieval
   queries nor shots of any generation of the run, so a student trained on the
   generations has never seen them, directly or through a prompt.
2. :func:`score_seeds` trains a student (``embed_lr``: MiniLM embeddings + logistic
   regression, the pipeline's default) on the kept rows and classifies the held-out seeds;
   the errors count per true label and per (true, predicted) pair.
3. :func:`allocate` splits the round's budget over the labels in proportion to their
   errors plus ``smoothing`` (largest remainders, ties in label order): with a handful of
   held-out seeds two errors are mostly noise, and sending the whole budget to one label
   unbalances the dataset; a student with no error spreads it evenly.

The generate stage then plans the allocated rows from documents not used yet
(:func:`synthesizrr.generation.plan.plan_rows` with ``counts`` and ``exclude_passages``)
and sends them through the same engine and request cache.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthesizrr.distill.settings import StudentSettings
from synthesizrr.distill.students import make_student
from synthesizrr.generation.plan import seeded_rng

Row = dict[str, Any]

#: The feedback student: the pipeline's default, fast on CPU and deterministic.
STUDENT = StudentSettings(kind="embed_lr", model="minilm")


def holdout(seeds: Sequence[Row], fraction: float, seed: int) -> frozenset[str]:
    """The held-out seed ids: ``round(fraction * n)`` of each label's ``n`` seeds, at least
    one and never all (a label with one seed keeps it), drawn with a seeded generator."""
    by_label: dict[str, list[str]] = {}
    for s in seeds:
        by_label.setdefault(str(s["label"]), []).append(str(s["seed_id"]))
    out: set[str] = set()
    for label, ids in sorted(by_label.items()):
        k = min(max(1, round(fraction * len(ids))), len(ids) - 1)
        out.update(seeded_rng(seed, "feedback-holdout", label).sample(sorted(ids), k))
    return frozenset(out)


@dataclass
class SeedScore:
    """The student's accuracy on the held-out seeds and where it errs."""

    accuracy: float
    errors: dict[str, int]  # true label -> held-out seeds of it classified wrong
    pairs: list[tuple[str, str, int]]  # (true, predicted, count), most frequent first

    def to_dict(self) -> dict[str, Any]:
        return {
            "accuracy": round(self.accuracy, 4),
            "errors": self.errors,
            "confused_pairs": [list(p) for p in self.pairs],
        }


def score_seeds(
    texts: Sequence[str],
    labels: Sequence[str],
    seed_texts: Sequence[str],
    seed_labels: Sequence[str],
    label_names: Sequence[str],
    seed: int,
) -> SeedScore:
    """Train :data:`STUDENT` on (``texts``, ``labels``) and score it on the held-out seeds."""
    names = list(label_names)
    index = {lab: i for i, lab in enumerate(names)}
    student = make_student(STUDENT, len(names))
    student.fit(list(texts), np.array([index[x] for x in labels], dtype=np.int64), seed)
    predicted = [names[k] for k in student.predict_proba(list(seed_texts)).argmax(axis=1)]
    wrong = Counter((t, p) for t, p in zip(seed_labels, predicted, strict=True) if t != p)
    errors = {lab: sum(n for (t, _), n in wrong.items() if t == lab) for lab in names}
    order = {lab: i for i, lab in enumerate(names)}
    pairs = sorted(wrong.items(), key=lambda kv: (-kv[1], order[kv[0][0]], order[kv[0][1]]))
    right = len(seed_labels) - sum(wrong.values())
    return SeedScore(
        accuracy=right / len(seed_labels) if seed_labels else 0.0,
        errors=errors,
        pairs=[(t, p, n) for (t, p), n in pairs],
    )


def allocate(
    errors: Mapping[str, int], budget: int, label_names: Sequence[str], smoothing: float = 0.0
) -> dict[str, int]:
    """``budget`` rows over the labels in proportion to ``errors`` plus ``smoothing``
    (largest remainders, ties in label order); all weights 0: as evenly as possible."""
    names = list(label_names)
    weights = [errors.get(lab, 0) + smoothing for lab in names]
    if sum(weights) == 0:
        weights = [1] * len(names)
    total = sum(weights)
    exact = [budget * w / total for w in weights]
    counts = [int(x) for x in exact]
    rest = budget - sum(counts)
    by_remainder = sorted(range(len(names)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in by_remainder[:rest]:
        counts[i] += 1
    return dict(zip(names, counts, strict=True))
