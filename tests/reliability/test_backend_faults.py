"""Backend faults: a fault-injecting proxy in front of the real llama.cpp server.

``python -m llama_cpp.server`` serves the bundled SmolLM2 GGUF on a free loopback port;
the proxy answers with 500s, 429s with Retry-After, connection resets, hangs past the
client timeout and truncated bodies on a fixed schedule. Every request is answered, every
retry stays within ``llm.max_retries``, and the counts reconcile exactly: requests seen by the
proxy = answered + failed, and every failed attempt is logged with its cause. A backend
that is down is reported before any stage runs, with one clear line (exit 6), and every
finished response is kept.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fault_proxy import FaultProxy
from reliability_kit import base_config, error_line, ledger, make_project, run_cli, table_rows

from synthesizrr.config import load_config
from synthesizrr.errors import StageError
from synthesizrr.pipeline import runner
from synthesizrr.testing import llama_server as start_llama_server

pytestmark = pytest.mark.slow  # a real model server; about a minute on an idle 2-core machine
pytest.importorskip("llama_cpp")
for _mod in ("uvicorn", "sse_starlette", "starlette_context", "pydantic_settings"):
    pytest.importorskip(_mod)

# One list of faults per distinct request, in arrival order of first attempts (12 requests).
SCHEDULE = [[], ["500"], ["429"], ["reset"], ["truncated"], ["hang"], ["500", "429"], [],
            ["reset", "truncated"], ["429", "500"], [], ["truncated"]]  # fmt: skip
TIMEOUT_S = 10  # a legitimate request takes about a second; a hang costs this much
CAUSE = {  # what the client logs for each injected fault
    "500": r"HTTP 500: ", "429": r"HTTP 429: ", "reset": r"APIConnectionError: ",
    "truncated": r"APIConnectionError: ", "hang": r"APITimeoutError: ",
}  # fmt: skip


@pytest.fixture(scope="module")
def llama_server() -> Iterator[tuple[str, int]]:
    from synthesizrr.errors import ModelNotAvailableError
    from synthesizrr.models import resolve_llm_path

    try:
        gguf = resolve_llm_path("smollm2")
    except ModelNotAvailableError as exc:
        pytest.skip(str(exc))
    with start_llama_server(gguf, n_ctx=2048) as url:
        host_port = url.removeprefix("http://").removesuffix("/v1")
        host, port = host_port.rsplit(":", 1)
        yield (host, int(port))


def _config(root: Path, url: str, timeout_s: float, max_new_tokens: int = 8, **budget: Any) -> Path:
    """8 new tokens keep requests quick but cut every answer (no label keeps a row, which
    stops a run after generate); 48 let SmolLM2 end a sentence for both labels (nucleus
    sampling with top_k 0 and min_p 0.0 writes longer sentences than llama.cpp's defaults did)."""
    cfg = base_config()
    cfg["task"]["max_new_tokens"] = max_new_tokens
    cfg["generation"]["prompt"]["shots"] = 0  # short prompts: quick even on a loaded machine
    cfg["generation"]["llm"] = {
        "backend": "openai", "model": "smollm2", "base_url": url, "concurrency": 1,
        "timeout_s": timeout_s, "max_retries": 5,
        "openai": {"backoff_base_s": 0.05, "backoff_max_s": 2.0},
    }  # fmt: skip
    cfg["generation"]["budget"] = budget
    return make_project(root, cfg)


def test_faults_are_retried_within_bounds_and_counts_reconcile(
    llama_server: tuple[str, int], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="synthesizrr.llm.retry")
    with FaultProxy(
        llama_server, schedule=SCHEDULE, retry_after=1.0, hang_s=TIMEOUT_S + 1
    ) as proxy:
        cfg = load_config(_config(tmp_path, proxy.url, TIMEOUT_S))
        # Every answer is cut at 8 tokens, so no label has a row: the run stops after the
        # generate stage, its output kept. What is checked here is what was sent.
        with pytest.raises(StageError, match="has no rows after the generate stage"):
            runner.execute(cfg, until="generate")
        run = tmp_path / "runs" / "r"
    # Every request answered, none failed.
    summary = table_rows(run / "05_generate" / "generations.parquet")
    rows = ledger(run)
    assert len(rows) == 12 and {r["status"] for r in rows} == {"ok"}
    assert len(summary) + len(table_rows(run / "05_generate" / "dropped.parquet")) == 12
    # Counts reconcile: requests = succeeded + failed, per cause exactly as injected.
    injected = Counter(f for plan in SCHEDULE for f in plan)
    counts = proxy.counts()
    gone = counts.pop("client_gone", 0)  # forwarded, but the client timed out first (load)
    assert counts == {"ok": 12, **injected}
    assert len(proxy.log) == 12 + sum(injected.values()) + gone
    # Retries stay within bounds: at most max_retries + 1 attempts per request.
    attempts = Counter(h.key for h in proxy.log)
    assert len(attempts) == 12 and max(attempts.values()) <= cfg.generation.llm.max_retries + 1
    if not gone:
        assert sorted(attempts.values()) == sorted(len(p) + 1 for p in SCHEDULE)
    # Every failed attempt is logged with its cause (llm.retry logs at INFO: `run -v`).
    retries = [r.getMessage() for r in caplog.records if r.name == "synthesizrr.llm.retry"]
    for fault, n in injected.items():
        assert sum(bool(re.search(CAUSE[fault], m)) for m in retries) >= n, (fault, retries)
    timeouts = sum("APITimeoutError" in m for m in retries)
    if gone == 0:  # an idle machine: one log line per failed attempt, nothing else
        assert len(retries) == sum(injected.values()) and timeouts == injected["hang"]
    else:  # overloaded: client timeouts, some before the request even reached the proxy
        assert len(retries) >= sum(injected.values()) + gone
        assert timeouts >= injected["hang"] + gone
    assert sum("HTTP 429" in m and m.endswith("in 1.00s") for m in retries) == injected["429"]
    # Retry-After was honoured: the next attempt came at least 1 s after each 429.
    by_key: dict[str, list[Any]] = {}
    for hit in proxy.log:
        by_key.setdefault(hit.key, []).append(hit)
    for hits in by_key.values():
        for a, b in zip(hits, hits[1:], strict=False):
            if a.fault == "429":
                assert b.at - a.at >= 0.95


def test_backend_down_stops_cleanly_and_keeps_finished_work(
    llama_server: tuple[str, int], tmp_path: Path
) -> None:
    with FaultProxy(llama_server) as proxy:
        cfg = _config(tmp_path, proxy.url, 120, max_new_tokens=48, abort_after_failures=3)
        first = run_cli("run", str(cfg), "-q", "--until", "generate", cwd=tmp_path, hooks=False,
                        timeout=600)  # fmt: skip
        assert first.returncode == 0, first.stderr
        answered = {r["key"] for r in ledger(tmp_path / "runs" / "r")}
        assert len(answered) == 12
        # More generations wanted, and the backend is down.
        proxy.set_down(True)
        more = ["--set", "generation.per_label=9", "--set", "generation.llm.max_retries=2",
                "--until", "generate"]  # fmt: skip
        down = run_cli("run", str(cfg), "-q", *more, cwd=tmp_path, hooks=False)
        line = error_line(down)
        assert down.returncode == 6, line
        # Found by the preflight check, before the generate stage sends anything.
        port = proxy.url.removesuffix("/v1").rsplit(":", 1)[1]
        assert line == (f"error: llm.base_url '{proxy.url}' is not reachable (connection "
                        f"refused to 127.0.0.1:{port}). Fix: start the server or correct "
                        "llm.base_url (a dry run, `generate --dry-run`, needs no server)")  # fmt: skip
        rows = {r["key"]: r for r in ledger(tmp_path / "runs" / "r")}
        assert answered == {k for k, r in rows.items() if r["status"] == "ok"}  # kept
        assert [r for r in rows.values() if r["status"] == "failed"] == []  # nothing sent
        # Back up: the same command finishes and sends only what was missing.
        proxy.set_down(False)
        before = len(proxy.log)
        again = run_cli("run", str(cfg), "-q", *more, cwd=tmp_path, hooks=False, timeout=600)
        assert again.returncode == 0, again.stderr
        sent = {h.key for h in proxy.log[before:]}
        assert len(sent) == len(proxy.log[before:]) == 6  # 18 planned - 12 already answered
