"""Run stages in order, skipping those whose fingerprint and outputs are unchanged.

Changing one stage's settings reruns that stage and everything downstream (the
fingerprint of a stage includes its upstream stages' fingerprints), nothing upstream.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypedDict

from synthesizrr.config import RunConfig, dump_run_config
from synthesizrr.errors import (
    BackendError,
    BudgetExceededError,
    ConfigError,
    RunDirError,
    StageError,
    SynthesizrrError,
)
from synthesizrr.fileio import atomic_write_text, package_versions
from synthesizrr.layout import CONFIG
from synthesizrr.pipeline import preflight
from synthesizrr.pipeline.fingerprint import digest
from synthesizrr.pipeline.labelcheck import check_labels, summary_warnings
from synthesizrr.pipeline.rundir import RunDir, as_run_dir_error
from synthesizrr.pipeline.stage import Stage, StageContext
from synthesizrr.pipeline.stages import STAGE_LIST, STAGES

log = logging.getLogger(__name__)

#: ``on_event(stage, status, summary)``; status is "skipped", "running", "done",
#: "incomplete", "not needed" or "dry run".
EventHook = Callable[[str, str, dict[str, Any]], None]


class RunOptions(TypedDict, total=False):
    """How :func:`execute` (and ``synthesizrr.run``) runs: stop after ``until``, rerun the
    stages named in ``force``, draw progress bars, estimate instead of generating (``dry_run``),
    send only failed requests again, replace a run directory of another task, and report
    each stage's status to ``on_event``."""

    until: str | None
    force: Sequence[str]
    progress: bool
    dry_run: bool
    retry_failed: bool
    overwrite: bool
    on_event: EventHook | None


@dataclass(frozen=True)
class Execution:
    """What :func:`execute` did: the run directory, and a dry run's estimate."""

    run_dir: RunDir
    estimate: dict[str, Any] | None = None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def fingerprints(cfg: RunConfig) -> dict[str, str]:
    """Each needed stage's fingerprint: its settings plus its upstream fingerprints."""
    fps: dict[str, str] = {}
    for stage in STAGE_LIST:
        if not stage.needed(cfg):
            continue
        upstream = {d: fps[d] for d in stage.inputs if d in fps}
        fps[stage.name] = digest(
            {
                "stage": stage.name,
                "v": stage.version,
                "settings": stage.settings(cfg),
                "up": upstream,
            }
        )
    return fps


def _task_identity(cfg: RunConfig) -> dict[str, Any]:
    return {"labels": cfg.task.label_names}


def _filesystem_error(exc: BaseException, rundir: RunDir) -> RunDirError | None:
    """A full disk or read-only run directory met inside a stage, as a RunDirError."""
    import errno
    import sqlite3

    full = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)
    if (
        (isinstance(exc, OSError) and exc.errno in full)
        or (
            isinstance(exc, sqlite3.OperationalError)
            and ("disk is full" in str(exc) or "readonly" in str(exc))
        )
        or "No space left on device" in str(exc)
    ):
        return as_run_dir_error(exc, rundir.path)
    return None


def plan(cfg: RunConfig, until: str | None = None) -> list[Stage]:
    if until is not None and until not in STAGES:
        raise ConfigError(
            f"unknown stage '{until}'; valid: {', '.join(STAGES)}.", fix="name one of the stages"
        )
    stages = []
    for stage in STAGE_LIST:
        stages.append(stage)
        if stage.name == until:
            break
    return stages


def execute(
    cfg: RunConfig,
    *,
    until: str | None = None,
    force: Sequence[str] = (),
    progress: bool = False,
    dry_run: bool = False,
    retry_failed: bool = False,
    overwrite: bool = False,
    on_event: EventHook | None = None,
) -> Execution:
    """Run (or skip) every stage up to ``until``.

    A dry run stops at the first stage with an ``estimate`` and returns that estimate.
    """
    emit = on_event or (lambda *_: None)
    for name in force:
        if name not in STAGES:
            raise ConfigError(
                f"--force: unknown stage '{name}'; valid: {', '.join(STAGES)}.",
                fix="name one of the stages",
            )
    for stage in plan(cfg, until):
        if stage.check is not None and stage.needed(cfg):
            stage.check(cfg)  # e.g. an unknown backend name fails before any stage runs
    rundir = RunDir(cfg.run_path)
    fps = fingerprints(cfg)
    with rundir.locked():
        manifest = rundir.read_manifest()
        if manifest and not overwrite and manifest.get("task") != _task_identity(cfg):
            raise RunDirError(
                f"run directory '{rundir.path}' was made by a config with another task "
                f"(labels {manifest.get('task', {}).get('labels')}).",
                fix="give this run another name, or pass --overwrite to replace it",
            )
        manifest.setdefault("created", _now())
        manifest.update(
            name=cfg.name,
            task=_task_identity(cfg),
            seed=cfg.seed,
            versions=package_versions(),
            config=cfg.dump_as_given(),
        )
        manifest.setdefault("stages", {})
        atomic_write_text(rundir.path / CONFIG, dump_run_config(cfg))
        rundir.write_manifest(manifest)
        with StageContext(
            cfg, rundir, progress=progress, dry_run=dry_run, retry_failed=retry_failed
        ) as ctx:  # closing it releases Ray actors / a Ray started by this run
            estimate = _run_stages(ctx, manifest, fps, until, set(force), dry_run, emit)
    return Execution(rundir, estimate)


def _run_stages(
    ctx: StageContext,
    manifest: dict[str, Any],
    fps: dict[str, str],
    until: str | None,
    forced: set[str],
    dry_run: bool,
    emit: EventHook,
) -> dict[str, Any] | None:
    """Run or skip each planned stage; a dry run's estimate, else None."""
    cfg, rundir = ctx.cfg, ctx.run
    stages_state: dict[str, Any] = manifest["stages"]
    ran: set[str] = set()
    todo, checked = plan(cfg, until), False
    for i, stage in enumerate(todo):
        if not stage.needed(cfg):
            stages_state.pop(stage.name, None)
            emit(stage.name, "not needed", {})
            continue
        state = stages_state.get(stage.name, {})
        fp = fps[stage.name]
        out_dir = rundir.stage_dir(stage.folder)
        estimating = dry_run and stage.estimate is not None
        if (
            stage.name not in forced
            and not (set(stage.inputs) & ran)
            and not estimating
            and state.get("fingerprint") == fp
            and state.get("status") == "done"
            and out_dir.is_dir()
        ):
            emit(stage.name, "skipped", state.get("summary", {}))
            continue
        if not checked:  # cheap checks (paths, model file, server) before any work
            preflight.check(cfg, todo[i:], dry_run=dry_run)
            checked = True
        if estimating:
            assert stage.estimate is not None
            estimate = stage.estimate(ctx)
            emit(stage.name, "dry run", estimate)
            return estimate
        emit(stage.name, "running", {})
        started = time.perf_counter()
        stages_state[stage.name] = {"fingerprint": fp, "status": "running", "started": _now()}
        rundir.write_manifest(manifest)
        partial = rundir.partial_dir(stage.folder)
        try:
            result = stage.run(ctx, partial)
        except SynthesizrrError as exc:
            stages_state[stage.name].update(status="failed", error=str(exc))
            rundir.write_manifest(manifest)
            raise
        except BaseException as exc:
            disk = _filesystem_error(exc, rundir)
            stages_state[stage.name].update(
                status="failed", error=str(disk) if disk else repr(exc)[:500]
            )
            with contextlib.suppress(RunDirError, OSError):  # the disk may be full
                rundir.write_manifest(manifest)
            if disk is not None:
                raise disk from exc
            raise
        rundir.commit_stage(stage.folder)
        summary = result.summary
        for warning in summary_warnings(summary):
            log.warning("%s: %s", stage.name, warning)
        try:
            check_labels(cfg, rundir, stage.name, summary)  # a vanished label stops the run
        except (StageError, BackendError) as exc:
            stages_state[stage.name].update(status="failed", error=str(exc), summary=summary)
            rundir.write_manifest(manifest)
            raise
        status = "incomplete" if result.incomplete else "done"
        seconds = round(time.perf_counter() - started, 2)
        stages_state[stage.name].update(
            status=status, finished=_now(), seconds=seconds, summary=summary
        )
        manifest["updated"] = _now()
        rundir.write_manifest(manifest)
        ran.add(stage.name)
        emit(stage.name, status, {**summary, "seconds": seconds})
        if result.stopped:
            # A budget stop: finished work is committed above; nothing downstream runs.
            raise BudgetExceededError(
                f"stage {stage.name} stopped: {result.stopped}",
                fix="raise the budget (generation.budget) and run the same command again",
            )
    return None
