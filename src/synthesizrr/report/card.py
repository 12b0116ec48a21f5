"""The dataset card (``dataset/README.md``): YAML front matter for ``datasets`` + prose.

The front matter's ``configs:`` entry makes ``datasets.load_dataset("<run>/dataset")``
read ``train.parquet`` as the ``train`` split (the JSONL copy beside it is ignored).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml

from synthesizrr.report.compare import COLUMNS, Comparison, run_row
from synthesizrr.report.rundata import Missing, RunData, lookup, number

log = logging.getLogger(__name__)

#: Column -> meaning, for the card's "Columns" table.
COLUMN_DOCS: dict[str, str] = {
    "text": "the synthetic example written by the teacher (parsed and cleaned)",
    "label": "the label the teacher was asked to write for (the training target)",
    "row_id": "stable id of the row within this run",
    "seed_id": "the real seed example whose text was the retrieval query (`seed-<line>`)",
    "passage_id": "the retrieved corpus passage the teacher rewrote (empty for few-shot rows)",
    "doc_id": "the corpus document the passage comes from",
    "retrieval_rank": "rank of the passage among the seed's retrieved passages (1 = best)",
    "retrieval_score": "retriever similarity of the passage to the seed text",
    "shot_ids": "in-context examples of the prompt (`seed_id` or `seed_id|passage_id`)",
    "prompt_hash": "hash of the exact request (the key of the request cache)",
    "model": "the teacher model that wrote the text",
    "mode": "prompting method: retricl, non_retricl, fewgen or zerogen",
    "temperature": "sampling temperature of the request",
    "top_p": "nucleus-sampling top-p of the request",
    "top_k": "top-k cut of the request (0: off)",
    "min_p": "min-p cut of the request (0.0: off)",
    "shot_group": "the prompts that share this row's in-context draw (`label:group`)",
    "max_tokens": "cap on new tokens of the request",
    "prompt_tokens": "tokens in the prompt",
    "completion_tokens": "tokens the teacher wrote",
    "finish_reason": "why the teacher stopped (stop, length ...)",
}

SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                   (1_000_000, "100K<n<1M"))  # fmt: skip


def _size_category(n: int) -> str:
    return next((name for bound, name in SIZE_CATEGORIES if n < bound), "1M<n<10M")


def _schema(run: RunData) -> tuple[list[tuple[str, str]], int | None, dict[str, int]]:
    """(column, type) pairs, row count and per-label counts of the published Parquet."""
    import pyarrow.parquet as pq

    for p in (run.path / "dataset" / "train.parquet", run.stage_file("refine", "dataset.parquet")):
        if p.is_file():
            try:
                meta = pq.read_metadata(p)
                schema = pq.read_schema(p)
                labels = pq.read_table(p, columns=["label"]).column("label").to_pylist()
            except Exception as exc:  # noqa: BLE001 - the card still gets written
                log.warning("dataset card: cannot read %s: %s", p, exc)
                continue
            counts: dict[str, int] = {}
            for lab in labels:
                counts[str(lab)] = counts.get(str(lab), 0) + 1
            return [(f.name, str(f.type)) for f in schema], meta.num_rows, counts
    return [], run.size, {}


def front_matter(run: RunData, n_rows: int | None) -> dict[str, Any]:
    return {
        "configs": [{"config_name": "default",
                     "data_files": [{"split": "train", "path": "train.parquet"}]}],
        "task_categories": ["text-classification"],
        "language": ["en"],
        "size_categories": [_size_category(n_rows or 0)],
        "tags": ["synthetic", "synthesizrr", str(run.mode or "unknown-mode")],
        "pretty_name": f"{run.name} (synthetic, SynthesizRR)",
    }  # fmt: skip


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_card(run_dir: Path) -> str:
    run = RunData.load(Path(run_dir))
    columns, n_rows, counts = _schema(run)
    task = run.task
    descr = run.label_descriptions
    fm = yaml.safe_dump(front_matter(run, n_rows), sort_keys=False, allow_unicode=True)
    out = [f"---\n{fm}---\n", f"# {run.name}: a synthetic text-classification dataset\n"]
    out.append(
        f"Written by the teacher LLM **{_md(run.teacher or 'unknown')}** with "
        f"[SynthesizRR](https://arxiv.org/abs/2405.10040) (prompt mode `{run.mode or 'n/a'}`): "
        "for each real seed example, passages retrieved from an unlabeled corpus were "
        "rewritten by the teacher into new examples of the seed's label, then filtered.\n"
    )
    out.append("## Task\n")
    out.append(f"- Name: {_md(task.get('name', 'n/a'))}")
    if task.get("description"):
        out.append(f"- Description: {_md(task['description'])}")
    out.append(f"- Labels ({len(run.labels)}):\n")
    out.append("| Label | Description | Rows |\n|---|---|---:|")
    for lab in run.labels or sorted(counts):
        out.append(f"| {_md(lab)} | {_md(descr.get(lab, ''))} | {counts.get(lab, 0)} |")
    out.append(f"| **total** | | **{n_rows if n_rows is not None else 'n/a'}** |\n")
    out.append("## Files and loading\n")
    out.append("- `train.parquet` and `train.jsonl`: the same rows, one split (`train`).\n")
    out.append("```python\nfrom datasets import load_dataset\n"
               'ds = load_dataset("path/to/dataset")            # reads train.parquet\n'
               'ds = load_dataset("json", data_files="path/to/dataset/train.jsonl")\n```\n')  # fmt: skip
    out.append("## Columns\n")
    if columns:
        out.append("| Column | Type | Meaning |\n|---|---|---|")
        out += [f"| `{c}` | {_md(t)} | {_md(COLUMN_DOCS.get(c, ''))} |" for c, t in columns]
        out.append("")
    else:
        out.append("not available (no dataset file in this run)\n")
    out.append("## Metrics\n")
    out += _metrics_md(run)
    out.append("## Provenance\n")
    out += _provenance_md(run)
    out.append("## Limitations\n")
    out.append(
        "The texts are machine-written. They can repeat facts from the retrieved passages "
        "(including errors and personal names in the corpus), the teacher may have written "
        "a text that does not fit its label, and the label distribution follows the "
        "refinement settings, not necessarily the real data. Check the report "
        "(`../report.html`) before training on it.\n"
    )
    return "\n".join(out)


def _metrics_md(run: RunData) -> list[str]:
    missing = run.metrics_missing()
    if missing is not None:
        return [f"not available ({missing})\n"]
    cmp = Comparison([run_row(run)], columns=tuple(c for c in COLUMNS if c.key != "run"))
    out = [cmp.to_markdown()]
    for which in ("student", "gold"):
        rep = run.student(which)
        if isinstance(rep, Missing):
            out.append(f"- {which}: not available ({rep})")
        else:
            sig = rep.get("signature") or rep.get("model") or rep.get("kind") or ""
            out.append(f"- {which}: trained on {fmt_int(rep.get('n_train'))} rows, tested on "
                       f"{fmt_int(rep.get('n_test'))} real rows (`{_md(sig)}`)")  # fmt: skip
    mets = (run.metrics or {}).get("metrics")
    if isinstance(mets, dict):
        for name, m in mets.items():
            if isinstance(m, dict) and m.get("signature"):
                out.append(f"- {_md(name)}: `{_md(m['signature'])}`")
    out.append("")
    return out


def fmt_int(v: Any) -> str:
    n = number(v)
    return str(int(n)) if n is not None else "n/a"


def _provenance_md(run: RunData) -> list[str]:
    cfg = run.config
    items = [
        ("Run", run.name),
        ("Created", run.manifest.get("created", "n/a")),
        ("Run seed", run.manifest.get("seed", "n/a")),
        ("Seeds", f"{lookup(cfg, 'seeds', 'path') or 'n/a'} "
                  f"({lookup(cfg, 'seeds', 'per_label') or 'n/a'} per label)"),
        ("Corpus", lookup(cfg, "corpus", "path") or "none (no retrieval)"),
        ("Retriever", _retriever(cfg, run.mode)),
        ("Teacher", run.teacher or "n/a"),
        ("Sampling", f"temperature {lookup(cfg, 'generation', 'temperature')}, "
                     f"top-p {lookup(cfg, 'generation', 'top_p')}"),
        ("Generation", _gen_summary(run)),
        ("Refinement", _refine_summary(run)),
    ]  # fmt: skip
    versions = run.manifest.get("versions")
    if isinstance(versions, dict) and versions:
        items.append(("Versions", ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))))
    items.append(("Config", "`config.yaml` and `manifest.json` in the run folder"))
    return [f"- {k}: {_md(v)}" for k, v in items] + [""]


def _retriever(cfg: dict[str, Any], mode: str | None) -> str:
    if mode in ("fewgen", "zerogen"):
        return "none"
    ret = cfg.get("retrieval")
    if not isinstance(ret, dict):
        return "n/a"
    keys = ("kind", "method", "model", "top_k", "sim_min", "sim_max")
    return ", ".join(f"{k} {ret[k]}" for k in keys if ret.get(k) is not None) or "n/a"


def _gen_summary(run: RunData) -> str:
    s = run.stage_summary("generate") or run.json_in("generate", "summary.json") or {}
    if not s:
        return "n/a"
    parts = [f"{s.get(k)} {k}" for k in ("planned", "kept", "dropped", "failed") if k in s]
    if run.tokens is not None:
        parts.append(f"{run.tokens} tokens")
    if s.get("cost") is not None:
        parts.append(f"cost {s['cost']}")
    return ", ".join(parts)


def _refine_summary(run: RunData) -> str:
    s = run.stage_summary("refine") or run.json_in("refine", "summary.json") or {}
    if not s:
        return "n/a"
    return ", ".join(f"{s.get(k)} {k}" for k in ("input", "kept", "removed") if k in s)


def write_dataset_card(run_dir: Path, out: Path) -> Path:
    """Write the dataset card of ``run_dir`` to ``out`` (atomically); return ``out``."""
    from synthesizrr.pipeline.rundir import atomic_write_text

    out = Path(out)
    atomic_write_text(out, render_card(run_dir))
    return out
