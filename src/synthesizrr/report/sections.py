"""The report's sections. Each builder takes the run and returns an HTML fragment.

Every piece of data goes through :func:`html.escape` (corpus text is untrusted). A
builder that finds its inputs missing returns "not available (reason)"; the page
assembler also catches any unexpected error per section, so one broken file never
costs the whole report.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from synthesizrr.report import svg
from synthesizrr.report.compare import Comparison, percent_pm
from synthesizrr.report.rundata import Missing, RunData, number
from synthesizrr.report.settings import ReportSettings


def e(value: Any) -> str:
    return escape(str(value), quote=True)


def na(reason: object) -> str:
    return f'<p class="na">not available ({e(reason)})</p>'


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, cls: str = "") -> str:
    """An HTML table; every cell escaped. Empty ``headers``: no header row."""
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    head = f"<thead><tr>{head}</tr></thead>" if headers else ""
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
    klass = f' class="{e(cls)}"' if cls else ""
    return f"<table{klass}>{head}<tbody>{body}</tbody></table>"


def fmt(value: Any, digits: int = 4) -> str:
    v = number(value)
    if v is None:
        return "n/a" if value is None else str(value)
    return str(int(v)) if float(v).is_integer() else f"{v:.{digits}f}"


def _label_counts(run: RunData, stage: str, filename: str) -> Counter[str] | Missing:
    t = run.table(stage, filename, ["label"])
    if isinstance(t, Missing):
        return t
    if "label" not in t.column_names:
        return Missing(f"{filename} has no 'label' column")
    return Counter(str(x) for x in t.column("label").to_pylist())


# -- overview -------------------------------------------------------------------------------
def overview(run: RunData, settings: ReportSettings) -> str:
    task = run.task
    rows = [
        ("Run", run.name),
        ("Folder", str(run.path)),
        ("Task", f"{task.get('name', 'n/a')}: {task.get('description', '')}".rstrip(": ")),
        ("Labels", ", ".join(run.labels) or "n/a"),
        ("Teacher", run.teacher or "n/a"),
        ("Prompt mode", run.mode or "n/a"),
        ("Run seed", run.manifest.get("seed", "n/a")),
        ("Final size", fmt(run.size)),
        ("Created", run.manifest.get("created", "n/a")),
        ("Updated", run.manifest.get("updated", "n/a")),
    ]
    versions = run.manifest.get("versions")
    if isinstance(versions, dict) and versions:
        rows.append(("Versions", ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))))
    html = table([], rows, cls="kv")
    student, gold = run.student("student"), run.student("gold")
    cards = [
        ("Student accuracy", _pm(student, "accuracy")),
        ("Student macro-F1", _pm(student, "macro_f1")),
        ("Gold accuracy", _pm(gold, "accuracy")),
        ("Self-BLEU-4 ↓", fmt(run.metric_detail("self_bleu", "4"), 3)),
        ("Entity entropy ↑", fmt(run.metric_value("entity_entropy"), 2)),
        ("MAUVE ↑", fmt(run.metric_value("mauve"), 3)),
    ]
    html += (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="k">{e(k)}</div><div class="v">{e(v)}</div></div>'
            for k, v in cards
        )
        + "</div>"
    )
    if run.problems:
        html += "<p class='warn'>Problems reading this run: " + e("; ".join(run.problems)) + "</p>"
    if run.warnings:
        items = "".join(f"<li>{e(w)}</li>" for w in run.warnings)
        html += f"<div class='warn'>Warnings:<ul>{items}</ul></div>"
    return html


def _pm(rep: dict[str, Any] | Missing, key: str) -> str:
    if isinstance(rep, Missing):
        return "n/a"
    mean, std = number(rep.get(f"{key}_mean")), number(rep.get(f"{key}_std"))
    return "n/a" if mean is None else f"{percent_pm(mean, std)} %"


# -- stages ---------------------------------------------------------------------------------
def stages(run: RunData, settings: ReportSettings) -> str:
    if not run.stages:
        return na("manifest.json has no stage records")
    rows = []
    for name, st in run.stages.items():
        raw = st.get("summary")
        summ: dict[str, Any] = raw if isinstance(raw, dict) else {}
        brief = ", ".join(
            f"{k}={fmt(v, 3)}" for k, v in summ.items() if not isinstance(v, dict | list)
        )
        warned = summ.get("warnings")
        if isinstance(warned, list) and warned:
            brief += "; warning: " + "; ".join(str(w) for w in warned)
        status, seconds, finished = st.get("status", "n/a"), st.get("seconds"), st.get("finished")
        if name == "report" and status == "running":  # the stage writing this very page
            status, finished, brief = "done", _now(), "this page"
            seconds = _seconds_since(st.get("started"))
        rows.append((name, status, fmt(seconds, 1), finished or "", st.get("error") or brief))
    return table(["Stage", "Status", "Seconds", "Finished", "Summary"], rows)


def _now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _seconds_since(started: Any) -> float | None:
    from datetime import datetime, timezone

    try:
        then = datetime.fromisoformat(str(started))
    except ValueError:
        return None
    return round((datetime.now(timezone.utc) - then).total_seconds(), 1)


# -- label distribution ---------------------------------------------------------------------
def labels(run: RunData, settings: ReportSettings) -> str:
    sources = {
        "seeds": _label_counts(run, "seeds", "seeds.parquet"),
        "generated": _label_counts(run, "generate", "generations.parquet"),
        "final": _label_counts(run, "refine", "dataset.parquet"),
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


# -- metrics ------------------------------------------------------------------------------------
def metrics(run: RunData, settings: ReportSettings) -> str:
    missing = run.metrics_missing()
    if missing is not None:
        return na(missing)
    mets = (run.metrics or {}).get("metrics")
    if not isinstance(mets, dict) or not mets:
        return na("metrics.json lists no metrics")
    rows = []
    for name, m in mets.items():
        if not isinstance(m, dict):
            continue
        raw = m.get("details")
        details: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if m.get("value") is None and "skipped" in details:
            value, shown = "skipped", str(details["skipped"])
        else:
            value = fmt(m.get("value"))
            shown = ", ".join(f"{k}: {fmt(v, 3)}" for k, v in list(details.items())[:12]
                              if not isinstance(v, dict | list))  # fmt: skip
        better = m.get("higher_is_better")
        direction = "↑" if better is True else "↓" if better is False else ""
        rows.append((m.get("name", name), direction, value, shown, m.get("signature", "")))
    html = table(["Metric", "Better", "Value", "Details", "Signature"], rows, cls="metrics")
    per_n = [(str(n), number(run.metric_detail("self_bleu", str(n)))) for n in range(1, 6)]
    if any(v is not None for _, v in per_n):
        html += svg.bar_chart([f"Self-BLEU-{n}" for n, _ in per_n], {"this run": [v for _, v in per_n]},
                              title="Self-BLEU by n-gram order (lower is more diverse)",
                              digits=3, max_value=1.0)  # fmt: skip
    per_type = run.metric_detail("entity_entropy", "per_type")
    if isinstance(per_type, dict) and per_type:
        types = sorted(str(t) for t in per_type)
        html += svg.bar_chart(types, {"entropy (bits)": [number(per_type[t]) for t in types]},
                              title="Entity entropy per entity type (higher is more diverse)",
                              digits=2)  # fmt: skip
    return html


# -- per-label metrics ------------------------------------------------------------------------------
def per_label_scores(
    rep: dict[str, Any], labels: list[str]
) -> dict[str, list[float | None]] | None:
    """Precision, recall and F1 per label from a confusion matrix (rows = true labels)."""
    conf = rep.get("confusion")
    labs = [str(x) for x in rep.get("labels") or labels]
    if not isinstance(conf, list) or len(conf) != len(labs) or not labs:
        return None
    m = [[number(v) or 0.0 for v in row] for row in conf]
    n = len(labs)
    if any(len(row) != n for row in m):
        return None
    out: dict[str, list[float | None]] = {"precision": [], "recall": [], "F1": []}
    for i in range(n):
        tp = m[i][i]
        pred = sum(m[r][i] for r in range(n))
        true = sum(m[i])
        p = tp / pred if pred else None
        r = tp / true if true else None
        f = 2 * p * r / (p + r) if p is not None and r is not None and (p + r) else None
        out["precision"].append(p)
        out["recall"].append(r)
        out["F1"].append(f if f is not None else (0.0 if p is not None and r is not None else None))
    return out


def per_label(run: RunData, settings: ReportSettings) -> str:
    parts = []
    student = run.student("student")
    if isinstance(student, Missing):
        parts.append(f"<h3>Student</h3>{na(student)}")
    else:
        labs = [str(x) for x in student.get("labels") or run.labels]
        scores = per_label_scores(student, run.labels)
        if scores is None:
            parts.append("<h3>Student</h3>" + na("the student report has no confusion matrix"))
        else:
            parts.append(svg.bar_chart(labs, scores, title="Student on the real test set, per label",
                                       digits=3, max_value=1.0))  # fmt: skip
    per = {
        name: _per_label_detail(run, metric)
        for name, metric in (("MAUVE", "mauve"), ("label preservation", "label_preservation"))
    }
    per = {k: v for k, v in per.items() if v}
    if per:
        cats = [lab for lab in run.labels if any(lab in v for v in per.values())]
        cats += sorted({lab for v in per.values() for lab in v} - set(cats))
        series = {k: [v.get(c) for c in cats] for k, v in per.items()}
        parts.append(svg.bar_chart(cats, series, title="Synthetic text against real data, per label "
                                   "(higher is better)", digits=3, max_value=1.0))  # fmt: skip
    else:
        parts.append("<h3>MAUVE and label preservation per label</h3>"
                     + na("metrics.json has no per-label MAUVE or label preservation"))  # fmt: skip
    return "".join(parts)


def _per_label_detail(run: RunData, metric: str) -> dict[str, float]:
    """``details.per_label`` of a metric as {label: value} (finite numbers only)."""
    raw = run.metric_detail(metric, "per_label")
    if not isinstance(raw, dict):
        return {}
    out = {str(k): number(v) for k, v in raw.items()}
    return {k: v for k, v in out.items() if v is not None}


# -- comparison ------------------------------------------------------------------------------------
def comparison(run: RunData, settings: ReportSettings, cmp: Comparison, notes: list[str]) -> str:
    rows = cmp.rows
    names = [str(r["run"]) for r in rows]
    html = ""
    if len(rows) < 2:  # a chart with one bar compares nothing: the table alone
        html += ('<p class="na">no other runs to compare against (pass compare=[...] or '
                 "use `synthesizrr compare`); this run alone is shown.</p>")  # fmt: skip
    charts = (
        ("self_bleu_4", "Self-BLEU-4 per run (lower is more diverse)", 3),
        ("self_bleu_5", "Self-BLEU-5 per run (lower is more diverse)", 3),
        ("entity_entropy", "Entity entropy per run (higher is more diverse)", 2),
    )
    for key, title, digits in charts if len(rows) >= 2 else ():
        vals = [number(r.get(key)) for r in rows]
        if any(v is not None for v in vals):
            html += svg.bar_chart(names, {key: vals}, title=title, digits=digits,
                                  highlight=run.name)  # fmt: skip
        else:
            html += f"<h3>{e(title)}</h3>" + na(f"no run has {key}")
    headers = [c.header for c in cmp.columns]
    html += table(headers, cmp.cells(), cls="compare")
    for note in notes:
        html += f'<p class="na">{e(note)}</p>'
    return html


# -- data map -----------------------------------------------------------------------------------
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


# -- confusion ------------------------------------------------------------------------------------
def confusion(run: RunData, settings: ReportSettings) -> str:
    parts = []
    for which, title in (("student", "Student (trained on the synthetic data)"),
                         ("gold", "Gold (trained on as many real rows)")):  # fmt: skip
        rep = run.student(which)
        if isinstance(rep, Missing):
            parts.append(f"<div><h3>{e(title)}</h3>{na(rep)}</div>")
            continue
        conf = rep.get("confusion")
        labs = [str(x) for x in rep.get("labels") or run.labels]
        if not isinstance(conf, list) or len(conf) != len(labs) or not labs:
            parts.append(f"<div><h3>{e(title)}</h3>{na('no confusion matrix in the report')}</div>")
            continue
        m = [[number(v) or 0.0 for v in row] for row in conf]
        parts.append(f"<div>{svg.heatmap(m, labs, title=title)}</div>")
    return '<div class="row">' + "".join(parts) + "</div>"


# -- samples --------------------------------------------------------------------------------------
def _lookup_texts(run: RunData, stage: str, filename: str, key: str, ids: set[str],
                  cols: list[str]) -> dict[str, dict[str, Any]] | Missing:  # fmt: skip
    missing = run.stage_missing(stage, filename)
    if missing is not None:
        return missing
    if not ids:
        return {}
    import pyarrow.parquet as pq

    p = run.stage_file(stage, filename)
    names = set(pq.read_schema(p).names)
    if key not in names:
        return Missing(f"{filename} has no '{key}' column")
    t = pq.read_table(p, columns=[c for c in [key, *cols] if c in names],
                      filters=[(key, "in", sorted(ids))])  # fmt: skip
    return {str(r[key]): r for r in t.to_pylist()}


def _cut(text: Any, n: int) -> str:
    s = "" if text is None else str(text)
    return s if len(s) <= n else s[:n] + f" … [{len(s) - n} more characters]"


def _shot_parts(shot_id: str) -> tuple[str, str | None]:
    """``seed_id`` or ``seed_id|passage_id`` -> (seed_id, passage_id)."""
    seed_id, _, passage_id = str(shot_id).partition("|")
    return seed_id, passage_id or None


def samples(run: RunData, settings: ReportSettings) -> str:
    source = "final dataset"
    t = run.table("refine", "dataset.parquet")
    if isinstance(t, Missing):
        t, source = run.table("generate", "generations.parquet"), "generations (no final dataset)"
    if isinstance(t, Missing):
        return na(t)
    if settings.samples_per_label == 0:
        return na("samples_per_label is 0")
    if "label" not in t.column_names:
        return na(f"the {source} has no 'label' column")
    by_label: dict[str, list[int]] = {}
    for i, lab in enumerate(t.column("label").to_pylist()):
        by_label.setdefault(str(lab), []).append(i)
    seed = number(run.manifest.get("seed")) or 0
    order = [lab for lab in run.labels if lab in by_label]
    picked: list[int] = []
    for lab in order + sorted(set(by_label) - set(order)):
        pool = by_label[lab]
        k = min(settings.samples_per_label, len(pool))
        picked += random.Random(f"{seed}|{lab}").sample(pool, k)
    chosen = t.take(picked).to_pylist()
    seed_ids = {str(r["seed_id"]) for r in chosen if r.get("seed_id")}
    pas_ids = {str(r["passage_id"]) for r in chosen if r.get("passage_id")}
    for r in chosen:
        for shot in r.get("shot_ids") or []:
            sid, pid = _shot_parts(shot)
            seed_ids.add(sid)
            if pid:
                pas_ids.add(pid)
    seeds = _lookup_texts(run, "seeds", "seeds.parquet", "seed_id", seed_ids, ["text", "label"])
    passages = _lookup_texts(run, "corpus", "passages.parquet", "passage_id", pas_ids,
                             ["text", "title", "doc_id"])  # fmt: skip
    out = [f"<p>{len(chosen)} rows from the {e(source)}, up to {settings.samples_per_label} per "
           "label (seeded), each beside the seed text used as the retrieval query, the retrieved "
           "passage the teacher rewrote, and the in-context shots of its prompt.</p>"]  # fmt: skip
    if isinstance(passages, Missing):
        out.append(f'<p class="na">retrieved passages: not available ({e(passages)})</p>')
    if isinstance(seeds, Missing):
        out.append(f'<p class="na">seed texts: not available ({e(seeds)})</p>')
    src = Sources(
        seeds if isinstance(seeds, dict) else {},
        passages if isinstance(passages, dict) else {},
        None if isinstance(passages, dict) else str(passages),
    )
    out += [_sample_card(r, src, settings) for r in chosen]
    return "".join(out)


@dataclass
class Sources:
    seeds: dict[str, dict[str, Any]]
    passages: dict[str, dict[str, Any]]
    passages_missing: str | None


def _passage_html(pas: dict[str, Any], settings: ReportSettings) -> str:
    title = f"<b>{e(pas['title'])}</b><br>" if pas.get("title") else ""
    return f"<p>{title}{e(_cut(pas.get('text'), settings.max_passage_chars))}</p>"


def _sample_card(r: dict[str, Any], src: Sources, settings: ReportSettings) -> str:
    sid, pid = r.get("seed_id"), r.get("passage_id")
    meta = (f"row {e(r.get('row_id', 'n/a'))} · label <b>{e(r.get('label'))}</b> · "
            f"{e(r.get('model', ''))} · {fmt(r.get('completion_tokens'))} completion tokens")  # fmt: skip
    gen = f'<div class="gen"><div class="h">Generated</div><p>{e(r.get("text", ""))}</p></div>'
    seed = src.seeds.get(str(sid)) if sid else None
    if seed is not None:
        q = f'<p>{e(seed.get("text", ""))}</p><div class="m">{e(sid)} · label {e(seed.get("label"))}</div>'
    elif not sid:
        q = na("no retrieval query: this row was written without a document")
    else:
        q = na(f"seed {sid} not found in 01_seeds/seeds.parquet")
    pas = src.passages.get(str(pid)) if pid else None
    if pas is not None:
        p = _passage_html(pas, settings) + (
            f'<div class="m">{e(pid)} · doc {e(r.get("doc_id") or pas.get("doc_id"))} · rank '
            f"{fmt(r.get('retrieval_rank'))} · score {fmt(r.get('retrieval_score'), 3)}</div>")  # fmt: skip
    elif not pid:
        p = na("no retrieved document: this row was written without one")
    else:
        p = na(src.passages_missing or f"passage {pid} not found in 02_corpus/passages.parquet")
    shots = [str(s) for s in r.get("shot_ids") or []]
    if shots:
        ids = ", ".join(f"<code>{e(s)}</code>" for s in shots)
        items = []
        for shot in shots:
            s_id, p_id = _shot_parts(shot)
            s_row = src.seeds.get(s_id)
            answer = e(s_row.get("text", "")) if s_row else "(seed text not found)"
            doc = src.passages.get(p_id) if p_id else None
            doc_html = (
                f"<div class='m'>document:</div>{_passage_html(doc, settings)}" if doc else ""
            )
            items.append(f"<li><code>{e(shot)}</code>{doc_html}<div class='m'>answer:</div>"
                         f"<p>{answer}</p></li>")  # fmt: skip
        shot_html = (f"<details><summary>in-context shots: {ids}</summary>"
                     f"<ol>{''.join(items)}</ol></details>")  # fmt: skip
    else:
        shot_html = '<div class="m">in-context shots: none (0-shot)</div>'
    return (f'<div class="sample"><div class="m">{meta}</div><div class="cols">{gen}'
            f'<div class="src"><div class="h">Seed (query)</div>{q}</div>'
            f'<div class="src"><div class="h">Retrieved passage</div>{p}</div></div>'
            f"{shot_html}</div>")  # fmt: skip


# -- drops ---------------------------------------------------------------------------------------
def drops(run: RunData, settings: ReportSettings) -> str:
    parts = []
    for stage, filename, title in (("generate", "dropped.parquet", "Dropped while parsing"),
                                   ("refine", "removed.parquet", "Removed by refinement")):  # fmt: skip
        t = run.table(stage, filename)
        if isinstance(t, Missing):
            parts.append(f"<h3>{e(title)}</h3>{na(t)}")
            continue
        if "reason" not in t.column_names:
            parts.append(f"<h3>{e(title)}</h3>{na(f'{filename} has no reason column')}")
            continue
        rows = t.to_pylist()
        groups: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            groups.setdefault(str(r.get("reason")).split(":")[0], []).append(r)
        body = []
        for reason, rs in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            ex = " ".join(
                f"<q>{e(_cut(x.get('text') or x.get('raw') or '', 200))}</q>"
                for x in rs[: settings.examples_per_reason]
            )
            body.append(f"<tr><td>{e(reason)}</td><td>{len(rs)}</td><td>{ex}</td></tr>")
        parts.append(f"<h3>{e(title)}: {len(rows)} rows</h3>" + (
            "<table><thead><tr><th>Reason</th><th>Rows</th><th>Examples</th></tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>" if rows else "<p>none</p>"))  # fmt: skip
    return "".join(parts)


# -- raw files --------------------------------------------------------------------------------------
def metrics_json(run: RunData, settings: ReportSettings) -> str:
    missing = run.metrics_missing()
    if missing is not None:
        return na(missing)
    text = json.dumps(run.metrics, indent=2, ensure_ascii=False, default=str)
    return f"<details open><summary>metrics.json</summary><pre>{e(text)}</pre></details>"


def config(run: RunData, settings: ReportSettings) -> str:
    p = run.path / "config.yaml"
    if p.is_file():
        text = p.read_text("utf-8", errors="replace")
    elif run.config:
        text = json.dumps(run.config, indent=2, ensure_ascii=False)
    else:
        return na("no config.yaml and no config in manifest.json")
    return f"<details><summary>config.yaml</summary><pre>{e(text)}</pre></details>"
