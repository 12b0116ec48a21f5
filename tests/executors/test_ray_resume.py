"""Resume on Ray: a driver killed with SIGKILL mid-generation keeps every committed
response (the driver is the cache's only writer), and the rerun sends none of them again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytest.importorskip("ray")

from synthesizrr.generation.cache import RequestCache  # noqa: E402

_DRIVER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path

    import ray

    from synthesizrr.settings_base import StrictModel
    from synthesizrr.executors.ray import RayExecutor, RaySettings
    from synthesizrr.llm import LLMRequest, LLMResponse, LLMSettings
    from synthesizrr.llm.base import LLMBackend
    from synthesizrr.llm.registry import register_backend

    gcs, cache, answered, hang_from = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])


    class Counting(LLMBackend):
        # Defined in __main__, so it travels to the actors by value.
        name = "counting"

        class Options(StrictModel):
            answered: str
            hang_from: int

        def __init__(self, answered, hang_from):
            self.model_id, self.is_chat, self.concurrency = "counting", False, 1
            self.answered, self.hang_from = Path(answered), hang_from

        @classmethod
        def from_settings(cls, settings):
            opts = cls.plugin_options(settings)
            return cls(opts.answered, opts.hang_from)

        async def agenerate(self, request):
            if self.hang_from and int(request.prompt[1:]) >= self.hang_from:
                Path(str(self.answered) + ".hung").write_text("1")
                await asyncio.sleep(600)  # the driver is killed meanwhile
            with self.answered.open("a") as f:
                f.write(request.prompt + "\\n")
            return LLMResponse(text="answer to " + request.prompt, prompt_tokens=2,
                               completion_tokens=3)


    register_backend("counting", Counting)
    ray.init(address=gcs, log_to_driver=False)
    llm = LLMSettings(backend="counting", concurrency=1,
                      plugin_options={"answered": answered, "hang_from": hang_from})
    reqs = [LLMRequest(prompt=f"p{i}", max_tokens=8) for i in range(12)]
    with RayExecutor(settings=RaySettings(llm_workers=2)).open_backend(llm) as teacher:
        out = teacher.run(reqs, cache_path=cache, settings=None)
    assert [o.response.text for o in out] == ["answer to " + r.prompt for r in reqs]
    """
)


def test_sigkill_of_the_driver_resumes_without_resending(ray_cluster: str, tmp_path: Path) -> None:
    script = tmp_path / "driver.py"
    script.write_text(_DRIVER)
    cache, answered = tmp_path / "cache.sqlite", tmp_path / "answered.txt"
    hung = Path(str(answered) + ".hung")
    args = [sys.executable, str(script), ray_cluster, str(cache), str(answered)]
    proc = subprocess.Popen([*args, "6"])
    counts: dict[str, int] = {}
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if hung.exists() and cache.exists():
            with RequestCache(cache) as c:
                counts = c.counts()
            if counts == {"ok": 6}:
                break
        time.sleep(0.1)
    assert counts == {"ok": 6}, "the first run never answered p0..p5 and hung on p6"
    os.kill(proc.pid, signal.SIGKILL)  # p6 and p7 are in flight on the two actors
    assert proc.wait(30) == -signal.SIGKILL
    with RequestCache(cache) as c:
        assert c.counts() == {"ok": 6}  # every committed response survived the kill
    assert sorted(answered.read_text().split()) == sorted(f"p{i}" for i in range(6))

    done = subprocess.run([*args, "0"], timeout=180, check=False)
    assert done.returncode == 0
    lines = answered.read_text().split()
    assert sorted(lines) == sorted(f"p{i}" for i in range(12))  # each answered exactly once
    with RequestCache(cache) as c:
        assert c.counts() == {"ok": 12}
        assert {r.attempts for r in c.rows()} == {1}
