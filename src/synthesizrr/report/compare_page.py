"""A comparison page: several runs of one task side by side (self-contained HTML).

It opens with the numbers a user decides on (each run's student, the same student on
the seeds alone, on seeds + synthetic rows and on as many real rows, diversity, realism,
rows kept) and each run's verdict, then a few rows of each run beside the document or
the seed examples it was written from, then every compared number and a link to each
run's own ``report.html``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime, timezone
from html import escape
from pathlib import Path

from synthesizrr.report.compare import Comparison, compare_runs, headline_columns
from synthesizrr.report.examples import Example, pick_examples
from synthesizrr.report.page import CSP, CSS
from synthesizrr.report.rundata import Missing, RunData
from synthesizrr.report.sections.fragments import e, na, table
from synthesizrr.version import __version__

#: Characters of a source document shown beside its generated row.
SOURCE_CHARS = 600


def _table(cmp: Comparison) -> str:
    best = cmp.best()
    arrows = {"high": " ↑", "low": " ↓"}
    head = "".join(f"<th>{e(c.header + arrows.get(c.better or '', ''))}</th>" for c in cmp.columns)
    body = ""
    for i, cells in enumerate(cmp.cells()):
        tds = "".join(
            f"<td><b>{e(v)}</b></td>" if i in best.get(c.key, ()) else f"<td>{e(v)}</td>"
            for c, v in zip(cmp.columns, cells, strict=True)
        )
        body += f"<tr>{tds}</tr>"
    return f'<table class="compare"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _side_by_side(cmp: Comparison) -> str:
    names, lines = cmp.side_by_side()
    head = "<th></th>" + "".join(f"<th>{e(n)}</th>" for n in names)
    body = "".join(
        f"<tr><td>{e(h)}</td>"
        + "".join(f"<td><b>{e(c)}</b></td>" if top else f"<td>{e(c)}</td>" for c, top in cells)
        + "</tr>"
        for h, cells in lines
    )
    return f'<table class="kv side"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _example_html(ex: Example) -> str:
    src = (
        ex.source_text
        if len(ex.source_text) <= SOURCE_CHARS
        else ex.source_text[:SOURCE_CHARS] + " …"
    )
    title = f"<b>{e(ex.source_title)}</b><br>" if ex.source_title else ""
    body = "<br>".join(e(line) for line in src.splitlines()) if src else "(none)"
    return (
        f'<div class="sample"><div class="m">row {e(ex.row_id)} · label <b>{e(ex.label)}</b></div>'
        f'<div class="cols" style="grid-template-columns:1fr 2fr">'
        f'<div class="gen"><div class="h">Generated</div><p>{e(ex.text)}</p></div>'
        f'<div class="src"><div class="h">{e(ex.source_kind)}</div><p>{title}{body}</p></div>'
        "</div></div>"
    )


def render_comparison(
    run_dirs: Sequence[Path], *, title: str, intro: str = "", out_dir: Path | None = None
) -> str:
    """The HTML text of the comparison of ``run_dirs`` (see :func:`write_comparison`)."""
    cmp = compare_runs(run_dirs)
    runs = [RunData.load(Path(d)) for d in run_dirs]
    head = Comparison(cmp.rows, columns=headline_columns())
    parts = [f"<p>{e(intro)}</p>" if intro else "", _side_by_side(head)]
    verdicts = []
    for run in runs:
        base = run.student("seeds_baseline")
        text = str(base) if isinstance(base, Missing) else str(base.get("verdict", ""))
        verdicts.append(f"<li><b>{e(run.name)}</b>: {e(text)}</li>")
    parts.append(f"<ul>{''.join(verdicts)}</ul>")
    side = "<h2>Rows beside what they were written from</h2><div class='row'>"
    for run in runs:
        picked = pick_examples(run, 3)
        inner = (na(picked) if isinstance(picked, Missing)
                 else "".join(_example_html(x) for x in picked))  # fmt: skip
        side += f"<div style='flex:1;min-width:320px'><h3>{e(run.name)} ({e(run.mode)})</h3>{inner}</div>"
    parts.append(side + "</div>")
    parts.append("<h2>Every compared number</h2>" + _table(cmp))
    links = []
    for run in runs:
        page = run.path.resolve() / "report.html"
        href = os.path.relpath(page, out_dir) if out_dir else str(page)
        links.append(
            f'<li><a href="{e(Path(href).as_posix())}">{e(run.name)}</a>: its own report</li>'
            if page.is_file() else f"<li>{e(run.name)}: no report.html yet</li>"
        )  # fmt: skip
    parts.append(f"<h2>Each run</h2><ul>{''.join(links)}</ul>")
    notes = [f"{r['run']}: {n}" for r in cmp.rows for n in r.get("notes", [])]
    if notes:
        parts.append(table(["Not available"], [[n] for n in notes]))
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><div class='sub'>{len(runs)} runs compared</div>"
        f'</header><main><section id="side-by-side">{"".join(parts)}</section></main>'
        f"<footer>Written by synthesizrr {escape(__version__)} at {now}. This page is "
        "self-contained: it loads nothing from the network.</footer></body></html>\n"
    )


def write_comparison(run_dirs: Sequence[Path], out: Path, *, title: str, intro: str = "") -> Path:
    """Write the comparison page of ``run_dirs`` to ``out`` (atomically); return ``out``."""
    from synthesizrr.fileio import atomic_write_text

    out = Path(out)
    html = render_comparison(run_dirs, title=title, intro=intro, out_dir=out.parent.resolve())
    atomic_write_text(out, html)
    return out
