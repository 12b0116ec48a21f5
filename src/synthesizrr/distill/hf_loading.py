"""Load an HF encoder for sequence classification without hanging where no hub is reachable.

``minilm`` and local folders load with ``local_files_only=True``. A hub name is tried from
the local cache first; if it is not cached, the hub host is probed with a short timeout and
an unreachable hub fails at once with :class:`ModelNotAvailableError` instead of retrying
for a minute.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from synthesizrr.errors import ModelNotAvailableError, require
from synthesizrr.models import EMBEDDED_EMBEDDERS, resolve_embedder_path

log = logging.getLogger(__name__)

#: Seconds to wait for a TCP connection to the hub before declaring it unreachable.
HUB_PROBE_TIMEOUT_S = 3.0


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def hub_reachable(timeout: float = HUB_PROBE_TIMEOUT_S) -> bool:
    """True when the HF endpoint accepts a TCP connection within ``timeout`` seconds."""
    if _hub_offline():
        return False
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return True  # a direct probe says nothing about a proxied route: let the hub client try
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    host = url.hostname or "huggingface.co"
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _not_available(name: str, why: str) -> ModelNotAvailableError:
    return ModelNotAvailableError(
        f"Student model '{name}' could not be loaded: {why}.",
        fix="use the bundled 'minilm', a local model folder (config.json + weights), or a "
        "hub name on a machine that can reach huggingface.co (or has it in the HF cache)",
    )


def load_classifier(name: str, num_labels: int) -> tuple[Any, Any]:
    """(tokenizer, AutoModelForSequenceClassification) for ``name`` with ``num_labels``."""
    transformers = require("transformers", "student", "The transformer student")
    path = resolve_embedder_path(name)
    is_local = name in EMBEDDED_EMBEDDERS or Path(os.path.expanduser(path)).is_dir()

    def _load(local_only: bool) -> tuple[Any, Any]:
        tok = transformers.AutoTokenizer.from_pretrained(path, local_files_only=local_only)
        model = transformers.AutoModelForSequenceClassification.from_pretrained(
            path, num_labels=num_labels, local_files_only=local_only
        )
        return tok, model

    if is_local:
        try:
            return _load(True)
        except Exception as exc:
            raise _not_available(
                name, f"local folder {path} failed to load ({type(exc).__name__}: {exc})"
            ) from exc
    try:
        return _load(True)  # the HF cache, no network
    except Exception as exc:
        log.debug("'%s' not in the HF cache: %s", name, exc)
    if not hub_reachable():
        raise _not_available(
            name,
            "it is not a local folder, not in the HF cache, and the hub is not reachable "
            "(offline or HF_HUB_OFFLINE=1)",
        )
    try:
        return _load(False)
    except Exception as exc:
        raise _not_available(name, f"{type(exc).__name__}: {exc}") from exc
