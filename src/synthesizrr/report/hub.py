"""Publish a run to the Hugging Face Hub: one commit through ``huggingface_hub``.

    plan_upload(run_dir) -> list[Upload]        what would go where (no network)
    publish(run_dir, repo_id, ...) -> Published  create the dataset repo, commit the files

The repo gets the dataset as the run folder has it (``train.parquet`` and the card
``README.md``, whose ``configs`` already point at ``train.parquet``) plus the run's
resolved ``config.yaml``, ``manifest.json`` (versions, seeds, stage fingerprints) and
``metrics.json``, and Argilla's ``.argilla/dataset.json`` and ``.argilla/settings.json``
(as ``synthesizrr export --format argilla`` writes them) for ``rg.Dataset.from_hub``. The endpoint is ``huggingface_hub``'s (``HF_ENDPOINT``) unless one is
passed; the token is ``HF_TOKEN`` or the Hub's own login (``hf auth login``), or one
passed in; synthesizrr never writes a token anywhere.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthesizrr.errors import ConfigError, HubError, RunDirError, require

log = logging.getLogger(__name__)

REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")
#: (path in the repo, path in the run folder, required)
_FILES = (
    ("train.parquet", "dataset/train.parquet", True),
    ("README.md", "dataset/README.md", True),
    ("config.yaml", "config.yaml", True),
    ("manifest.json", "manifest.json", True),
    ("metrics.json", "metrics.json", False),
)


@dataclass(frozen=True)
class Upload:
    """One file of the commit: a file of the run folder, or bytes made for the upload."""

    path_in_repo: str
    local: Path | None
    size: int
    data: bytes | None = None

    @property
    def source(self) -> str:
        return str(self.local) if self.local is not None else "(made for Argilla's from_hub)"


@dataclass(frozen=True)
class Published:
    """The result of :func:`publish`: the files, and where they went (``None`` on dry runs)."""

    repo_id: str
    uploads: list[Upload]
    private: bool
    url: str | None = None
    commit: str | None = None

    @property
    def dry_run(self) -> bool:
        return self.commit is None


def plan_upload(run_dir: Path) -> list[Upload]:
    """The files :func:`publish` uploads from ``run_dir``, in commit order."""
    run_dir = Path(run_dir)
    if not (run_dir / "manifest.json").is_file():
        raise RunDirError(
            f"'{run_dir}' is not a run directory (no manifest.json).",
            fix="pass a folder under runs/ made by `synthesizrr run`",
        )
    _check_fresh(run_dir)
    uploads = []
    for in_repo, rel, required in _FILES:
        p = run_dir / rel
        if p.is_file() and rel == "config.yaml":
            data = _shareable_config(p)
            uploads.append(Upload(in_repo, p, len(data), data))
        elif p.is_file():
            uploads.append(Upload(in_repo, p, p.stat().st_size))
        elif required:
            raise RunDirError(
                f"run directory '{run_dir}' has no {rel}, so there is nothing to publish yet.",
                fix="finish the run first: `synthesizrr run CONFIG` (or `synthesizrr report CONFIG`)",
            )
    return uploads + _argilla_uploads(run_dir)


def _shareable_config(path: Path) -> bytes:
    """The run folder's config.yaml less ``paths_relative_to``: that key names a folder of
    this machine (the run folder's copy needs it to resolve relative paths; a published one
    is read elsewhere, where the folder does not exist)."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data.pop("paths_relative_to", None)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode("utf-8")


def _argilla_uploads(run_dir: Path) -> list[Upload]:
    """``.argilla/dataset.json`` and ``settings.json``, so that ``rg.Dataset.from_hub(repo)``
    finds the settings (text field, label question, provenance metadata) beside the rows."""
    import json

    import pyarrow.parquet as pq

    from synthesizrr.report.export import argilla_config
    from synthesizrr.report.rundata import RunData

    table = pq.read_table(run_dir / "dataset" / "train.parquet")
    out = []
    for rel, obj in argilla_config(RunData.load(run_dir), table).items():
        data = (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        out.append(Upload(rel, None, len(data), data))
    return out


def _check_fresh(run_dir: Path) -> None:
    """``dataset/`` must come from a finished report stage that ran after the last refine."""
    from synthesizrr.fileio import read_manifest

    stages = read_manifest(run_dir).get("stages")
    stages = stages if isinstance(stages, dict) else {}
    report, refine = stages.get("report") or {}, stages.get("refine") or {}
    fix = "run `synthesizrr report CONFIG` (or `synthesizrr run CONFIG`), then publish"
    if report.get("status") != "done":
        raise RunDirError(
            f"run directory '{run_dir}': the report stage has not finished, so dataset/ is "
            "missing or out of date.",
            fix=fix,
        )
    if str(refine.get("finished", "")) > str(report.get("finished", "")):
        raise RunDirError(
            f"run directory '{run_dir}': refine ran again after the report stage "
            f"({refine.get('finished')} > {report.get('finished')}), so dataset/ is out of date.",
            fix=fix,
        )


def describe(uploads: list[Upload]) -> str:
    """``train.parquet (1234 bytes), README.md (...), ...`` for one-line messages."""
    return ", ".join(f"{u.path_in_repo} ({u.size} bytes)" for u in uploads)


def check_repo_id(repo_id: str) -> str:
    if not REPO_ID.fullmatch(repo_id) or ".." in repo_id or len(repo_id) > 96:
        raise ConfigError(
            f"--repo-id '{repo_id}' is not a Hub repo id of the form ORG/NAME.",
            fix="pass your user or organization name and a dataset name, e.g. my-org/ag-news-synth",
        )
    return repo_id


def publish(
    run_dir: Path,
    repo_id: str,
    *,
    private: bool = False,
    dry_run: bool = False,
    endpoint: str | None = None,
    token: str | None = None,
    commit_message: str | None = None,
) -> Published:
    """Upload the run's dataset, card, config, manifest and metrics to the dataset repo
    ``repo_id`` (created when missing) in one commit. ``dry_run`` only plans it."""
    uploads = plan_upload(Path(run_dir))
    check_repo_id(repo_id)
    if dry_run:
        return Published(repo_id, uploads, private)
    hf = require("huggingface_hub", "hub", "Publishing to the Hugging Face Hub")
    from huggingface_hub import constants

    where = (endpoint or constants.ENDPOINT).rstrip("/")
    target = f"datasets/{repo_id} on {where}"
    would = f"it would have uploaded {len(uploads)} files: {describe(uploads)}"
    if constants.HF_HUB_OFFLINE:
        raise HubError(
            f"cannot publish to {target}: the Hub is offline (HF_HUB_OFFLINE is set); {would}.",
            fix="unset HF_HUB_OFFLINE and rerun, or list the files with --dry-run",
        )
    token = token or hf.get_token()
    if not token:
        raise ConfigError(
            f"cannot publish to {target}: no Hub token (HF_TOKEN is not set and no `hf auth "
            "login` was found).",
            fix="export HF_TOKEN=<a write token> or run `hf auth login`, then rerun",
        )
    api = hf.HfApi(endpoint=endpoint, token=token)
    try:
        url = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        ops = [
            hf.CommitOperationAdd(
                path_in_repo=u.path_in_repo,
                path_or_fileobj=u.data if u.data is not None else str(u.local),
            )
            for u in uploads
        ]
        info = api.create_commit(
            repo_id,
            ops,
            repo_type="dataset",
            commit_message=commit_message or f"synthesizrr: publish run {Path(run_dir).name}",
        )
    except Exception as exc:  # noqa: BLE001 - mapped to one message; others re-raised
        raise _hub_error(exc, target, would) from None
    log.info("published %d files to %s (%s)", len(uploads), target, info.oid)
    return Published(repo_id, uploads, private, url=str(url), commit=info.oid)


def _hub_error(exc: Exception, target: str, would: str) -> Exception:
    """The one-line :class:`HubError` for a failed Hub call (other errors unchanged)."""
    from huggingface_hub.errors import HfHubHTTPError

    if isinstance(exc, HfHubHTTPError):
        resp: Any = exc.response
        status = getattr(resp, "status_code", "?")
        detail = (exc.server_message or str(exc).splitlines()[0]).strip()
        fix = (
            "check that HF_TOKEN (or `hf auth login`) is a write token for that organization"
            if status in (401, 403)
            else "check the repo id and the Hub's status, then rerun"
        )
        return HubError(
            f"the Hub refused publishing to {target} (HTTP {status}: {detail}).", fix=fix
        )
    if isinstance(exc, _transport_errors()):
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no answer'}"
        return HubError(
            f"cannot publish to {target}: the Hub does not answer ({reason}); nothing was "
            f"committed; {would}.",
            fix="check the network and HF_ENDPOINT, then rerun (or list the files with --dry-run)",
        )
    return exc


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Connection-level errors of whichever HTTP client this ``huggingface_hub`` uses
    (httpx2 in 2.x, httpx in 1.x, requests in 0.x)."""
    import importlib

    from huggingface_hub.errors import OfflineModeIsEnabled

    found: list[type[BaseException]] = [ConnectionError, TimeoutError, OfflineModeIsEnabled]
    for module, name in (("httpx2", "TransportError"), ("httpx", "TransportError"),
                         ("requests", "ConnectionError"), ("requests", "Timeout")):  # fmt: skip
        try:
            found.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            continue
    return tuple(found)
