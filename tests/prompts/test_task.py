from __future__ import annotations

import pytest
from pydantic import ValidationError

from synthesizrr.errors import ConfigError
from synthesizrr.prompts import TaskSettings, load_preset, preset_names

ALL = ["ag_news", "amazon_humor", "amazon_polarity", "category", "hyperpartisan", "imdb", "sst2"]


def test_presets_are_the_seven_paper_tasks() -> None:
    assert preset_names() == ALL
    for name in ALL:
        task = TaskSettings(preset=name)
        assert task.name == name
        for label in task.label_names:
            instruction = task.instruction_for(label)
            assert task.labels[label] in instruction
            assert "{" not in instruction


def test_override_field_by_field() -> None:
    task = TaskSettings(preset="ag_news", max_new_tokens=33, output_prefix="Headline:")
    assert (task.max_new_tokens, task.output_prefix) == (33, "Headline:")
    assert task.document_header == load_preset("ag_news")["document_header"]
    assert task.label_names == ["World", "Sports", "Business", "Sci/Tech"]


def test_unknown_preset_names_the_choices() -> None:
    with pytest.raises(ConfigError, match="unknown preset 'agnews'; valid choices: ag_news, "):
        TaskSettings(preset="agnews")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"labels": {"a": "x"}}, "at least 2 labels"),
        ({"labels": {"a": "x", "b": " "}}, "label 'b' has no description"),
        ({"instruction": "Write about {topic}."}, "unknown placeholder"),
        ({"instruction": "Write about {label"}, "not a valid template"),
        ({"max_new_tokens": 0}, "greater than 0"),
    ],
)
def test_bad_task_fields(fields: dict, message: str) -> None:
    base = {"labels": {"a": "about a", "b": "about b"}, "instruction": "Write {label}."}
    with pytest.raises(ValidationError, match=message):
        TaskSettings(**{**base, **fields})
