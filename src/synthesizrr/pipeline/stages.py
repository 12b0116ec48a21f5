"""The pipeline's stages, in order. Each is a deterministic function of its inputs,
its settings and the run seed; its fingerprint covers exactly those.

    seeds -> corpus -> index -> retrieve -> generate -> refine -> evaluate -> report
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthesizrr.config import RunConfig
from synthesizrr.errors import InputDataError
from synthesizrr.pipeline.fingerprint import files_signature
from synthesizrr.pipeline.rundir import RunDir, atomic_write_json, read_parquet, write_parquet

log = logging.getLogger(__name__)


@dataclass
class StageContext:
    cfg: RunConfig
    run: RunDir
    progress: bool = False
    dry_run: bool = False
    retry_failed: bool = False
    extras: dict[str, Any] = field(default_factory=dict)
    _executor: Any = None

    @property
    def executor(self) -> Any:
        """The run's executor (local or Ray), created on first use."""
        if self._executor is None:
            from synthesizrr.executors import get_executor

            self._executor = get_executor(self.cfg)
        return self._executor

    def input(self, stage: str, filename: str) -> Path:
        return self.run.stage_dir(STAGES[stage].folder) / filename


@dataclass(frozen=True)
class Stage:
    name: str
    folder: str
    deps: tuple[str, ...]
    settings: Callable[[RunConfig], Any]
    run: Callable[[StageContext, Path], dict[str, Any]]
    needed: Callable[[RunConfig], bool] = lambda cfg: True
    version: int = 1
    description: str = ""


# -- seeds ---------------------------------------------------------------------------------
def _seeds_settings(cfg: RunConfig) -> Any:
    return {
        "seeds": cfg.seeds.model_dump(mode="json"),
        "files": files_signature(cfg.resolve(cfg.seeds.path)),
        "labels": cfg.task.label_names,
        "seed": cfg.seed,
    }


def load_labeled(
    cfg: RunConfig,
    path: str,
    text_field: str,
    label_field: str,
    what: str,
    *,
    setting: str = "labeled file",
) -> Any:
    """Read a labeled file and check its labels against the task. ``setting`` names the
    config field of ``path`` in errors (``seeds.path``, ``evaluation.test_path``)."""
    from synthesizrr.corpus import read_labeled

    table = read_labeled(
        path, base_dir=cfg.base_dir, text_field=text_field, label_field=label_field,
        setting=setting,
    )  # fmt: skip
    labels = set(cfg.task.label_names)
    found = table.column("label").to_pylist()
    unknown = sorted({str(x) for x in found} - labels)
    if unknown:
        raise InputDataError(
            f"{what} '{path}': label(s) {unknown[:5]} in column '{label_field}' are not in the "
            f"task's labels {sorted(labels)}.",
            fix="fix the file, or map the labels in task.labels (names must match exactly)",
        )
    return table


def run_seeds(ctx: StageContext, out: Path) -> dict[str, Any]:
    import pyarrow as pa

    cfg = ctx.cfg
    table = load_labeled(
        cfg, cfg.seeds.path, cfg.seeds.text_field, cfg.seeds.label_field, "seeds",
        setting="seeds.path",
    )  # fmt: skip
    texts = table.column("text").to_pylist()
    labels = [str(x) for x in table.column("label").to_pylist()]
    lines = table.column("line").to_pylist()
    rng = random.Random(cfg.seed)
    rows: list[dict[str, Any]] = []
    per_label: dict[str, int] = {}
    warnings: list[str] = []
    for label in cfg.task.label_names:
        idx = [i for i, lab in enumerate(labels) if lab == label]
        if not idx:
            raise InputDataError(
                f"seeds '{cfg.seeds.path}': no example of label '{label}'.",
                fix="add examples of every task label to the seed file",
            )
        chosen = sorted(rng.sample(idx, min(cfg.seeds.per_label, len(idx))))
        per_label[label] = len(chosen)
        if len(idx) < cfg.seeds.per_label:
            warnings.append(f"label '{label}': seeds.per_label asks for {cfg.seeds.per_label} "
                            f"seeds, '{cfg.seeds.path}' has only {len(idx)} (all used)")  # fmt: skip
        rows += [
            {"seed_id": f"seed-{lines[i]}", "text": texts[i], "label": label, "line": lines[i]}
            for i in chosen
        ]
    write_parquet(pa.Table.from_pylist(rows), out / "seeds.parquet")
    summary: dict[str, Any] = {"seeds": len(rows), "per_label": per_label}
    if warnings:
        summary["warnings"] = warnings  # logged by the runner, listed in the report
    return summary


# -- corpus ----------------------------------------------------------------------------------
def _uses_docs(cfg: RunConfig) -> bool:
    return cfg.generation.prompt.mode.uses_documents


def _corpus_settings(cfg: RunConfig) -> Any:
    assert cfg.corpus is not None
    return {
        "corpus": cfg.corpus.model_dump(mode="json"),
        "files": files_signature(cfg.resolve(cfg.corpus.path)),
    }


def run_corpus(ctx: StageContext, out: Path) -> dict[str, Any]:
    from synthesizrr.corpus import prepare_passages

    assert ctx.cfg.corpus is not None
    stats = prepare_passages(
        ctx.cfg.corpus, out / "passages.parquet", base_dir=ctx.cfg.base_dir, progress=ctx.progress
    )
    summary = stats.to_dict()
    atomic_write_json(out / "stats.json", summary)
    return dict(summary)


# -- index -----------------------------------------------------------------------------------
_QUERY_ONLY = ("top_k", "sim_min", "sim_max", "max_seeds_per_doc", "shot_ranks", "shot_sim_min",
               "shot_sim_max", "gen_min_rank")  # fmt: skip


def _index_settings(cfg: RunConfig) -> Any:
    return cfg.retrieval.model_dump(mode="json", exclude=set(_QUERY_ONLY))


def run_index(ctx: StageContext, out: Path) -> dict[str, Any]:
    info = ctx.executor.build_index(
        ctx.cfg.retrieval, ctx.input("corpus", "passages.parquet"), out, progress=ctx.progress
    )
    info.pop("path", None)  # the partial folder it was built in; the stage folder is the index
    atomic_write_json(out / "index_info.json", info)
    return {
        k: v for k, v in info.items() if isinstance(v, int | float | str) and k != "fingerprint"
    }


# -- retrieve ------------------------------------------------------------------------------------
def _retrieve_settings(cfg: RunConfig) -> Any:
    return {"retrieval": cfg.retrieval.model_dump(mode="json"), "seed": cfg.seed}


def run_retrieve(ctx: StageContext, out: Path) -> dict[str, Any]:
    from synthesizrr.retrieval import retrieve

    seeds = read_parquet(ctx.input("seeds", "seeds.parquet"))
    # The index stage folder is the index; a shared cache folder is handled by retrieval.
    pairs = retrieve(
        ctx.cfg.retrieval,
        ctx.input("corpus", "passages.parquet"),
        ctx.run.stage_dir(STAGES["index"].folder),
        seeds.select(["seed_id", "text", "label"]),
        seed=ctx.cfg.seed,
        progress=ctx.progress,
    )
    write_parquet(pairs, out / "pairs.parquet")
    roles = pairs.column("role").to_pylist()
    return {
        "pairs": pairs.num_rows,
        "gen_docs": roles.count("gen"),
        "shot_docs": roles.count("shot"),
        "seeds_with_docs": len(set(pairs.column("seed_id").to_pylist())),
    }


# -- generate / refine / evaluate / report live in their own modules ----------------------------
def _generate_settings(cfg: RunConfig) -> Any:
    gen = cfg.generation.model_dump(mode="json")
    gen["llm"] = cfg.generation.llm.model_dump(
        mode="json", exclude={"concurrency", "timeout_s", "max_retries", "rpm", "tpm"}
    )
    gen.pop("budget", None)  # budgets decide when to stop, not what is generated
    return {"generation": gen, "task": cfg.task.model_dump(mode="json"), "seed": cfg.seed}


def _run_generate(ctx: StageContext, out: Path) -> dict[str, Any]:
    from synthesizrr.pipeline.generate import run_generate

    return run_generate(ctx, out)


def _refine_settings(cfg: RunConfig) -> Any:
    return {"refine": cfg.refine.model_dump(mode="json"), "seed": cfg.seed,
            "train": _train_signature(cfg)}  # fmt: skip


def _train_signature(cfg: RunConfig) -> Any:
    ev = cfg.evaluation
    path = ev.train_path or cfg.seeds.path
    return {"path": path, "files": files_signature(cfg.resolve(path)),
            "label_field": ev.label_field or cfg.seeds.label_field}  # fmt: skip


def _run_refine(ctx: StageContext, out: Path) -> dict[str, Any]:
    from synthesizrr.pipeline.refine import run_refine

    return run_refine(ctx, out)


def _evaluate_settings(cfg: RunConfig) -> Any:
    ev = cfg.evaluation
    test = files_signature(cfg.resolve(ev.test_path)) if ev.test_path else None
    return {"evaluation": ev.model_dump(mode="json"), "test": test,
            "train": _train_signature(cfg), "seed": cfg.seed}  # fmt: skip


def _run_evaluate(ctx: StageContext, out: Path) -> dict[str, Any]:
    from synthesizrr.pipeline.evaluate import run_evaluate

    return run_evaluate(ctx, out)


def _report_settings(cfg: RunConfig) -> Any:
    return {"v": 1, "card": cfg.card.model_dump(mode="json")}


def _run_report(ctx: StageContext, out: Path) -> dict[str, Any]:
    from synthesizrr.pipeline.publish import run_publish

    return run_publish(ctx, out)


STAGE_LIST: list[Stage] = [
    Stage("seeds", "01_seeds", (), _seeds_settings, run_seeds,
          description="sample the seed examples per label"),
    Stage("corpus", "02_corpus", (), _corpus_settings, run_corpus, _uses_docs,
          description="read the corpus into passages"),
    Stage("index", "03_index", ("corpus",), _index_settings, run_index, _uses_docs,
          description="embed passages and build the retrieval index"),
    Stage("retrieve", "04_retrieve", ("seeds", "index"), _retrieve_settings, run_retrieve,
          _uses_docs, description="retrieve documents for every seed"),
    Stage("generate", "05_generate", ("seeds", "retrieve"), _generate_settings, _run_generate,
          description="prompt the teacher and parse its outputs"),
    Stage("refine", "06_refine", ("seeds", "generate"), _refine_settings, _run_refine,
          description="deduplicate, label check, cartography filter, resample"),
    Stage("evaluate", "07_evaluate", ("refine",), _evaluate_settings, _run_evaluate,
          description="metrics, student and gold reference on real data"),
    Stage("report", "08_report", ("refine", "evaluate"), _report_settings, _run_report,
          description="dataset files, dataset card and report.html"),
]  # fmt: skip
STAGES: dict[str, Stage] = {s.name: s for s in STAGE_LIST}
