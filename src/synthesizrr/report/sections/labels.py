"""The label distribution section: seeds, generations and the final dataset per label."""

from __future__ import annotations

from collections import Counter

from synthesizrr.report import svg
from synthesizrr.report.rundata import Missing, RunData
from synthesizrr.report.sections.fragments import e, label_counts, na, table
from synthesizrr.report.settings import ReportSettings


def labels(run: RunData, settings: ReportSettings) -> str:
    sources = {
        "seeds": label_counts(run, "seeds", "seeds.parquet"),
        "generated": label_counts(run, "generate", "generations.parquet"),
        "final": label_counts(run, "refine", "dataset.parquet"),
    }
    present = {k: v for k, v in sources.items() if isinstance(v, Counter)}
    notes = "".join(
        f'<p class="na">{e(k)}: not available ({e(v)})</p>'
        for k, v in sources.items() if isinstance(v, Missing)
    )  # fmt: skip
    if not present:
        return na("no seeds, generations or final dataset in this run") + notes
    cats = list(run.labels) or sorted({lab for c in present.values() for lab in c})
    extra = sorted({lab for c in present.values() for lab in c} - set(cats))
    cats += extra
    series: dict[str, list[float | None]] = {
        k: [float(c.get(lab, 0)) for lab in cats] for k, c in present.items()
    }
    chart = svg.bar_chart(cats, series, title="Rows per label")
    rows = [[lab, *(int(c.get(lab, 0)) for c in present.values())] for lab in cats]
    rows.append(["total", *(sum(c.values()) for c in present.values())])
    return chart + table(["Label", *present], rows) + notes
