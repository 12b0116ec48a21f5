"""Document reuse: how often one retrieved document fed more than one synthetic row."""

from __future__ import annotations

from collections import Counter, defaultdict

from synthesizrr.metrics.base import Metric, MetricInputs, MetricResult, register


@register
class DocReuse(Metric):
    """Headline = share of distinct documents used by more than one row (lower is better).

    Details: rows per document (mean, max), share of rows whose document is reused, and,
    with labels, the share of documents used under more than one label. Rows whose
    ``doc_id`` is None (no retrieved document) are left out.
    """

    name = "doc_reuse"
    higher_is_better = False
    needs = ("doc_ids",)

    def signature_fields(self) -> dict[str, str]:
        return {"unit": "doc_id"}

    def missing(self, inputs: MetricInputs) -> str | None:
        reason = super().missing(inputs)
        if reason is None and inputs.doc_ids is not None and all(d is None for d in inputs.doc_ids):
            return "no row has a document id (a set made without retrieval)"
        return reason

    def _compute(self, inputs: MetricInputs) -> MetricResult:
        assert inputs.doc_ids is not None
        used = [(i, d) for i, d in enumerate(inputs.doc_ids) if d is not None]
        per_doc = Counter(d for _, d in used)
        reused = {d for d, c in per_doc.items() if c > 1}
        details: dict[str, float | int | None] = {
            "n_rows_with_doc": len(used),
            "n_docs": len(per_doc),
            "n_docs_reused": len(reused),
            "rows_per_doc": len(used) / len(per_doc),
            "max_rows_per_doc": max(per_doc.values()),
            "rows_on_reused_docs": sum(1 for _, d in used if d in reused) / len(used),
        }
        if inputs.labels is not None:
            labels_of: dict[str, set[str]] = defaultdict(set)
            for i, d in used:
                labels_of[d].add(inputs.labels[i])
            multi = sum(1 for v in labels_of.values() if len(v) > 1)
            details["docs_multi_label"] = multi / len(per_doc)
        return self.result(len(reused) / len(per_doc), details)
