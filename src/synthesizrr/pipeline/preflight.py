"""Cheap checks before the first stage that costs anything.

A missing test set, a missing ``.gguf`` file or a server that is down would otherwise be
found only after the index is built or the teacher is paid. Before the first stage that
runs, :func:`check` looks at what the stages still to run will need:

- every input path: ``seeds.path``, ``corpus.path``, ``evaluation.train_path``,
  ``evaluation.test_path`` (exit 3, naming the field);
- the embedding model of a dense index when it is bundled or a local path (exit 5);
- the teacher, through its backend's ``preflight``: the llama.cpp model file exists and
  is GGUF (exit 5), an OpenAI-compatible server accepts a TCP connection (exit 6) and its
  API key is set (exit 2). A dry run sends nothing, so no server is needed for it.

Each problem is the typed error of the stage that would have met it, one line, naming
the field and the fix. With ``executor: ray`` only the input paths are checked (they are
read here); the workers load the models and call the server, from machines of their own.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from synthesizrr.config import RunConfig
from synthesizrr.corpus.readers import resolve_files
from synthesizrr.models import check_local_model, resolve_embedder_path
from synthesizrr.pipeline.stages import Stage


def input_paths(cfg: RunConfig, stages: set[str]) -> Iterator[tuple[str, str]]:
    """``(field, path)`` of every input file the named stages read."""
    ev = cfg.evaluation
    real_train = {"refine", "evaluate"} & stages
    if "seeds" in stages or (real_train and ev.train_path is None):
        yield "seeds.path", cfg.seeds.path
    if "corpus" in stages and cfg.corpus is not None:
        yield "corpus.path", cfg.corpus.path
    if real_train and ev.train_path is not None:
        yield "evaluation.train_path", ev.train_path
    if "evaluate" in stages and ev.test_path is not None:
        yield "evaluation.test_path", ev.test_path


def check(cfg: RunConfig, stages: Sequence[Stage], *, dry_run: bool = False) -> None:
    """Raise the first problem the ``stages`` about to run would meet, before any runs.

    A dry run stops at generate, so what comes after it is not checked then.
    """
    names: set[str] = set()
    for stage in stages:
        if stage.needed(cfg):
            names.add(stage.name)
        if dry_run and stage.name == "generate":
            break
    for field, path in input_paths(cfg, names):
        resolve_files(path, base_dir=cfg.base_dir, what=field)
    if cfg.executor != "local":
        return  # Ray workers load the models and call the server: this machine may not see them
    if "index" in names and cfg.retrieval.retriever == "dense":
        resolve_embedder_path(cfg.retrieval.model)  # a bundled model that is not installed
        check_local_model(cfg.retrieval.model, "retrieval.model")
    if "generate" in names:
        from synthesizrr.llm.registry import backend_class

        llm = cfg.generation.llm
        backend_class(llm.backend).preflight(llm, send=not dry_run)
