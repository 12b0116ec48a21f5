"""Two runs into one run directory at once: the second is refused, never interleaved."""

from __future__ import annotations

import time
from pathlib import Path

from reliability_kit import (
    base_config,
    dataset_rows,
    error_line,
    ledger,
    make_project,
    run_cli,
    slowfake,
    start_cli,
)


def test_second_concurrent_run_is_refused_and_first_finishes(tmp_path: Path) -> None:
    cfg = make_project(tmp_path, base_config(**slowfake()))
    log = tmp_path / "sends.log"
    pause = tmp_path / "pause"
    pause.touch()  # the first run's requests wait until the checks below are done
    env = {"SYNTH_SEND_LOG": str(log), "SYNTH_PAUSE_FILE": str(pause)}
    first = start_cli("run", str(cfg), "-q", cwd=tmp_path, env=env)
    deadline = time.time() + 120
    while not (log.exists() and "start" in log.read_text()) and time.time() < deadline:
        assert first.poll() is None, first.communicate()
        time.sleep(0.05)
    # The first run is generating: a second one into the same directory is refused ...
    second = run_cli("run", str(cfg), "-q", cwd=tmp_path, env=env)
    line = error_line(second)
    assert second.returncode == 8
    assert line.startswith(
        f"error: run directory '{tmp_path}/runs/r' is in use by pid {first.pid} "
    )
    assert line.endswith("Fix: wait for that run to finish, or give this run another name")
    # ... and so is a single stage command.
    stage = run_cli("generate", str(cfg), "-q", cwd=tmp_path, env=env)
    assert stage.returncode == 8 and "is in use by pid" in error_line(stage)
    pause.unlink()
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    # Nothing interleaved: each request was sent once, by the first run only.
    starts = [x.split()[1] for x in log.read_text().splitlines() if x.startswith("start ")]
    assert len(starts) == len(set(starts)) == 12
    assert {(r["status"], r["attempts"]) for r in ledger(tmp_path / "runs" / "r")} == {("ok", 1)}
    assert len(dataset_rows(tmp_path / "runs" / "r")) == 12
    # The lock is released: the same command now runs (and skips every finished stage).
    again = run_cli("run", str(cfg), "-q", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert len(log.read_text().splitlines()) == 24  # no request sent by the rerun
