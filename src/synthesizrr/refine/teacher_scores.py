"""The teacher's reading of a text: log-likelihood of each label name as its answer.

For ``refine.label_check.scorer: teacher``. Each text goes into one chat prompt (the task's
description, every label with its description, the text, "answer with the label name"),
evaluated once by the GGUF teacher in this process; each label name is then scored as the
start of the answer (:meth:`~synthesizrr.llm.llamacpp.LlamaCppBackend.score_continuations`).
The task and label lines are the same for every text, so their KV state is kept and only
the text is evaluated per row. Raw log-likelihoods favour short, frequent names; the
label check calibrates them on the seeds (:mod:`synthesizrr.refine.label_check`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from synthesizrr.errors import ConfigError
from synthesizrr.llm.settings import LLMSettings
from synthesizrr.llm.types import LLMRequest, Message
from synthesizrr.prompts.task import TaskSettings

if TYPE_CHECKING:
    from synthesizrr.llm.llamacpp import LlamaCppBackend

#: Characters of a text that go into the scoring prompt (a long review is cut there).
MAX_TEXT_CHARS = 1000


def label_question(task: TaskSettings, text: str) -> LLMRequest:
    """The scoring prompt for ``text``: which of the task's labels fits it."""
    head = task.description.strip() or "Which label fits the text below?"
    options = "\n".join(f"- {name}: {desc}" for name, desc in task.labels.items())
    content = (
        f"{head}\n\nLabels:\n{options}\n\nText: {text.strip()[:MAX_TEXT_CHARS]}\n\n"
        "Answer with the label name only."
    )
    return LLMRequest(messages=(Message(role="user", content=content),), max_tokens=1)


class TeacherScorer:
    """``scorer(texts, names)`` -> (n, len(names)) log-likelihoods of each label name, in
    the order of ``names`` (the task's labels, in any order).

    The model loads on first use (:attr:`backend`): a refine stage whose label check is
    skipped (too few seeds) never pays for it."""

    def __init__(self, task: TaskSettings, llm: LLMSettings, model: str | None = None) -> None:
        name = model or llm.model
        if model is None and llm.backend != "llamacpp":
            raise ConfigError(
                f"refine.label_check.scorer is 'teacher' but the teacher runs on the "
                f"'{llm.backend}' backend; the check scores with a GGUF model in this process.",
                fix="set refine.label_check.teacher to an embedded model name or a GGUF path "
                "(e.g. qwen2.5-coder-0.5b)",
            )
        self.task = task
        self.model = name
        self._llm = llm
        self._backend: LlamaCppBackend | None = None

    @property
    def backend(self) -> LlamaCppBackend:
        """The llama.cpp teacher, loaded the first time it is asked for."""
        if self._backend is None:
            from synthesizrr.llm.llamacpp import LlamaCppBackend

            llm = self._llm
            self._backend = LlamaCppBackend(
                self.model, chat=True, n_ctx=llm.n_ctx, n_threads=llm.n_threads
            )
        return self._backend

    def __call__(self, texts: Sequence[str], names: Sequence[str]) -> np.ndarray:
        unknown = sorted(set(names) - set(self.task.labels))
        if unknown:
            raise ConfigError(
                f"refine.label_check: label(s) {unknown} are not labels of the task",
                fix="score with the task's own labels",
            )
        rows = [
            self.backend.score_continuations(label_question(self.task, t), names) for t in texts
        ]
        return np.array(rows, dtype=np.float64).reshape(len(rows), len(names))
