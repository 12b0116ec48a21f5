"""Secrets: an API key from the environment never reaches the run directory, the request
cache, the logs or the report, even when the server echoes it back in error messages."""

from __future__ import annotations

import itertools
import secrets
import threading
from pathlib import Path
from typing import Any

from reliability_kit import OpenAIStub, base_config, chat_completion, make_project, run_cli


def test_planted_api_key_appears_nowhere(tmp_path: Path) -> None:
    token = secrets.token_hex(16)
    key = f"sk-planted-{token}"

    sports = itertools.count(1)
    lock = threading.Lock()

    def reply(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        text = body["messages"][-1]["content"]
        # A hostile or careless server: some errors quote the key in full. Every other
        # sports request fails, so the label keeps rows and the run finishes (a label with
        # no rows at all stops the run, which is tested in test_label_rows.py).
        if "goal" in text and "coach" in text:
            with lock:
                odd = next(sports) % 2 == 1
            if odd:
                return 401, {"error": {"message": f"Incorrect API key provided: {key}"}}
        if "profit" in text and "bank" in text:
            return 500, {"error": {"message": f"upstream failed for key {key}"}}
        return 200, chat_completion(f"A market report with {len(text)} characters of context.")

    with OpenAIStub(reply) as stub:
        llm = {"backend": "openai", "model": "stub", "base_url": stub.url,
               "api_key_env": "SYNTH_TEST_API_KEY", "max_retries": 1,
               "openai": {"backoff_base_s": 0.01, "backoff_max_s": 0.05}}  # fmt: skip
        cfg = base_config()
        cfg["generation"]["llm"] = llm
        cfg["generation"]["budget"] = {"abort_after_failures": None}
        cfg_path = make_project(tmp_path, cfg)
        env = {"SYNTH_TEST_API_KEY": key}
        proc = run_cli("run", str(cfg_path), "-v", cwd=tmp_path, env=env, hooks=False)
        retry = run_cli("run", str(cfg_path), "-v", "--retry-failed", cwd=tmp_path, env=env,
                        hooks=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert retry.returncode == 0, retry.stderr
    # The key was really in use, and the server really echoed it in some errors.
    assert set(stub.auth) == {f"Bearer {key}"}
    run = tmp_path / "runs" / "r"
    failed = _ledger_errors(run)
    assert any("HTTP 401" in e for e in failed) and any("HTTP 500" in e for e in failed)
    assert all("<redacted API key>" in e for e in failed)
    # Grep every byte the runs left: run directory (cache, manifest, report), logs.
    haystacks = {str(p): p.read_bytes() for p in run.rglob("*") if p.is_file()}
    haystacks["stdout+stderr"] = (proc.stdout + proc.stderr + retry.stdout + retry.stderr).encode()
    assert len(haystacks) > 20 and any(p.endswith("requests.sqlite") for p in haystacks)
    assert any(p.endswith("report.html") for p in haystacks)
    leaks = [where for where, data in haystacks.items() if token.encode() in data]
    assert leaks == []


def _ledger_errors(run: Path) -> list[str]:
    import sqlite3

    con = sqlite3.connect(str(run / "cache" / "requests.sqlite"))
    try:
        return [r[0] for r in con.execute("SELECT error FROM requests WHERE status='failed'")]
    finally:
        con.close()
