"""distinct-n (Li et al. 2016): unique n-grams / all n-grams over the whole set."""

from __future__ import annotations

from synthesizrr.metrics.base import Metric, MetricInputs, MetricResult, register
from synthesizrr.metrics.ngrams import NgramOccurrences, tokenize


@register
class DistinctN(Metric):
    """distinct-1..max_n over the whole set; headline = distinct at max_n (default 4)."""

    name = "distinct_n"
    higher_is_better = True

    def signature_fields(self) -> dict[str, str]:
        s = self.settings
        return {"n": f"1-{s.distinct_max_n}", "tok": s.tokenizer, "scope": "corpus"}

    def _compute(self, inputs: MetricInputs) -> MetricResult:
        max_n = self.settings.distinct_max_n
        occ = NgramOccurrences(tokenize(inputs.texts, self.settings.tokenizer), max_n)
        details: dict[str, float | int | None] = {}
        for n in range(1, max_n + 1):
            total = int(occ.occurrences(n)[1].size)
            details[str(n)] = occ.n_grams[n - 1] / total if total else None
            details[f"total_{n}"] = total
        return self.result(details[str(max_n)], details)
