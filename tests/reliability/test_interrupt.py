"""Ctrl-C: a real SIGINT to the CLI during a slow stage exits 130 within a few seconds,
prints one line naming the stage, and the same command then resumes (issue 13, item 1)."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from reliability_kit import base_config, make_project, slowfake, start_cli

from synthesizrr.interrupt import GRACE_S

Start = Callable[..., subprocess.Popen[str]]


def _message(stage: str) -> str:
    return (
        f"interrupted during stage '{stage}'; finished work is kept: run the same command "
        "again to resume."
    )


class SilentServer:
    """Accepts TCP connections on loopback, reads what is sent and never answers.
    ``accepted`` is set once a request arrives (the run's preflight check only connects
    and closes, before the first stage, so a bare connection says nothing about the stage)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = threading.Event()
        self._held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self._held.append(conn)
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        try:
            if conn.recv(1):
                self.accepted.set()
        except OSError:
            return

    def close(self) -> None:
        self.sock.close()
        for c in self._held:
            c.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def _wait_for(check: Callable[[], bool], proc: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the CLI exited {proc.returncode} early: {err}")
        assert time.monotonic() < deadline, "the slow stage was never reached"
        time.sleep(0.05)


def _interrupt(proc: subprocess.Popen[str]) -> tuple[float, str]:
    """SIGINT; seconds until the process exited, and its stderr."""
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    return time.monotonic() - sent, err


def test_ctrl_c_while_waiting_on_the_teacher_exits_130_and_rerun_resumes(
    tmp_path: Path, silent_server: SilentServer, synthesizrr_start: Start, synthesizrr: Callable
) -> None:
    pytest.importorskip("openai")
    llm = {"backend": "openai", "model": "m", "base_url": f"http://127.0.0.1:{silent_server.port}/v1",
           "timeout_s": 120, "max_retries": 0}  # fmt: skip
    cfg = make_project(tmp_path, {**base_config(), "generation": {
        **base_config()["generation"], "llm": llm}})  # fmt: skip
    proc = synthesizrr_start("run", str(cfg), "-q", cwd=tmp_path)
    _wait_for(silent_server.accepted.is_set, proc, timeout=120)
    seconds, err = _interrupt(proc)
    assert proc.returncode == 130, err
    assert err.splitlines()[-1] == _message("generate")
    assert "Traceback" not in err
    assert seconds < 5, seconds
    # The same command resumes: every finished stage is skipped (a working teacher now).
    again = synthesizrr("run", str(cfg), "-q", "--until", "generate", "--set",
                        "generation.llm.backend=fake", cwd=tmp_path)  # fmt: skip
    assert again.returncode == 0, again.stderr
    skipped = [line.split()[1] for line in again.stderr.splitlines() if line.startswith("↷")]
    assert skipped == ["seeds", "corpus", "index", "retrieve"]


def test_ctrl_c_with_worker_threads_inside_a_blocking_call_exits_within_the_grace(
    tmp_path: Path,
) -> None:
    """A llama.cpp call runs in a worker thread that Python cannot stop; asyncio and the
    interpreter would wait for it (here 120 s)."""
    log = tmp_path / "sent.log"
    cfg = make_project(tmp_path, {**base_config(), "generation": {
        **base_config()["generation"], "llm": slowfake(log=log)}})  # fmt: skip
    proc = start_cli("run", str(cfg), "-q", cwd=tmp_path,
                     env={"SYNTH_BLOCK_S": "120", "SYNTH_SEND_LOG": str(log)})  # fmt: skip
    _wait_for(lambda: log.exists() and "blocking" in log.read_text(), proc, timeout=120)
    seconds, err = _interrupt(proc)
    assert proc.returncode == 130, err
    assert err.splitlines()[-1] == _message("generate")
    assert seconds < GRACE_S + 3, seconds


def test_ctrl_c_during_the_index_stage_names_it(tmp_path: Path) -> None:
    marker = tmp_path / "hang.marker"
    cfg = make_project(tmp_path)
    proc = start_cli("index", str(cfg), "-q", cwd=tmp_path,
                     env={"SYNTH_HANG": "index-built", "SYNTH_HANG_MARKER": str(marker)})  # fmt: skip
    _wait_for(marker.exists, proc, timeout=120)
    seconds, err = _interrupt(proc)
    assert proc.returncode == 130, err
    assert err.splitlines()[-1] == _message("index")
    assert "Traceback" not in err
    assert seconds < 5, seconds


def test_a_second_ctrl_c_exits_at_once(tmp_path: Path) -> None:
    log = tmp_path / "sent.log"
    cfg = make_project(tmp_path, {**base_config(), "generation": {
        **base_config()["generation"], "llm": slowfake(log=log)}})  # fmt: skip
    proc = start_cli("run", str(cfg), "-q", cwd=tmp_path,
                     env={"SYNTH_BLOCK_S": "120", "SYNTH_SEND_LOG": str(log)})  # fmt: skip
    _wait_for(lambda: log.exists() and "blocking" in log.read_text(), proc, timeout=120)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert time.monotonic() - sent < GRACE_S
    assert err.splitlines()[-1] == _message("generate")
