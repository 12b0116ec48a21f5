"""``compute_metrics``: every selected metric over one dataset, embeddings shared."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from synthesizrr.embeddings import CachedEmbedder
from synthesizrr.metrics.base import MetricResult, check_inputs, get_metric
from synthesizrr.metrics.settings import MetricsSettings

log = logging.getLogger(__name__)


def compute_metrics(
    settings: MetricsSettings,
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    real_texts: Sequence[str] | None = None,
    real_labels: Sequence[str] | None = None,
    train_texts: Sequence[str] | None = None,
    train_labels: Sequence[str] | None = None,
    doc_ids: Sequence[str | None] | None = None,
    progress: bool = False,
    cache: CachedEmbedder | None = None,
) -> dict[str, MetricResult]:
    """Run ``settings.metrics`` in order; a metric lacking inputs is skipped, not an error.

    ``real_*`` is the real test set (MAUVE), ``train_*`` the real train set (oracle),
    ``doc_ids`` the retrieved document of each row (None where there was none). One
    :class:`~synthesizrr.embeddings.CachedEmbedder` serves every metric, so each distinct text is embedded once.
    """
    inputs = check_inputs(
        texts,
        labels,
        real_texts=real_texts,
        real_labels=real_labels,
        train_texts=train_texts,
        train_labels=train_labels,
        doc_ids=doc_ids,
        progress=progress,
    )
    cache = (
        cache if cache is not None else CachedEmbedder(settings.embedder, settings.embed_backend)
    )
    results: dict[str, MetricResult] = {}
    for name in settings.metrics:
        start = time.perf_counter()
        results[name] = get_metric(name, settings, cache=cache).compute_checked(inputs)
        log.info("%s in %.1fs", results[name], time.perf_counter() - start)
    return results
