"""``compute_metrics``: every selected metric over one dataset, embeddings shared."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from typing_extensions import Unpack

from synthesizrr.embeddings import CachedEmbedder
from synthesizrr.metrics.base import MetricArgs, MetricResult, check_inputs, get_metric
from synthesizrr.metrics.settings import MetricsSettings

log = logging.getLogger(__name__)


def compute_metrics(
    settings: MetricsSettings,
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    cache: CachedEmbedder | None = None,
    **args: Unpack[MetricArgs],
) -> dict[str, MetricResult]:
    """Run ``settings.metrics`` in order; a metric lacking inputs is skipped, not an error.

    ``args`` are the inputs of :class:`~synthesizrr.metrics.base.MetricArgs`. One
    :class:`~synthesizrr.embeddings.CachedEmbedder` serves every metric, so each distinct
    text is embedded once.
    """
    inputs = check_inputs(texts, labels, **args)
    cache = (
        cache if cache is not None else CachedEmbedder(settings.embedder, settings.embed_backend)
    )
    results: dict[str, MetricResult] = {}
    for name in settings.metrics:
        start = time.perf_counter()
        results[name] = get_metric(name, settings, cache=cache).compute_checked(inputs)
        log.info("%s in %.1fs", results[name], time.perf_counter() - start)
    return results
