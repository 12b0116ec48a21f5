from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from synthesizrr.metrics import EntityEntropy, MetricsSettings, entity_entropies, shannon_entropy

FAKE_NER = {
    "t1": [("Obama", "PERSON"), ("Paris", "GPE")],
    "t2": [("Obama", "PERSON"), ("Google", "ORG")],
    "t3": [("Berlin", "GPE")],
    "t4": [],
}


class FakeNer(EntityEntropy):
    def extract(self, texts: Sequence[str], progress: bool = False) -> list[list[tuple[str, str]]]:
        return [FAKE_NER[t] for t in texts]


def test_shannon_entropy_exact() -> None:
    assert shannon_entropy([]) == 0.0
    assert shannon_entropy([7]) == 0.0
    assert shannon_entropy([1, 1, 1, 1]) == 2.0
    assert shannon_entropy([2, 1, 1, 0]) == 1.5


def test_entity_entropy_on_mocked_ner_output() -> None:
    result = FakeNer(MetricsSettings()).compute(list(FAKE_NER))
    # overall counts Obama 2, Paris 1, Google 1, Berlin 1 (total 5)
    expected = 0.4 * math.log2(2.5) + 3 * 0.2 * math.log2(5)
    assert result.value == pytest.approx(expected, abs=1e-12)
    assert result.details["per_type"] == {"GPE": 1.0, "ORG": 0.0, "PERSON": 0.0}
    assert result.details["n_entities"] == 5
    assert result.details["n_unique"] == 4
    assert result.details["per_type_counts"] == {"GPE": 2, "ORG": 1, "PERSON": 2}
    assert result.details["texts_with_entities"] == 3
    assert result.signature == "entity_entropy|ner:en_core_web_sm|norm:strip|log:2|version:0.1.0"


def test_same_string_two_types_counts_once_overall() -> None:
    stats = entity_entropies([[("Jordan", "PERSON"), ("Jordan", "GPE")]])
    assert stats["overall"] == 0.0
    assert stats["per_type"] == {"GPE": 0.0, "PERSON": 0.0}


def test_real_spacy_ner_finds_entities() -> None:
    metric = EntityEntropy(MetricsSettings())
    ents = metric.extract(
        [
            "Barack Obama visited Paris on Monday and met executives of Google.",
            "Apple shares rose 5% in New York.",
            "no entities here",
        ]
    )
    assert ("Barack Obama", "PERSON") in ents[0]
    assert ("Paris", "GPE") in ents[0]
    assert ("New York", "GPE") in ents[1]
    assert ents[2] == []
