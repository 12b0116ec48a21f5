"""Can a Hugging Face hub model load here? Cached, or the hub reachable, decided in seconds.

Loading a hub name that is not cached while the hub is unreachable makes the HF libraries
retry for over a minute and print dozens of warnings before they fail. :func:`check_hub_model`
answers first, from the local cache, ``HF_HUB_OFFLINE`` and one TCP connect to the hub
with a short timeout, and fails with one line (:class:`ModelNotAvailableError`, exit 5).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from synthesizrr.errors import ModelNotAvailableError

#: Seconds the hub may take to accept a TCP connection (DNS included).
PROBE_TIMEOUT_S = 3.0
_TRUE = {"1", "on", "yes", "true"}


def hub_offline() -> bool:
    """``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) is set to a true value."""
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().lower() in _TRUE


def hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def cached_repo(repo_ids: Sequence[str], filename: str = "config.json") -> str | None:
    """The first of ``repo_ids`` whose ``filename`` is in the local HF cache, else None."""
    from huggingface_hub import try_to_load_from_cache

    for repo_id in repo_ids:
        try:
            found = try_to_load_from_cache(repo_id, filename)
        except ValueError:  # not a valid repo id
            continue
        if isinstance(found, str):
            return repo_id
    return None


def hub_unreachable(endpoint: str | None = None, timeout_s: float = PROBE_TIMEOUT_S) -> str | None:
    """Why the hub cannot be reached (``"connection refused"``), or None if it accepts a
    TCP connection within ``timeout_s`` (the name lookup is bounded too)."""
    url = urlsplit(endpoint or hub_endpoint())
    host = url.hostname or "huggingface.co"
    port = url.port or (443 if url.scheme == "https" else 80)
    result: list[str | None] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                result.append(None)
        except OSError as exc:
            errno = exc.errno if isinstance(exc.errno, int) and exc.errno > 0 else None
            reason = os.strerror(errno) if errno else (exc.strerror or str(exc) or "timed out")
            result.append(f"{reason.lower()} ({host}:{port})")

    thread = threading.Thread(target=probe, name="hub-probe", daemon=True)
    thread.start()
    thread.join(timeout_s + 0.5)
    return result[0] if result else f"no answer within {timeout_s:.0f} s ({host}:{port})"


def check_hub_model(name: str, *, repo_ids: Sequence[str], what: str) -> bool:
    """Fail fast unless ``name`` can load; return True when it must load from the cache
    only (cached, but the hub is offline or unreachable), False when the hub may be used.

    A local folder always passes. ``repo_ids`` are the hub ids the loader would try;
    ``what`` starts the message ("Embedding model").
    """
    if Path(name).expanduser().exists():
        return False
    cached = cached_repo(repo_ids) is not None
    if hub_offline():
        if cached:
            return True
        why = "HF_HUB_OFFLINE is set"
    else:
        reason = hub_unreachable()
        if reason is None:
            return False
        if cached:
            return True
        why = f"the hub {hub_endpoint()} is not reachable: {reason}"
    from huggingface_hub import constants

    raise ModelNotAvailableError(
        f"{what} '{name}' is not a local folder nor in the Hugging Face cache "
        f"({constants.HF_HUB_CACHE}), and {why}.",
        fix="load it once where the hub is reachable (it is then cached), name a local "
        "folder instead, or use the bundled 'minilm'",
    )


def sentence_transformers_ids(name: str) -> list[str]:
    """The hub ids sentence-transformers tries for ``name`` (bare names get its org)."""
    return [name] if "/" in name else [name, f"sentence-transformers/{name}"]
