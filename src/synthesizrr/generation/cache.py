"""The request cache and ledger: one SQLite file in the run directory.

One row per request key (sha256 of the canonical request): status ``ok`` with the
response, or ``failed`` with the last error; attempts, tokens, cost, the teacher seconds
the answer took and timestamps. Each
response is committed as it arrives (WAL mode), so a run killed with SIGKILL and resumed
loses no finished response and sends no finished request again.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthesizrr.errors import RunDirError
from synthesizrr.llm.types import LLMResponse

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    model TEXT,
    request TEXT,
    response TEXT,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cost REAL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    seconds REAL
)
"""
# Caches written before the teacher seconds were kept lack the column: it is added (NULL
# for their rows, which then count as untimed).
_MIGRATIONS = (("seconds", "ALTER TABLE requests ADD COLUMN seconds REAL"),)
_COLUMNS = (
    "key, status, attempts, error, response, prompt_tokens, completion_tokens, cost, "
    "created_at, updated_at, seconds"
)
_CHUNK = 500


@dataclass(frozen=True)
class LedgerRow:
    """One request's record."""

    key: str
    status: str
    attempts: int
    error: str | None
    response: LLMResponse | None
    prompt_tokens: int
    completion_tokens: int
    cost: float | None
    created_at: float
    updated_at: float
    #: Teacher seconds of the answer (a batch's wall time shared by its requests); None for
    #: failed requests and for answers cached before the seconds were kept.
    seconds: float | None = None


class RequestCache:
    """SQLite-backed cache + ledger. Not shared between threads; one per engine call."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), isolation_level=None, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
            have = {row[1] for row in self._db.execute("PRAGMA table_info(requests)")}
            for column, statement in _MIGRATIONS:
                if column not in have:
                    self._db.execute(statement)
        except (OSError, sqlite3.Error) as exc:
            raise RunDirError(
                f"Cannot open the request cache {self.path}: {exc}.",
                fix="check that the run directory is writable and not on a network share "
                "without file locking",
            ) from exc

    def get_many(self, keys: Iterable[str]) -> dict[str, LedgerRow]:
        """Rows for the keys that have one."""
        out: dict[str, LedgerRow] = {}
        uniq = list(dict.fromkeys(keys))
        for i in range(0, len(uniq), _CHUNK):
            chunk = uniq[i : i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            cur = self._db.execute(f"SELECT {_COLUMNS} FROM requests WHERE key IN ({marks})", chunk)
            for row in cur:
                out[row[0]] = _row(row)
        return out

    def get(self, key: str) -> LedgerRow | None:
        return self.get_many([key]).get(key)

    def record_ok(
        self,
        key: str,
        *,
        model: str,
        request_json: str,
        response: LLMResponse,
        cost: float | None,
        seconds: float | None = None,
    ) -> None:
        now = time.time()
        self._db.execute(
            "INSERT INTO requests (key, status, attempts, error, model, request, response, "
            "prompt_tokens, completion_tokens, cost, created_at, updated_at, seconds) "
            "VALUES (?, 'ok', 1, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET status='ok', attempts=attempts+1, error=NULL, "
            "response=excluded.response, prompt_tokens=excluded.prompt_tokens, "
            "completion_tokens=excluded.completion_tokens, cost=excluded.cost, "
            "updated_at=excluded.updated_at, seconds=excluded.seconds",
            (
                key,
                model,
                request_json,
                response.model_dump_json(),
                response.prompt_tokens,
                response.completion_tokens,
                cost,
                now,
                now,
                seconds,
            ),
        )

    def record_failed(self, key: str, *, model: str, request_json: str, error: str) -> None:
        now = time.time()
        self._db.execute(
            "INSERT INTO requests (key, status, attempts, error, model, request, created_at, "
            "updated_at) VALUES (?, 'failed', 1, ?, ?, ?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET status='failed', attempts=attempts+1, "
            "error=excluded.error, updated_at=excluded.updated_at",
            (key, error, model, request_json, now, now),
        )

    def rows(self) -> Iterator[LedgerRow]:
        """Every row, oldest first."""
        cur = self._db.execute(f"SELECT {_COLUMNS} FROM requests ORDER BY created_at, key")
        for row in cur:
            yield _row(row)

    def counts(self) -> dict[str, int]:
        """Rows per status."""
        cur = self._db.execute("SELECT status, COUNT(*) FROM requests GROUP BY status")
        return {status: n for status, n in cur}

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> RequestCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _row(row: tuple[Any, ...]) -> LedgerRow:
    key, status, attempts, error, response, pt, ct, cost, created, updated, seconds = row
    resp = LLMResponse.model_validate(json.loads(response)) if response and status == "ok" else None
    return LedgerRow(key, status, attempts, error, resp, pt, ct, cost, created, updated, seconds)
