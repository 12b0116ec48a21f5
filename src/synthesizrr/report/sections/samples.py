"""The samples section: generations with their seed, document and shots."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from synthesizrr.report.rundata import Missing, RunData, number
from synthesizrr.report.sections.fragments import cut, e, fmt, na
from synthesizrr.report.settings import ReportSettings


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
    return f"<p>{title}{e(cut(pas.get('text'), settings.max_passage_chars))}</p>"


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
