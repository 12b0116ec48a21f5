"""The one Metric contract (sacrebleu-style).

``Metric.compute`` fixes the public call and its argument checks for every metric; a
subclass implements ``_compute(inputs)`` and ``signature_fields()``. Every
:class:`MetricResult` carries a *signature* of the settings that produced it, e.g.
``self_bleu|n:1-5|smooth:method1|tok:ws-lower|sample:all|version:0.1.0``. A metric whose
inputs are missing (no real test set for MAUVE, no document ids for doc reuse) returns a
*skipped* result (value None, ``details={"skipped": reason}``) instead of raising.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import Unpack

from synthesizrr.errors import ConfigError, InputDataError
from synthesizrr.metrics.settings import METRIC_NAMES, MetricsSettings
from synthesizrr.version import __version__

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from synthesizrr.embeddings import CachedEmbedder

log = logging.getLogger(__name__)


class MetricResult(BaseModel):
    """One metric's score: a headline ``value``, its ``details`` and its ``signature``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Metric name, e.g. 'self_bleu'.")
    value: float | None = Field(description="Headline number; None when skipped.")
    details: dict[str, Any] = Field(
        default_factory=dict, description="Per n / per label / per entity type breakdown."
    )
    signature: str = Field(description="The settings that produced this score.")
    higher_is_better: bool | None = Field(
        None, description="Direction of the headline value (None: no preferred direction)."
    )
    ci: list[float] | None = Field(
        None,
        description="95% bootstrap interval of the value over the set's texts (see "
        "synthesizrr.metrics.intervals); None where not computed. Its sd and number of "
        "resamples are in details['bootstrap'].",
    )

    @property
    def skipped(self) -> bool:
        return self.value is None and "skipped" in self.details

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def __str__(self) -> str:
        shown = "skipped" if self.value is None else f"{self.value:.4f}"
        return f"{self.name} = {shown} ({self.signature})"


@dataclass(frozen=True)
class MetricInputs:
    """Checked inputs shared by every metric of one ``compute`` call."""

    texts: list[str]
    labels: list[str] | None = None
    real_texts: list[str] | None = None
    real_labels: list[str] | None = None
    train_texts: list[str] | None = None
    train_labels: list[str] | None = None
    doc_ids: list[str | None] | None = None
    progress: bool = False


def _str_list(values: Sequence[Any] | None, arg: str, *, allow_none: bool = False) -> list | None:
    if values is None:
        return None
    if isinstance(values, (str, bytes)):
        raise InputDataError(
            f"Argument '{arg}' is a single string ({values[:40]!r}...), not a sequence of texts.",
            fix=f"pass a list of strings as {arg}",
        )
    out = list(values)
    for i, v in enumerate(out):
        if isinstance(v, str) or (allow_none and v is None):
            continue
        kind = "str or None" if allow_none else "str"
        raise InputDataError(
            f"{arg}[{i}] is {type(v).__name__} ({v!r}), expected {kind}.",
            fix=f"convert every entry of {arg} to {kind}",
        )
    return out


def _same_length(a: list | None, b: list | None, name_a: str, name_b: str) -> None:
    if a is not None and b is not None and len(a) != len(b):
        raise InputDataError(
            f"{name_a} has {len(a)} entries but {name_b} has {len(b)}.",
            fix=f"pass one {name_b} entry per {name_a} entry",
        )


class MetricArgs(TypedDict, total=False):
    """The keyword inputs of every metric call besides ``texts`` and ``labels``: the real
    test set (``real_*``, MAUVE), the real train set (``train_*``, the oracle), the
    retrieved document of each row (``doc_ids``, None where there was none)."""

    real_texts: Sequence[str] | None
    real_labels: Sequence[str] | None
    train_texts: Sequence[str] | None
    train_labels: Sequence[str] | None
    doc_ids: Sequence[str | None] | None
    progress: bool


def check_inputs(
    texts: Sequence[str], labels: Sequence[str] | None = None, **args: Unpack[MetricArgs]
) -> MetricInputs:
    """Validate types and lengths once; raise :class:`InputDataError` naming the argument."""
    t = _str_list(texts, "texts")
    assert t is not None
    if not t:
        raise InputDataError("texts is empty: there is nothing to score.", fix="pass >= 1 text")
    inputs = MetricInputs(
        texts=t,
        labels=_str_list(labels, "labels"),
        real_texts=_str_list(args.get("real_texts"), "real_texts"),
        real_labels=_str_list(args.get("real_labels"), "real_labels"),
        train_texts=_str_list(args.get("train_texts"), "train_texts"),
        train_labels=_str_list(args.get("train_labels"), "train_labels"),
        doc_ids=_str_list(args.get("doc_ids"), "doc_ids", allow_none=True),
        progress=bool(args.get("progress", False)),
    )
    _same_length(inputs.texts, inputs.labels, "texts", "labels")
    _same_length(inputs.texts, inputs.doc_ids, "texts", "doc_ids")
    _same_length(inputs.real_texts, inputs.real_labels, "real_texts", "real_labels")
    _same_length(inputs.train_texts, inputs.train_labels, "train_texts", "train_labels")
    return inputs


class Metric(ABC):
    """Base class: fixes ``compute`` (checks, skip logic) and the signature format."""

    name: ClassVar[str]
    higher_is_better: ClassVar[bool | None] = None
    #: Inputs beyond ``texts`` without which the metric is skipped: any of
    #: "labels", "real_texts", "real_labels", "train_texts", "train_labels", "doc_ids".
    needs: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, settings: MetricsSettings | None = None, *, cache: CachedEmbedder | None = None
    ) -> None:
        self.settings = settings if settings is not None else MetricsSettings()
        self._cache = cache

    # -- public calls -------------------------------------------------------------------
    def compute(
        self, texts: Sequence[str], labels: Sequence[str] | None = None, **args: Unpack[MetricArgs]
    ) -> MetricResult:
        """Score ``texts`` (with their intended ``labels``); see :class:`MetricArgs` and
        each metric for the rest."""
        return self.compute_checked(check_inputs(texts, labels, **args))

    def compute_checked(self, inputs: MetricInputs) -> MetricResult:
        """``compute`` on inputs already checked by :func:`check_inputs`."""
        reason = self.missing(inputs)
        if reason is not None:
            log.info("metric %s skipped: %s", self.name, reason)
            return self.skipped(reason)
        return self._compute(inputs)

    def signature(self) -> str:
        fields = self.signature_fields()
        parts = [self.name, *(f"{k}:{v}" for k, v in fields.items()), f"version:{__version__}"]
        return "|".join(parts)

    # -- for subclasses -----------------------------------------------------------------
    def signature_fields(self) -> dict[str, str]:
        """Settings that change the score, in a fixed order."""
        return {}

    def missing(self, inputs: MetricInputs) -> str | None:
        """Why the metric cannot run on ``inputs`` (None when it can)."""
        for need in self.needs:
            if getattr(inputs, need) is None:
                return f"no {need} given"
        return None

    @abstractmethod
    def _compute(self, inputs: MetricInputs) -> MetricResult: ...

    def result(
        self, value: float | None, details: dict[str, Any], *, replicates: list[float] | None = None
    ) -> MetricResult:
        """The metric's result; ``replicates`` (from :meth:`bootstrap`) add its interval."""
        ci = None
        if value is not None and replicates is not None and len(replicates) >= 2:
            from synthesizrr.metrics.intervals import normal_interval, replicate_sd

            ci = [float(v) for v in normal_interval(float(value), replicates)]
            details = {**details, "bootstrap": {"resamples": len(replicates),
                                                "sd": replicate_sd(replicates)}}  # fmt: skip
        return MetricResult(
            name=self.name,
            value=None if value is None else float(value),
            details=details,
            signature=self.signature(),
            higher_is_better=self.higher_is_better,
            ci=ci,
        )

    def bootstrap(self, stat: Callable[[np.ndarray], float], n: int) -> list[float] | None:
        """``stat`` on ``settings.bootstrap`` resamples of ``n`` items drawn with replacement
        (None when resampling is off or there are fewer than 2 items)."""
        if self.settings.bootstrap < 2 or n < 2:
            return None
        from synthesizrr.metrics.intervals import replicate

        return replicate(stat, n, self.settings.bootstrap, self.settings.seed)

    def skipped(self, reason: str) -> MetricResult:
        return self.result(None, {"skipped": reason})

    @property
    def cache(self) -> CachedEmbedder:
        """The embedding cache shared with the other metrics of a call (made on first use)."""
        if self._cache is None:
            from synthesizrr.embeddings import CachedEmbedder

            self._cache = CachedEmbedder(self.settings.embedder, self.settings.embed_backend)
        return self._cache


#: Registry: metric name -> class. Filled by ``register`` as the metric modules load.
METRICS: dict[str, type[Metric]] = {}


def register(cls: type[Metric]) -> type[Metric]:
    """Class decorator adding a metric to :data:`METRICS` under ``cls.name``."""
    METRICS[cls.name] = cls
    return cls


def get_metric(
    name: str, settings: MetricsSettings | None = None, *, cache: CachedEmbedder | None = None
) -> Metric:
    """An instance of the metric called ``name`` (see :data:`METRICS`)."""
    if name not in METRICS:
        raise ConfigError(f"Unknown metric '{name}'.", fix="choose from " + ", ".join(METRIC_NAMES))
    return METRICS[name](settings, cache=cache)
