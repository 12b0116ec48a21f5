"""``synthesizrr`` CLI with test-only hooks, run as a script by the reliability tests.

* Backend ``slowfake``: the deterministic :class:`~synthesizrr.testing.FakeLLM` that sleeps
  ``SYNTH_DELAY_S`` seconds per request and appends ``start KEY`` / ``done KEY`` lines to
  ``SYNTH_SEND_LOG``, so tests count what was sent across processes; while the file
  ``SYNTH_PAUSE_FILE`` exists, requests wait before answering. ``SYNTH_BLOCK_S``: each
  request first blocks a worker thread that long, as a llama.cpp call does.
* ``SYNTH_HANG=<point>``: at that point the process writes ``SYNTH_HANG_MARKER`` and sleeps
  until the test kills it with SIGKILL. Points:

  - ``request:N``      the N-th request this process sends (every other request in flight
                       stops before it answers, so the kill lands at a quiet moment);
  - ``write:NAME[:K]`` the K-th (default 1st) atomic write of a file called NAME: half of
                       its bytes are in the temporary file, then the process hangs;
  - ``index-built``    the index is built in the stage's partial folder, not committed;
  - ``after-commit:FOLDER`` the stage folder is in place, the manifest not yet updated.
"""

from __future__ import annotations

import asyncio
import io
import os
import sys
import time
from pathlib import Path
from typing import Any

from synthesizrr.llm.registry import register_backend
from synthesizrr.llm.types import LLMRequest, LLMResponse
from synthesizrr.testing import FakeLLM

HANG = os.environ.get("SYNTH_HANG", "")
MARKER = os.environ.get("SYNTH_HANG_MARKER", "")
SEND_LOG = os.environ.get("SYNTH_SEND_LOG", "")
DELAY_S = float(os.environ.get("SYNTH_DELAY_S", "0"))
PAUSE = os.environ.get("SYNTH_PAUSE_FILE", "")  # requests wait while this file exists
BLOCK_S = float(os.environ.get("SYNTH_BLOCK_S", "0"))
_state = {"hanging": False, "sent": 0, "writes": {}}


def _hang() -> None:
    _state["hanging"] = True
    if MARKER:
        Path(MARKER).write_text(str(os.getpid()))
    time.sleep(3600)


class SlowFake(FakeLLM):
    name = "slowfake"

    async def agenerate(self, request: LLMRequest) -> LLMResponse:
        _state["sent"] += 1
        n = _state["sent"]
        key = request.cache_key(self.model_id)
        _log(f"start {key}")
        if f"request:{n}" == HANG:
            _state["hanging"] = True
            if MARKER:
                Path(MARKER).write_text(str(os.getpid()))
            await asyncio.sleep(3600)
        if DELAY_S:
            await asyncio.sleep(DELAY_S)
        if BLOCK_S:
            _log(f"blocking {key}")
            await asyncio.to_thread(time.sleep, BLOCK_S)
        while PAUSE and Path(PAUSE).exists():
            await asyncio.sleep(0.05)
        while _state["hanging"]:  # never answer once the kill point is reached
            await asyncio.sleep(3600)
        resp = await super().agenerate(request)
        _log(f"done {key}")
        return resp  # the engine records it before the next await: no gap for the kill


def _log(line: str) -> None:
    if SEND_LOG:
        with open(SEND_LOG, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def _count_write(name: str) -> bool:
    """Whether this write of ``name`` is the one to hang at."""
    if not HANG.startswith("write:"):
        return False
    parts = HANG.split(":")
    target, nth = parts[1], int(parts[2]) if len(parts) > 2 else 1
    if name != target:
        return False
    _state["writes"][name] = _state["writes"].get(name, 0) + 1
    return bool(_state["writes"][name] == nth)


def _install_hooks() -> None:
    import pyarrow.parquet as pq

    from synthesizrr.pipeline import rundir

    real_bytes = rundir.atomic_write_bytes

    def atomic_write_bytes(path: Path, data: bytes) -> None:
        if _count_write(path.name):
            tmp = path.parent / f".{path.name}.hooked.tmp"
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                fh.write(data[: len(data) // 2])
            _hang()
        real_bytes(path, data)

    rundir.atomic_write_bytes = atomic_write_bytes  # type: ignore[assignment]

    real_write_table = pq.write_table

    def write_table(table: Any, where: Any, *args: Any, **kwargs: Any) -> None:
        name = Path(str(where)).name
        final = (
            name[1:].rsplit(".", 2)[0] if name.startswith(".") and name.endswith(".tmp") else name
        )
        if isinstance(where, str | os.PathLike) and _count_write(final):
            buf = io.BytesIO()
            real_write_table(table, buf, *args, **kwargs)
            data = buf.getvalue()
            with open(where, "wb") as fh:
                fh.write(data[: len(data) // 2])
            _hang()
        real_write_table(table, where, *args, **kwargs)

    pq.write_table = write_table

    class ParquetWriter(pq.ParquetWriter):  # streaming writers (the corpus stage)
        def write_table(self, table: Any, *args: Any, **kwargs: Any) -> None:
            super().write_table(table, *args, **kwargs)
            name = Path(str(self.where)).name.lstrip(".").split(".tmp")[0]
            if _count_write(name):
                _hang()  # the file has row groups but no footer yet

    pq.ParquetWriter = ParquetWriter  # type: ignore[misc]

    import synthesizrr.retrieval as retrieval

    real_build = retrieval.build_index

    def build_index(*args: Any, **kwargs: Any) -> Any:
        out = real_build(*args, **kwargs)
        if HANG == "index-built":
            _hang()
        return out

    retrieval.build_index = build_index

    real_commit = rundir.RunDir.commit_stage

    def commit_stage(self: rundir.RunDir, folder: str) -> Path:
        out = real_commit(self, folder)
        if f"after-commit:{folder}" == HANG:
            _hang()
        return out

    rundir.RunDir.commit_stage = commit_stage  # type: ignore[method-assign]


if __name__ == "__main__":
    register_backend("slowfake", SlowFake)
    if HANG:
        _install_hooks()
    from synthesizrr.cli import main

    sys.argv[0] = "synthesizrr"
    main()
