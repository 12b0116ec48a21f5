"""report.html: one self-contained page (inline CSS, inline SVG, no scripts, no network)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from html import escape
from pathlib import Path

from synthesizrr.report import sections
from synthesizrr.report.compare import Comparison, run_row
from synthesizrr.report.rundata import RunData
from synthesizrr.report.settings import ReportSettings
from synthesizrr.version import __version__

log = logging.getLogger(__name__)

#: (section id, heading). The id is the anchor and what tests look for.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("overview", "Overview"),
    ("stages", "Pipeline stages"),
    ("labels", "Label distribution"),
    ("metrics", "Dataset metrics"),
    ("per-label", "Per-label metrics"),
    ("comparison", "Compared runs"),
    ("datamap", "Cartography data map"),
    ("confusion", "Confusion matrix"),
    ("samples", "Samples beside their sources"),
    ("drops", "Dropped and removed rows"),
    ("metrics-json", "metrics.json"),
    ("config", "Configuration"),
)

# Nothing may load: no scripts, no fetches; inline styles and data: images only.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

CSS = """
*{box-sizing:border-box}body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#fafafa;
-webkit-text-size-adjust:100%;text-size-adjust:100%}
header{background:#263238;color:#fff;padding:14px 24px;overflow-wrap:anywhere}
header h1{margin:0;font-size:20px}
header .sub{opacity:.8;font-size:13px}nav{position:sticky;top:0;background:#eceff1;padding:6px 24px;
border-bottom:1px solid #cfd8dc;z-index:1}nav a{margin-right:12px;color:#1e4f7a;text-decoration:none;
font-size:13px}main{padding:8px 24px 40px;max-width:1400px}section{background:#fff;border:1px solid #e0e0e0;
border-radius:6px;padding:8px 16px 16px;margin:16px 0}h2{font-size:17px;margin:8px 0 12px}
h3{font-size:14px;margin:12px 0 6px}table{border-collapse:collapse;margin:8px 0;font-size:13px;
display:block;max-width:100%;overflow-x:auto}
th,td{border-bottom:1px solid #eee;padding:3px 10px;text-align:left;vertical-align:top}
th{background:#f5f5f5}table.kv td:first-child{font-weight:600;color:#555;white-space:nowrap}
table.kv{display:table}table.kv td{overflow-wrap:anywhere}table.compare td{white-space:nowrap}
.na{color:#8a6d3b;background:#fcf8e3;padding:4px 8px;border-radius:4px;display:inline-block;margin:4px 0}
.warn{color:#a94442}.cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}
.card{border:1px solid #e0e0e0;border-radius:6px;padding:8px 14px;min-width:150px}
.card .k{font-size:12px;color:#666}.card .v{font-size:20px;font-weight:600}
.row{display:flex;flex-wrap:wrap;gap:24px}svg.plot{max-width:100%;height:auto;display:block;margin:8px 0}
.sample{border:1px solid #e0e0e0;border-radius:6px;padding:8px;margin:10px 0}
.cols{display:grid;grid-template-columns:1fr 1fr 1.4fr;gap:10px}.cols>div{background:#f9f9f9;
padding:6px 10px;border-radius:4px;overflow-wrap:anywhere}.gen{background:#eef6ee!important}
.h{font-weight:600;font-size:12px;color:#555;text-transform:uppercase}.m{font-size:12px;color:#666}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f5f5f5;padding:8px;font-size:12px;
max-height:600px;overflow:auto}q{display:block;font-size:12px;color:#444;margin:2px 0}
footer{color:#888;font-size:12px;padding:0 24px 24px}
.verdict{border-left:5px solid;padding:8px 12px;margin:8px 0;font-size:15px;font-weight:600}
.verdict.good{border-color:#2e7d32;background:#edf7ed}.verdict.bad{border-color:#c62828;
background:#fdecea;color:#8e1b1b}.verdict.unclear{border-color:#f9a825;background:#fff8e1}
"""


def _section(sid: str, title: str, build: Callable[[], str]) -> str:
    try:
        body = build()
    except Exception as exc:  # noqa: BLE001 - one bad piece must not cost the whole report
        log.warning("report: section '%s' failed: %s: %s", sid, exc.__class__.__name__, exc)
        body = sections.na(f"this section failed: {exc.__class__.__name__}: {exc}")
    return f'<section id="{sid}"><h2>{escape(title)}</h2>{body}</section>'


def render_report(
    run_dir: Path, *, compare: Sequence[Path] = (), settings: ReportSettings | None = None
) -> str:
    """The HTML text of a run's report (see :func:`write_report`)."""
    cfg = settings or ReportSettings()
    run = RunData.load(Path(run_dir))
    rows = [run_row(run)]
    notes = []
    for other in compare:
        p = Path(other)
        if p.resolve() == run.path.resolve():
            continue
        if not (p / "manifest.json").is_file():
            notes.append(f"compared run '{p}': not available (no manifest.json there)")
            continue
        rows.append(run_row(RunData.load(p)))
    cmp = Comparison(rows)
    builders: dict[str, Callable[[], str]] = {
        "overview": lambda: sections.overview(run, cfg),
        "stages": lambda: sections.stages(run, cfg),
        "labels": lambda: sections.labels(run, cfg),
        "metrics": lambda: sections.metrics(run, cfg),
        "per-label": lambda: sections.per_label(run, cfg),
        "comparison": lambda: sections.comparison(run, cfg, cmp, notes),
        "datamap": lambda: sections.datamap(run, cfg),
        "confusion": lambda: sections.confusion(run, cfg),
        "samples": lambda: sections.samples(run, cfg),
        "drops": lambda: sections.drops(run, cfg),
        "metrics-json": lambda: sections.metrics_json(run, cfg),
        "config": lambda: sections.config(run, cfg),
    }
    body = "".join(_section(sid, title, builders[sid]) for sid, title in SECTIONS)
    nav = "".join(f'<a href="#{sid}">{escape(title)}</a>' for sid, title in SECTIONS)
    name = escape(run.name)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    sub = " · ".join(escape(str(x)) for x in (run.mode or "mode n/a", run.teacher or "teacher n/a",
                                                 f"{run.size if run.size is not None else 'n/a'} rows"))  # fmt: skip
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>SynthesizRR report: {name}</title><style>{CSS}</style></head><body>"
        f"<header><h1>SynthesizRR report: {name}</h1><div class='sub'>{sub}</div></header>"
        f"<nav>{nav}</nav><main>{body}</main>"
        f"<footer>Written by synthesizrr {escape(__version__)} at {now}. This page is "
        "self-contained: it loads nothing from the network.</footer></body></html>\n"
    )


def write_report(
    run_dir: Path,
    out: Path,
    *,
    compare: Sequence[Path] = (),
    settings: ReportSettings | None = None,
) -> Path:
    """Write the self-contained ``report.html`` of ``run_dir`` to ``out`` (atomically).

    ``compare`` names other run directories whose Self-BLEU, entity entropy and headline
    numbers are shown beside this run's. Missing pieces of any run show as
    "not available (reason)"; this never fails because of the run's contents.
    """
    from synthesizrr.fileio import atomic_write_text

    out = Path(out)
    atomic_write_text(out, render_report(run_dir, compare=compare, settings=settings))
    log.info("report written to %s", out)
    return out
