"""The Ray executor (``executor: ray``): the same stages, their heavy work on a Ray cluster.

- **index**: the dense index is built shard by shard by a pool of embedding actors, one
  model each (:mod:`synthesizrr.executors.ray_index`).
- **generate**: the teacher is a pool of actors, one engine or HTTP client each; the driver
  keeps the request cache and commits every response as it returns
  (:mod:`synthesizrr.executors.ray_llm`), so resume works exactly as locally.
- **evaluate**: the metrics run as one Ray task with ``ray.metrics_num_cpus`` CPUs.

Everything else (seeds, corpus, retrieval's search, refine, report) runs in the driver.
The dataset is the same as the local executor's for the same config and seed.

Connecting: ``ray_address`` (config) or ``--ray-address``: ``None`` follows Ray's own
rules (``RAY_ADDRESS``, else a cluster started on this node, else a new local Ray);
``"local"`` always starts a new local Ray; ``"host:6379"`` or ``"ray://host:10001"``
joins a running cluster. A Ray already initialized in this process is used as is.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from synthesizrr.errors import BackendError, require
from synthesizrr.executors.base import BackendHandle, Executor
from synthesizrr.executors.ray_settings import RaySettings

log = logging.getLogger(__name__)

__all__ = ["RayExecutor", "RaySettings"]


def _compute_metrics_task(settings: Any, texts: Sequence[str], labels: Sequence[str],
                          inputs: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    from synthesizrr.metrics import compute_metrics

    logging.basicConfig(level=logging.WARNING)
    return dict(compute_metrics(settings, texts, labels, **inputs))


class RayExecutor(Executor):
    """Runs index building, the teacher and the metrics on Ray. Connects on first use."""

    name = "ray"

    def __init__(self, address: str | None = None, settings: RaySettings | None = None) -> None:
        self.address = address
        self.settings = settings or RaySettings()
        self._started = False
        self._connected = False

    # -- connection -----------------------------------------------------------------------
    def connect(self) -> None:
        """Join (or start) the Ray cluster, once."""
        if self._connected:
            return
        ray = require("ray", "ray", "The Ray executor (executor: ray)")
        os.environ.setdefault("RAY_DISABLE_USAGE_STATS", "1")
        if ray.is_initialized():
            self._connected = True
            return
        kwargs: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": log.isEnabledFor(logging.DEBUG),
            "logging_level": logging.WARNING,
        }
        if self.settings.runtime_env is not None:
            kwargs["runtime_env"] = self.settings.runtime_env
        starts_local = self.address == "local" or (
            self.address is None and not os.environ.get("RAY_ADDRESS")
        )
        if starts_local and self.settings.num_cpus is not None:
            kwargs["num_cpus"] = self.settings.num_cpus
        try:
            ray.init(address=self.address, **kwargs)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise BackendError(
                f"Cannot connect to Ray at ray_address={self.address!r}: {exc}",
                fix="start the cluster (ray start --head, ray up cluster.yaml, or KubeRay) and "
                "set ray_address (config) / --ray-address to its address (host:6379 on a node "
                "of the cluster, ray://head:10001 from outside), or leave it unset to start a "
                "local Ray",
            ) from exc
        self._started = True
        self._connected = True
        log.info("Ray: %s", ray.cluster_resources())

    # -- the contract --------------------------------------------------------------------
    def build_index(
        self, settings: Any, passages_path: Path, index_dir: Path, *, progress: bool = False
    ) -> dict[str, Any]:
        from synthesizrr.executors.ray_index import build_index_on_ray

        if settings.retriever == "dense":
            self.connect()
        return build_index_on_ray(
            settings, passages_path, index_dir, ray_settings=self.settings, progress=progress
        )

    def open_backend(self, llm_settings: Any) -> BackendHandle:
        from synthesizrr.executors.ray_llm import RayBackendHandle

        self.connect()
        return RayBackendHandle(llm_settings, self.settings)

    def compute_metrics(
        self, settings: Any, texts: Sequence[str], labels: Sequence[str], **inputs: Any
    ) -> dict[str, Any]:
        import ray

        from synthesizrr.executors.ray_llm import raise_cause

        self.connect()
        inputs.pop("progress", None)  # no progress bar inside a worker
        task: Any = ray.remote(_compute_metrics_task).options(
            num_cpus=self.settings.metrics_num_cpus
        )
        try:
            return dict(ray.get(task.remote(settings, list(texts), list(labels), inputs)))
        except ray.exceptions.RayError as exc:
            raise_cause(exc, "computing the metrics")

    def close(self) -> None:
        """Shut Ray down if this executor started it; leave a joined cluster running."""
        if self._started:
            import ray

            ray.shutdown()
        self._started = False
        self._connected = False
