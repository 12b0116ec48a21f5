"""The dataset card (``dataset/README.md``): Hub-convention YAML front matter + prose.

The front matter's ``configs:`` entry makes ``datasets.load_dataset("<run>/dataset")``
read ``train.parquet`` as the ``train`` split (the JSONL copy beside it is ignored).

``datasets`` caches a local folder under a hash of its card's ``configs`` and
``dataset_info`` (the *patterns* in ``data_files``, not the files they match; see
``LocalDatasetModuleFactory.get_module``), so every ``.../dataset`` folder with the same
card would share one cache entry and return another run's rows. The config's
``description`` therefore carries the SHA-256 of ``train.parquet``: a different dataset,
or a regenerated one, gets its own cache entry.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from synthesizrr.report.compare import COLUMNS, Comparison, percent_pm, run_row
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

#: Prompt mode -> how the rows were written, for the card's "Method" section.
METHODS: dict[str, str] = {
    "retricl": "for each real seed example, passages retrieved from an unlabeled corpus were "
    "rewritten by the teacher into new examples of the seed's label, with retrieved "
    "(passage, seed) pairs as in-context examples",
    "non_retricl": "for each real seed example, passages retrieved from an unlabeled corpus "
    "were rewritten by the teacher into new examples of the seed's label, with real seed "
    "texts as in-context examples",
    "fewgen": "the teacher wrote new examples of each label from a few real seed examples "
    "in the prompt (no retrieval; the FewGen baseline)",
    "zerogen": "the teacher wrote new examples of each label from the label's description "
    "alone (no retrieval, no examples; the ZeroGen baseline)",
}

SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                   (1_000_000, "100K<n<1M"))  # fmt: skip


def _size_category(n: int) -> str:
    return next((name for bound, name in SIZE_CATEGORIES if n < bound), "1M<n<10M")


@dataclass
class Published:
    """What the card says about the published Parquet file."""

    columns: list[tuple[str, str]] = field(default_factory=list)
    n_rows: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    sha256: str | None = None


def _schema(run: RunData) -> Published:
    """Columns, row count, per-label counts and content hash of the published Parquet."""
    import pyarrow.parquet as pq

    for p in (run.path / "dataset" / "train.parquet", run.stage_file("refine", "dataset.parquet")):
        if p.is_file():
            try:
                meta = pq.read_metadata(p)
                schema = pq.read_schema(p)
                labels = pq.read_table(p, columns=["label"]).column("label").to_pylist()
                digest = hashlib.sha256(p.read_bytes()).hexdigest()
            except Exception as exc:  # noqa: BLE001 - the card still gets written
                log.warning("dataset card: cannot read %s: %s", p, exc)
                continue
            counts: dict[str, int] = {}
            for lab in labels:
                counts[str(lab)] = counts.get(str(lab), 0) + 1
            return Published([(f.name, str(f.type)) for f in schema], meta.num_rows, counts, digest)
    return Published(n_rows=run.size)


def _sources(cfg: dict[str, Any]) -> list[str]:
    """``source_datasets``: the configured ids, else the seed file and the corpus."""
    given = lookup(cfg, "card", "source_datasets")
    if isinstance(given, list) and given:
        return [str(x) for x in given]
    found = [lookup(cfg, "seeds", "path"), lookup(cfg, "corpus", "path")]
    return [str(x) for x in found if x] or ["original"]


def front_matter(run: RunData, pub: Published) -> dict[str, Any]:
    cfg = run.config
    config: dict[str, Any] = {
        "config_name": "default",
        "data_files": [{"split": "train", "path": "train.parquet"}],
    }
    if pub.sha256:
        config["description"] = f"{run.name}: {pub.n_rows} rows, train.parquet sha256 {pub.sha256}"
    language = lookup(cfg, "card", "language")
    fm: dict[str, Any] = {
        "pretty_name": lookup(cfg, "card", "pretty_name") or f"{run.name} (synthetic, SynthesizRR)",
        "language": language if isinstance(language, list) and language else ["en"],
    }
    license_ = lookup(cfg, "card", "license")
    if license_:
        fm["license"] = str(license_)
    fm.update({
        "task_categories": ["text-classification"],
        "task_ids": ["multi-class-classification"],
        "size_categories": [_size_category(pub.n_rows or 0)],
        "annotations_creators": ["machine-generated"],
        "language_creators": ["machine-generated"],
        "source_datasets": _sources(cfg),
        "tags": ["synthetic", "synthesizrr", str(run.mode or "unknown-mode")],
        "configs": [config],
    })  # fmt: skip
    return fm


def _md(text: Any) -> str:
    """``text`` for a Markdown table cell: pipes escaped, one line."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _code(text: Any) -> str:
    """``text`` as an inline code span outside tables (where a pipe needs no escape)."""
    return "`" + str(text).replace("`", "'").replace("\n", " ") + "`"


def render_card(run_dir: Path) -> str:
    run = RunData.load(Path(run_dir))
    pub = _schema(run)
    task = run.task
    descr = run.label_descriptions
    fm = yaml.safe_dump(front_matter(run, pub), sort_keys=False, allow_unicode=True)
    out = [f"---\n{fm}---\n", f"# {run.name}: a synthetic text-classification dataset\n"]
    out.append("## Method\n")
    out.append(
        f"Written by the teacher LLM **{_md(run.teacher or 'unknown')}** with "
        f"[SynthesizRR](https://arxiv.org/abs/2405.10040) (prompt mode `{run.mode or 'n/a'}`): "
        f"{METHODS.get(run.mode or '', METHODS['retricl'])}, then filtered.\n"
    )
    out.append(f"- License: {_license_md(run.config)}\n")
    out.append("## Task\n")
    out.append(f"- Name: {_md(task.get('name', 'n/a'))}")
    if task.get("description"):
        out.append(f"- Description: {_md(task['description'])}")
    out.append(f"- Labels ({len(run.labels)}):\n")
    out.append("| Label | Description | Rows |\n|---|---|---:|")
    for lab in run.labels or sorted(pub.counts):
        out.append(f"| {_md(lab)} | {_md(descr.get(lab, ''))} | {pub.counts.get(lab, 0)} |")
    out.append(f"| **total** | | **{pub.n_rows if pub.n_rows is not None else 'n/a'}** |\n")
    out.append("## Files and loading\n")
    out.append("- `train.parquet`: the rows, one split (`train`); the run folder also has "
               "`train.jsonl` with the same rows.\n")  # fmt: skip
    out.append("```python\nfrom datasets import load_dataset\n"
               'ds = load_dataset("path/to/dataset")            # reads train.parquet\n'
               'ds = load_dataset("json", data_files="path/to/dataset/train.jsonl")\n```\n')  # fmt: skip
    out.append("## Columns\n")
    if pub.columns:
        out.append("| Column | Type | Meaning |\n|---|---|---|")
        out += [f"| `{c}` | {_md(t)} | {_md(COLUMN_DOCS.get(c, ''))} |" for c, t in pub.columns]
        out.append("")
    else:
        out.append("not available (no dataset file in this run)\n")
    out.append("## Metrics\n")
    out += _metrics_md(run)
    out.append("## Provenance\n")
    out += _provenance_md(run)
    out.append("## Limitations\n")
    out += _limits_md(run)
    return "\n".join(out)


def _license_md(cfg: dict[str, Any]) -> str:
    license_ = lookup(cfg, "card", "license")
    if license_:
        return f"{_code(license_)} (from `card.license` in the config)"
    return ("not set. Set `card.license` in the config (a Hub license id such as `cc-by-4.0`); "
            "the texts rewrite corpus passages, so the corpus's license applies to them.")  # fmt: skip


def _limits_md(run: RunData) -> list[str]:
    out = [
        "- The texts are machine-written. They can repeat facts from the retrieved passages "
        "(including errors and personal names in the corpus), and the label distribution "
        "follows the refinement settings, not necessarily the real data. Check the report "
        "(`report.html` in the run folder) before training on it."
    ]
    lp = run.metric("label_preservation")
    value = number(lp.get("value")) if lp else None
    if lp and value is not None:
        out.append(
            f"- Label preservation: {value * 100:.1f}% of rows were classified as their intended "
            f"label by an oracle trained on real data ({_code(lp.get('signature', ''))}); the "
            f"other {100 - value * 100:.1f}% may not fit their label."
        )
    else:
        out.append("- Label preservation: not measured; some texts may not fit their label.")
    out.append(
        f"- Teacher size: the teacher here is {_code(run.teacher or 'unknown')}. The paper's "
        "results use Claude Instant and LLaMa-2-Chat 13B; a smaller teacher follows the "
        "label and the passage less faithfully, so expect lower label preservation and "
        "student accuracy than reported there."
    )
    out.append("")
    return out


def _metrics_md(run: RunData) -> list[str]:
    missing = run.metrics_missing()
    if missing is not None:
        return [f"not available ({missing})\n"]
    cmp = Comparison([run_row(run)], columns=tuple(c for c in COLUMNS if c.key != "run"))
    out = _seeds_baseline_md(run) + [cmp.to_markdown()]
    base = run.student("seeds_baseline")
    reports: list[tuple[str, dict[str, Any] | Missing]] = [
        ("student", run.student("student")),
        ("gold", run.student("gold")),
    ]
    if isinstance(base, dict):
        reports += [(k.replace("_", " "), base[k])
                    for k in ("seeds_only", "seeds_plus_synthetic", "seeds_plus_real")
                    if isinstance(base.get(k), dict)]  # fmt: skip
    trained_on = {"student": "synthetic", "gold": "real", "seeds only": "real seed",
                  "seeds plus synthetic": "seed + synthetic",
                  "seeds plus real": "seed + real"}  # fmt: skip
    for which, rep in reports:
        if isinstance(rep, Missing):
            out.append(f"- {which}: not available ({rep})")
        else:
            sig = rep.get("signature") or rep.get("model") or rep.get("kind") or ""
            scores = ", ".join(
                f"{name} {percent_pm(rep.get(f'{key}_mean'), rep.get(f'{key}_std'))}"
                for name, key in (("accuracy", "accuracy"), ("macro-F1", "macro_f1"))
                if number(rep.get(f"{key}_mean")) is not None
            )
            out.append(f"- {which}: {scores or 'no scores'}; trained on "
                       f"{fmt_int(rep.get('n_train'))} {trained_on[which]} rows, "
                       f"tested on {fmt_int(rep.get('n_test'))} real rows ({_code(sig)})")  # fmt: skip
    mets = (run.metrics or {}).get("metrics")
    if isinstance(mets, dict):
        for name, m in mets.items():
            if isinstance(m, dict) and m.get("signature"):
                out.append(f"- {_md(name)}: {_code(m['signature'])}")
    out.append("")
    return out


def _seeds_baseline_md(run: RunData) -> list[str]:
    """The uplift of the synthetic rows over the seeds alone, in words (the card's headline)."""
    base = run.student("seeds_baseline")
    if isinstance(base, Missing):
        return [f"**Does this data help?** Not measured ({base}).\n"]
    so, sp = (
        number(base.get("seeds_only_accuracy")),
        number(base.get("seeds_plus_synthetic_accuracy")),
    )
    line = f"**Does this data help?** {base.get('verdict', '')}"
    if so is not None and sp is not None:
        line += (f" The same student scores {so * 100:.1f}% on the real test set when trained on "
                 f"the seeds alone and {sp * 100:.1f}% on the seeds plus these rows")  # fmt: skip
        if base.get("interval"):
            line += f" (interval: {base['interval']})"
        line += "."
    return [line + "\n"]


def fmt_int(v: Any) -> str:
    n = number(v)
    return str(int(n)) if n is not None else "n/a"


def _provenance_md(run: RunData) -> list[str]:
    cfg = run.config
    items = [
        ("Run", run.name),
        ("Created", run.manifest.get("created", "n/a")),
        ("Run seed", run.manifest.get("seed", "n/a")),
        ("Seeds", _seeds_summary(run)),
        ("Corpus", lookup(cfg, "corpus", "path") or "none (no retrieval)"),
        ("Retriever", _retriever(cfg, run.mode, run.stage_summary("retrieve") or {})),
        ("Teacher", run.teacher or "n/a"),
        ("Sampling", f"temperature {lookup(cfg, 'generation', 'temperature')}, "
                     f"top-p {lookup(cfg, 'generation', 'top_p')}"),
        ("Generation", _gen_summary(run)),
        ("Refinement", _refine_summary(run)),
    ]  # fmt: skip
    versions = run.manifest.get("versions")
    if isinstance(versions, dict) and versions:
        items.append(("Versions", ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))))
    items.append(("Config", "`config.yaml` and `manifest.json` of the run (`synthesizrr publish` "
                            "uploads them beside this card)"))  # fmt: skip
    return [f"- {k}: {_md(v)}" for k, v in items] + [""]


def _seeds_summary(run: RunData) -> str:
    cfg = run.config
    s = run.stage_summary("seeds")
    text = (f"{lookup(cfg, 'seeds', 'path') or 'n/a'} "
            f"({lookup(cfg, 'seeds', 'per_label') or 'n/a'} per label asked")  # fmt: skip
    if isinstance(s.get("seeds"), int):
        text += f", {s['seeds']} drawn"
    per = s.get("per_label")
    if isinstance(per, dict) and per:
        text += ": " + ", ".join(f"{k} {v}" for k, v in per.items())
    return text + ")"


def _retriever(cfg: dict[str, Any], mode: str | None, retrieved: dict[str, Any]) -> str:
    """The retriever's settings and the similarity band the retrieve stage resolved (the
    config alone may not say it: unset cosine bounds mean the measured percentile band)."""
    if mode in ("fewgen", "zerogen"):
        return "none"
    ret = cfg.get("retrieval")
    if not isinstance(ret, dict):
        return "n/a"
    keys = ("retriever", "model", "top_k")
    parts = [f"{k} {ret[k]}" for k in keys if ret.get(k) is not None]
    if retrieved.get("gen_band"):
        lo, hi = retrieved.get("gen_sim_min"), retrieved.get("gen_sim_max")
        bounds = ", ".join(f"{n} {v:g}" for n, v in (("min", lo), ("max", hi)) if v is not None)
        parts.append(
            f"generation band {retrieved['gen_band']}" + (f" ({bounds})" if bounds else "")
        )
    else:  # a run from before the stage recorded its band: the config's bounds
        parts += [f"{k} {ret[k]}" for k in ("sim_min", "sim_max") if ret.get(k) is not None]
    return ", ".join(parts) or "n/a"


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
    from synthesizrr.fileio import atomic_write_text

    out = Path(out)
    atomic_write_text(out, render_card(run_dir))
    return out
