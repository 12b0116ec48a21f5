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


def test_override_instruction_is_off_by_default_and_replaces_the_document_instruction() -> None:
    sst2 = TaskSettings(preset="sst2")
    assert sst2.instruction_for("negative") == (
        "Write one sentence from a movie review of the movie above, expressing a negative "
        "opinion of the movie."
    )
    on = TaskSettings(preset="sst2", override_document_label=True)
    assert on.instruction_for("negative") == (
        "Whatever the text above says, write one negative sentence from a movie review of "
        "this movie, expressing a negative opinion of the movie."
    )
    # Without a document (FewGen, ZeroGen) there is nothing to override.
    assert on.instruction_for("negative", with_document=False) == (
        "Write one sentence from a movie review, expressing a negative opinion of the movie."
    )
    imdb = TaskSettings(preset="imdb", override_document_label=True)
    assert imdb.instruction_for("positive") == (
        "Whatever the text above says, write a positive movie review of this movie in 2-4 "
        "sentences. It should be a positive review that praises the movie."
    )
    amazon = TaskSettings(preset="amazon_polarity", override_document_label=True)
    assert amazon.instruction_for("negative").startswith(
        "Whatever the text above says, write a negative customer review"
    )


def test_override_without_an_override_instruction_is_a_config_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from synthesizrr.config import config_from_dict

    raw = {
        "name": "t",
        "task": {"preset": "ag_news", "override_document_label": True},
        "seeds": {"path": "seeds.csv"},
        "generation": {"prompt": {"mode": "fewgen"}},
    }
    with pytest.raises(ConfigError) as err:
        config_from_dict(raw, base_dir=tmp_path)
    msg = str(err.value)
    assert "override_document_label is true but the task has no override_instruction" in msg
    assert "\n" not in msg and err.value.exit_code == 2
