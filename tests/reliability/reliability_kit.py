"""Shared helpers of the reliability tests: a tiny project on disk and the CLI in a subprocess.

The project is two labels, 8 seeds, 40 corpus documents, BM25 retrieval, the fake teacher,
no cartography or label check (no embedding model to load) and one cheap metric, so a
whole run takes a few seconds on 2 cores.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
CLI = HERE / "cli_with_hooks.py"

TOPICS = {
    "sports": ["match", "team", "goal", "league", "coach", "player", "season", "score"],
    "business": ["market", "shares", "profit", "company", "bank", "investor", "trade", "price"],
}
FILLER = ["the", "a", "of", "in", "after", "before", "with"]


def seed_rows() -> list[tuple[str, str]]:
    rng = random.Random(0)
    return [
        (" ".join(rng.choice(words) for _ in range(12)), label)
        for label, words in TOPICS.items()
        for _ in range(4)
    ]


def corpus_docs(n: int = 40) -> list[dict[str, str]]:
    rng = random.Random(1)
    docs = []
    for i in range(n):
        words = TOPICS[rng.choice(sorted(TOPICS))] + FILLER
        docs.append({"id": f"d{i}", "text": " ".join(rng.choice(words) for _ in range(40)) + "."})
    return docs


def write_seeds(path: Path, rows: list[tuple[str, str]] | None = None) -> None:
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label"])
        w.writerows(rows if rows is not None else seed_rows())


def write_corpus(path: Path, docs: list[dict[str, Any]] | None = None) -> None:
    docs = docs if docs is not None else corpus_docs()
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")


def base_config(**llm: Any) -> dict[str, Any]:
    return {
        "name": "r",
        "run_dir": "runs",
        "task": {
            "labels": {"sports": "sports news", "business": "business news"},
            "instruction": "Write a short news summary about {label_description}.",
        },
        "seeds": {"path": "seeds.csv", "per_label": 4},
        "corpus": {"path": "corpus.jsonl", "min_tokens": 5},
        "retrieval": {"retriever": "bm25", "top_k": 10, "sim_min": None, "sim_max": None},
        "generation": {
            "per_label": 6,
            "prompt": {"mode": "retricl", "shots": 1},
            "llm": {"backend": "fake", **llm},
        },
        "refine": {
            "cartography": {"enabled": False},
            "near_dup": False,
            "label_check": {"enabled": False},
        },
        "evaluation": {"metrics": {"metrics": ["distinct_n"]}},
    }


def write_config(root: Path, cfg: dict[str, Any], name: str = "cfg.yaml") -> Path:
    path = root / name
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def make_project(root: Path, cfg: dict[str, Any] | None = None) -> Path:
    """Seeds, corpus and config under ``root``; returns the config path."""
    root.mkdir(parents=True, exist_ok=True)
    write_seeds(root / "seeds.csv")
    write_corpus(root / "corpus.jsonl")
    return write_config(root, cfg if cfg is not None else base_config())


def slowfake(
    delay_s: float = 0.0, log: Path | None = None, hang_at: int | None = None
) -> dict[str, Any]:
    """``generation.llm`` for the test backend of ``cli_with_hooks.py``."""
    opts: dict[str, Any] = {"delay_s": delay_s}
    if log is not None:
        opts["log"] = str(log)
    if hang_at is not None:
        opts["hang_at"] = hang_at
    return {"backend": "slowfake", "concurrency": 2, "plugin_options": opts}


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNTH_HANG")}
    env["PYTHONUNBUFFERED"] = "1"
    env["COLUMNS"] = "300"  # rich wraps long lines at the terminal width; keep one line
    env.update(extra or {})
    return env


def run_cli(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 180,
    hooks: bool = True,
) -> subprocess.CompletedProcess[str]:
    """``synthesizrr ARGS`` in a subprocess (with the test hooks unless ``hooks=False``)."""
    cmd = [sys.executable, str(CLI)] if hooks else [sys.executable, "-m", "synthesizrr.cli"]
    return subprocess.run(
        [*cmd, *args],
        cwd=cwd,
        env=cli_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CLI), *args],
        cwd=cwd,
        env=cli_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The single ``error: ...`` line of a failed run; fails on a traceback or more lines."""
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [x for x in proc.stderr.splitlines() if x.startswith("error:")]
    assert len(lines) == 1, proc.stderr
    other = [x for x in proc.stderr.splitlines() if x.strip() and not _progress_line(x)]
    assert other == lines, proc.stderr  # nothing but stage progress and the one error line
    return lines[0]


def _progress_line(line: str) -> bool:
    return line.startswith(("▶ ", "✓ ", "↷ ", "! ", "· ", "≈ "))


def ledger(run: Path) -> list[dict[str, Any]]:
    """Every row of the run's request ledger."""
    path = run / "cache" / "requests.sqlite"
    if not path.exists():
        return []
    con = sqlite3.connect(str(path))
    try:
        cur = con.execute("SELECT key, status, attempts, error FROM requests ORDER BY key")
        return [dict(zip(("key", "status", "attempts", "error"), r, strict=True)) for r in cur]
    finally:
        con.close()


def dataset_rows(run: Path) -> list[dict[str, Any]]:
    lines = (run / "dataset" / "train.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(x) for x in lines]


def table_rows(path: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return list(pq.read_table(path).to_pylist())


class OpenAIStub:
    """A tiny OpenAI-compatible chat server on a free loopback port (a thread).

    ``reply(body) -> (status, payload)`` decides each answer; the default writes a short
    deterministic text. ``auth`` records every Authorization header received.
    """

    def __init__(self, reply: Any = None) -> None:
        import http.server
        import threading

        self.auth: list[str] = []
        self.bodies: list[dict[str, Any]] = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                stub.auth.append(self.headers.get("authorization", ""))
                stub.bodies.append(body)
                status, payload = (reply or stub.default_reply)(body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def default_reply(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, chat_completion("A short news story about " + str(len(body)) + " things.")

    def __enter__(self) -> OpenAIStub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def chat_completion(text: str, model: str = "stub") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 8, "total_tokens": 18},
    }  # fmt: skip
