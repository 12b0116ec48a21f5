"""The data map section: dataset cartography of the generations."""

from __future__ import annotations

import random

from synthesizrr.report import svg
from synthesizrr.report.rundata import Missing, RunData, number
from synthesizrr.report.sections.fragments import e, fmt, na
from synthesizrr.report.settings import ReportSettings


def datamap(run: RunData, settings: ReportSettings) -> str:
    t = run.table("refine", "datamap.parquet")
    if isinstance(t, Missing):
        if run.stage_file("refine", "dataset.parquet").is_file():
            return na("the refine stage wrote no data map (cartography filter off)")
        return na(t)
    cols = set(t.column_names)
    if not {"confidence", "variability"} <= cols:
        return na("datamap.parquet lacks confidence/variability columns")
    rows = t.to_pylist()
    kept_t = run.table("refine", "dataset.parquet", ["row_id"])
    kept = (set(kept_t.column("row_id").to_pylist())
            if not isinstance(kept_t, Missing) and "row_id" in kept_t.column_names else None)  # fmt: skip
    total = len(rows)
    if total > settings.max_datamap_points:
        rows = random.Random(0).sample(rows, settings.max_datamap_points)
    pts = []
    for r in rows:
        conf, var = number(r.get("confidence")), number(r.get("variability"))
        if conf is None or var is None:
            continue
        corr = number(r.get("correctness"))
        removed = kept is not None and r.get("row_id") not in kept
        tip = (f"{r.get('row_id', '')} [{r.get('label', '')}] confidence {conf:.3f}, "
               f"variability {var:.3f}, correctness {fmt(corr, 2)}" + (" (removed)" if removed else ""))  # fmt: skip
        pts.append(svg.Point(var, conf, corr if corr is not None else conf, removed, tip))
    plot = svg.scatter(pts, title="Dataset cartography: confidence vs variability",
                       x_label="variability (std of the intended label's probability)",
                       y_label="confidence (mean probability)", value_label="correctness",
                       x_range=svg.fit_range([p.x for p in pts], 0.0, 0.5),
                       y_range=svg.fit_range([p.y for p in pts], 0.0, 1.0))  # fmt: skip
    caption = f"{total} rows scored"
    if total > len(rows):
        caption += f", {len(rows)} drawn (seeded sample)"
    if kept is not None and "row_id" in cols:
        n_kept = sum(1 for rid in t.column("row_id").to_pylist() if rid in kept)
        caption += f"; {n_kept} kept"
    return plot + f"<p>{e(caption)}. Hollow circles: removed by refinement.</p>"
