"""The teacher's label log-likelihoods on the embedded SmolLM2: what a row is scored does
not depend on what was scored or generated before it, and scoring leaves generation as it
was."""

from __future__ import annotations

import numpy as np
import pytest

from synthesizrr.errors import ConfigError, ModelNotAvailableError
from synthesizrr.llm.settings import LLMSettings
from synthesizrr.llm.types import LLMRequest, Message
from synthesizrr.prompts.task import TaskSettings
from synthesizrr.refine.teacher_scores import MAX_TEXT_CHARS, TeacherScorer, label_question

TASK = TaskSettings(
    description="Is the movie review positive or negative?",
    labels={"negative": "a negative movie review", "positive": "a positive movie review"},
    instruction="Write a {label} review.",
)


def test_the_question_lists_every_label_and_cuts_long_texts() -> None:
    req = label_question(TASK, "  x" + "y" * 2000)
    assert req.messages is not None and len(req.messages) == 1
    content = req.messages[0].content
    assert content.startswith(
        "Is the movie review positive or negative?\n\nLabels:\n"
        "- negative: a negative movie review\n- positive: a positive movie review\n\nText: x"
    )
    assert content.endswith("\n\nAnswer with the label name only.")
    assert "Text: x" + "y" * (MAX_TEXT_CHARS - 1) + "\n\n" in content


@pytest.mark.slow
def test_scores_are_independent_of_order_and_leave_generation_unchanged() -> None:
    pytest.importorskip("llama_cpp")
    scorer = TeacherScorer(TASK, LLMSettings(model="smollm2", n_ctx=512, n_threads=1))
    texts = ["A dull, lifeless film with no laughs.", "A warm, funny and moving film."]
    names = ["negative", "positive"]
    forward = scorer(texts, names)
    backward = scorer(texts[::-1], names)[::-1]
    np.testing.assert_array_equal(forward, backward)  # a kept prefix is bit for bit a fresh one
    assert forward.shape == (2, 2) and np.isfinite(forward).all() and (forward < 0).all()
    # A longer answer adds the log-probability of its extra tokens: it can only be lower.
    backend = scorer.backend
    req = label_question(TASK, texts[0])
    one, longer = backend.score_continuations(req, ["positive", "positive review"])
    assert longer < one == pytest.approx(float(forward[0, 1]))
    # Generation after scoring is what it is without scoring (the context is restored).
    gen = LLMRequest(messages=(Message(role="user", content="Name a fruit."),), max_tokens=8,
                     temperature=0.0)  # fmt: skip
    before = backend.generate(gen).text
    scorer(texts, names)
    assert backend.generate(gen).text == before
    # Columns follow the names asked for, whatever the task's own order.
    np.testing.assert_array_equal(scorer(texts, names[::-1]), forward[:, ::-1])
    with pytest.raises(ConfigError, match=r"label\(s\) \['neutral'\] are not labels"):
        scorer(texts, ["neutral"])


def test_the_teacher_loads_only_when_it_first_scores() -> None:
    scorer = TeacherScorer(TASK, LLMSettings(model="/nonexistent/teacher.gguf"))
    assert scorer.model == "/nonexistent/teacher.gguf" and scorer._backend is None
    with pytest.raises(
        ModelNotAvailableError, match="is neither an embedded model .* nor an existing"
    ):
        scorer(["A warm film."], ["positive", "negative"])
