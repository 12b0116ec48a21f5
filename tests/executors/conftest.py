"""One local Ray (2 CPUs, loopback, no dashboard, no usage stats) for every Ray test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[str]:
    """Start Ray once per session; yields the cluster's GCS address."""
    ray = pytest.importorskip("ray")
    os.environ["RAY_DISABLE_USAGE_STATS"] = "1"
    if ray.is_initialized():
        ray.shutdown()
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        _node_ip_address="127.0.0.1",
    )
    try:
        yield str(ray.get_runtime_context().gcs_address)
    finally:
        ray.shutdown()
