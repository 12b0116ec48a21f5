"""Read the study's run directories into results.json entries and the RESULTS.md table.

Only what the runs wrote is read (``Run.metrics``, ``Run.manifest``), so
``run.py --report-only`` rebuilds both files without running anything.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from study import DATA, DATASETS, GOLD, METHODS

from synthesizrr.metrics.intervals import Z95, difference_interval, excludes_zero

#: (results.json key, metric in metrics.json) of the metrics with a bootstrap interval.
CI_METRICS: list[tuple[str, str]] = [
    ("self_bleu_5", "self_bleu"),
    ("entity_entropy", "entity_entropy"),
    ("mauve", "mauve"),
    ("label_preservation", "label_preservation"),
]
#: Every key that gets ``<key>_ci`` and ``<key>_diff_vs_fewgen_32_ci``.
INTERVAL_KEYS = [k for k, _ in CI_METRICS] + ["student_accuracy"]
BASELINE = "fewgen_32"

#: results.json keys shown in the markdown table, with their column titles and formats.
COLUMNS: list[tuple[str, str, str]] = [
    ("method_title", "method", "{}"),
    ("requested", "asked", "{}"),
    ("generated", "parsed", "{}"),
    ("rows_kept", "kept", "{}"),
    ("rows", "N scored", "{}"),
    ("seeds_only_accuracy", "seeds only acc", "{:.3f}"),
    ("seeds_plus_synthetic_accuracy", "seeds + synth acc", "{:.3f}"),
    ("uplift_vs_seeds_only_ci", "uplift 95% CI", "{}"),
    ("real_uplift_vs_seeds_only_ci", "real rows' uplift 95% CI", "{}"),
    ("self_bleu_4", "S-BLEU4 ↓", "{:.3f}"),
    ("self_bleu_5", "S-BLEU5 ↓", "{:.3f}"),
    ("distinct_2", "dist-2 ↑", "{:.3f}"),
    ("entity_entropy", "ent. H ↑", "{:.2f}"),
    ("entity_entropy_by_type", "ent. H per type ↑", "{}"),
    ("mauve", "MAUVE ↑", "{:.3f}"),
    ("label_preservation", "label pres. ↑", "{:.3f}"),
    ("oracle_accuracy", "oracle acc (real test)", "{:.3f}"),
    ("student_accuracy", "acc ↑", "{:.3f}"),
    ("student_accuracy_std", "± acc (seeds)", "{:.3f}"),
    ("student_accuracy_ci", "acc 95% CI (bootstrap)", "{}"),
    ("student_macro_f1", "macro-F1 ↑", "{:.3f}"),
    ("gold_accuracy", "gold acc (same n)", "{:.3f}"),
    ("tokens", "tokens", "{:,}"),
    ("wall_seconds", "wall s", "{:.0f}"),
]
TABLE_START, TABLE_END = "<!-- results:start -->", "<!-- results:end -->"


def _metric(metrics: dict[str, Any], name: str, key: str | None = None) -> float | None:
    m = metrics.get("metrics", {}).get(name) or {}
    if key is None:
        return m.get("value")
    value = (m.get("details") or {}).get(key)
    return value if isinstance(value, int | float) else None


def by_type(per_type: Any, counts: Any, top: int = 3) -> str | None:
    """Entity entropy of the ``top`` most frequent entity types, e.g. 'ORG 4.10 · GPE 3.02'."""
    if not isinstance(per_type, dict) or not per_type:
        return None
    n = counts if isinstance(counts, dict) else {}
    order = sorted(per_type, key=lambda t: (-(n.get(t) or 0), t))[:top]
    return " · ".join(f"{t} {per_type[t]:.2f}" for t in order)


def _intervals(metrics: dict[str, Any]) -> dict[str, Any]:
    """``<key>_ci`` and ``<key>_sd`` of every metric that has a bootstrap interval, and of
    the student (its interval is over its training rows)."""
    out: dict[str, Any] = {}
    for key, name in CI_METRICS:
        m = metrics.get("metrics", {}).get(name) or {}
        ci = m.get("ci")
        out[f"{key}_ci"] = [round(v, 4) for v in ci] if ci else None
        out[f"{key}_sd"] = ((m.get("details") or {}).get("bootstrap") or {}).get("sd")
    student = metrics.get("student", {})
    out.update(_student_interval(student, "student_accuracy"))
    return out


def _student_interval(student: dict[str, Any], key: str) -> dict[str, Any]:
    ci = student.get("accuracy_ci")
    return {
        f"{key}_ci": [round(v, 4) for v in ci] if ci else None,
        f"{key}_sd": (ci[1] - ci[0]) / (2 * Z95) if ci else None,
    }


def _seeds_baseline(metrics: dict[str, Any]) -> dict[str, Any]:
    base = metrics.get("seeds_baseline") or {}
    ci, real_ci = base.get("uplift_vs_seeds_only_ci"), base.get("real_uplift_vs_seeds_only_ci")
    return {
        "seeds_only_accuracy": base.get("seeds_only_accuracy"),
        "seeds_plus_synthetic_accuracy": base.get("seeds_plus_synthetic_accuracy"),
        "uplift_vs_seeds_only": base.get("uplift_vs_seeds_only"),
        "uplift_vs_seeds_only_ci": [round(v, 4) for v in ci] if ci else None,
        # the ceiling: seeds + as many real rows (runs evaluated since evaluation.real_ceiling)
        "seeds_plus_real_accuracy": base.get("seeds_plus_real_accuracy"),
        "real_uplift_vs_seeds_only": base.get("real_uplift_vs_seeds_only"),
        "real_uplift_vs_seeds_only_ci": [round(v, 4) for v in real_ci] if real_ci else None,
    }


def diff_interval(a: dict[str, Any], b: dict[str, Any], key: str) -> list[float] | None:
    """95% interval of ``a[key] - b[key]`` (independent sets: the sds add in quadrature)."""
    va, vb, sa, sb = a.get(key), b.get(key), a.get(f"{key}_sd"), b.get(f"{key}_sd")
    if None in (va, vb, sa, sb):
        return None
    return [round(v, 4) for v in difference_interval(va, sa, vb, sb)]


def add_differences(entries: list[dict[str, Any]]) -> None:
    """Each entry's difference to FewGen 32-shot of its dataset, value and interval."""
    base = next((e for e in entries if e["method"] == BASELINE and e["status"] == "done"), None)
    for e in entries:
        for key in INTERVAL_KEYS:
            if base is None or e is base or e.get(key) is None or base.get(key) is None:
                e[f"{key}_diff_vs_{BASELINE}"] = e[f"{key}_diff_vs_{BASELINE}_ci"] = None
                continue
            e[f"{key}_diff_vs_{BASELINE}"] = round(e[key] - base[key], 4)
            e[f"{key}_diff_vs_{BASELINE}_ci"] = diff_interval(e, base, key)


def majority_share(dataset: str) -> float | None:
    """Share of the most frequent label in the dataset's test file (None if unreadable)."""
    import pandas as pd

    ds = DATASETS[dataset]
    try:
        labels = pd.read_csv(DATA / ds.test, usecols=[ds.label_field])[ds.label_field]
    except (OSError, ValueError):
        return None
    return float(labels.value_counts(normalize=True).iloc[0])


def _detail(metrics: dict[str, Any], name: str, key: str) -> Any:
    return ((metrics.get("metrics", {}).get(name) or {}).get("details") or {}).get(key)


def _stage(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(manifest.get("stages", {}).get(name) or {})


def generate_seconds(stage: dict[str, Any]) -> float | None:
    """Teacher seconds of a run's generations: the ledger's (``teacher_seconds``, right
    after a replay from the cache too) where it timed every answer, else the stage's
    wall time (runs whose cache predates the ledger's seconds)."""
    summary = stage.get("summary") or {}
    if summary.get("teacher_seconds") and not summary.get("untimed_responses"):
        return float(summary["teacher_seconds"])
    seconds = stage.get("seconds")
    return None if seconds is None else float(seconds)


def _title(method: str, shots: int | None) -> str:
    """The method's title with the shots it actually used (``--many-shots`` may lower 32)."""
    m = METHODS[method]
    if shots is None or shots == m.shots:
        return m.title
    return m.title.replace(f"{m.shots}-shot", f"{shots}-shot")


def _settings(cfg: dict[str, Any]) -> dict[str, Any]:
    """The sizes and switches a run used, read back from its saved config."""
    gen, retrieval = cfg.get("generation", {}), cfg.get("retrieval", {})
    prompt, corpus = gen.get("prompt", {}), cfg.get("corpus") or {}
    return {
        "per_label": gen.get("per_label"),
        "seeds_per_label": cfg.get("seeds", {}).get("per_label"),
        "max_test": cfg.get("evaluation", {}).get("max_test"),
        "max_new_tokens": cfg.get("task", {}).get("max_new_tokens"),
        "max_shot_chars": prompt.get("max_shot_chars"),
        "max_document_chars": prompt.get("max_document_chars"),
        "n_ctx": gen.get("llm", {}).get("n_ctx"),
        "corpus_fraction": corpus.get("sample_fraction"),
        "retriever": retrieval.get("retriever"),
        "embed_backend": retrieval.get("embed_backend"),
        "sim_min": retrieval.get("sim_min"),
        "shot_sim_min": retrieval.get("shot_sim_min"),
    }


def collect_run(dataset: str, method: str, path: Path) -> dict[str, Any] | None:
    """One (dataset, method) entry from its run directory (None where it never started)."""
    from synthesizrr.api import open_run

    if not (path / "manifest.json").exists():
        return None
    run = open_run(path)
    manifest, metrics = run.manifest, run.metrics
    stages = manifest.get("stages", {})
    gen = _stage(manifest, "generate").get("summary", {})
    refine = _stage(manifest, "refine").get("summary", {})
    student, gold = metrics.get("student", {}), metrics.get("gold", {})
    error = path / "bench_error.txt"
    status = "done" if _stage(manifest, "evaluate").get("status") == "done" else "incomplete"
    if error.exists() and status != "done":
        status = "failed: " + error.read_text("utf-8").strip()[:300]
    cfg = manifest.get("config", {})
    prompt = cfg.get("generation", {}).get("prompt", {})
    return {
        "dataset": dataset,
        "method": method,
        "rows": metrics.get("size"),
        **_seeds_baseline(metrics),
        **_intervals(metrics),
        "shot_groups": prompt.get("shot_groups"),
        "method_title": _title(method, prompt.get("shots")),
        "status": status,
        "mode": prompt.get("mode"),
        "shots": prompt.get("shots"),
        "teacher": gen.get("model"),
        "requested": gen.get("planned"),
        "generated": gen.get("kept"),
        "parse_drops": gen.get("drop_reasons"),
        "rows_kept": refine.get("kept"),
        "kept_per_label": refine.get("kept_per_label"),
        "self_bleu_4": _metric(metrics, "self_bleu", "4"),
        "self_bleu_5": _metric(metrics, "self_bleu", "5"),
        "distinct_2": _metric(metrics, "distinct_n", "2"),
        "entity_entropy": _metric(metrics, "entity_entropy"),
        "entity_entropy_per_type": _detail(metrics, "entity_entropy", "per_type"),
        "entity_entropy_by_type": by_type(
            _detail(metrics, "entity_entropy", "per_type"),
            _detail(metrics, "entity_entropy", "per_type_counts"),
        ),
        "mauve": _metric(metrics, "mauve"),
        "label_preservation": _metric(metrics, "label_preservation"),
        "oracle_accuracy": _metric(metrics, "label_preservation", "oracle_accuracy"),
        "cosine_intra": _metric(metrics, "cosine", "intra_mean"),
        "student_accuracy": student.get("accuracy_mean"),
        "student_accuracy_std": student.get("accuracy_std"),
        "student_accuracy_ci": [round(v, 3) for v in student.get("accuracy_ci") or []] or None,
        "student_macro_f1": student.get("macro_f1_mean"),
        "student_macro_f1_std": student.get("macro_f1_std"),
        "student_seeds": [s.get("seed") for s in student.get("per_seed", [])],
        "n_test": student.get("n_test"),
        "gold_accuracy": gold.get("accuracy_mean"),
        "gold_n_train": gold.get("n_train"),
        "prompt_tokens": gen.get("prompt_tokens"),
        "completion_tokens": gen.get("completion_tokens"),
        "tokens": (gen.get("prompt_tokens") or 0) + (gen.get("completion_tokens") or 0),
        "generate_seconds": generate_seconds(_stage(manifest, "generate")),
        "wall_seconds": round(sum(float(s.get("seconds") or 0) for s in stages.values()), 1),
        "stage_seconds": {k: s.get("seconds") for k, s in stages.items()},
        "settings": _settings(cfg),
        "signatures": {k: v.get("signature") for k, v in metrics.get("metrics", {}).items()}
        | {"student": student.get("signature")},
    }


def gold_entry(dataset: str, entries: list[dict[str, Any]], folder: Path) -> dict[str, Any] | None:
    """The gold reference of a dataset: real train rows, as many as a run kept.

    Student numbers come from a run's evaluate stage (the RETRICL 3-shot run where it is
    done, else the first finished run); text metrics of those real rows come from
    ``gold_metrics.json`` where run.py computed it.
    """
    done = [e for e in entries if e["status"] == "done" and e.get("gold_accuracy") is not None]
    if not done:
        return None
    src = next((e for e in done if e["method"] == "retricl_3"), done[0])
    path = folder / src["method"] / "metrics.json"
    gold = json.loads(path.read_text("utf-8")).get("gold", {})
    text: dict[str, Any] = {}
    gm = folder / "gold_metrics.json"
    if gm.exists():
        text = json.loads(gm.read_text("utf-8"))
    return {
        "dataset": dataset,
        "method": GOLD,
        "method_title": f"gold (real train, n={gold.get('n_train')})",
        "status": "done",
        "rows": gold.get("n_train"),
        **{f"{k}_ci": text.get(f"{k}_ci") for k, _ in CI_METRICS},
        **{f"{k}_sd": text.get(f"{k}_sd") for k, _ in CI_METRICS},
        **_student_interval(gold, "student_accuracy"),
        "gold_from_run": src["method"],
        "requested": None,
        "generated": None,
        "rows_kept": gold.get("n_train"),
        "self_bleu_4": text.get("self_bleu_4"),
        "self_bleu_5": text.get("self_bleu_5"),
        "distinct_2": text.get("distinct_2"),
        "entity_entropy": text.get("entity_entropy"),
        "entity_entropy_per_type": text.get("entity_entropy_per_type"),
        "entity_entropy_by_type": by_type(
            text.get("entity_entropy_per_type"), text.get("entity_counts_per_type")
        ),
        "mauve": text.get("mauve"),
        "label_preservation": text.get("label_preservation"),
        "student_accuracy": gold.get("accuracy_mean"),
        "student_accuracy_std": gold.get("accuracy_std"),
        "student_macro_f1": gold.get("macro_f1_mean"),
        "student_macro_f1_std": gold.get("macro_f1_std"),
        "n_test": gold.get("n_test"),
        "gold_accuracy": gold.get("accuracy_mean"),
        "tokens": 0,
        "wall_seconds": None,
    }


def collect_dataset(folder: Path) -> list[dict[str, Any]]:
    dataset = folder.name
    entries = []
    for method in METHODS:
        entry = collect_run(dataset, method, folder / method)
        if entry is not None:
            entries.append(entry)
    gold = gold_entry(dataset, entries, folder)
    out = entries + ([gold] if gold else [])
    add_differences(out)
    return out


def collect_all(run_dir: Path) -> list[dict[str, Any]]:
    """Every dataset folder: ``<dataset>`` or a size variant ``<dataset>-<tag>``."""
    out: list[dict[str, Any]] = []
    folders = sorted(p for p in run_dir.iterdir() if p.is_dir()) if run_dir.is_dir() else []
    for dataset in DATASETS:
        for folder in folders:
            if folder.name == dataset or folder.name.startswith(dataset + "-"):
                out += collect_dataset(folder)
    return out


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _cell(entry: dict[str, Any], key: str, fmt: str) -> str:
    value = entry.get(key)
    if value is None:
        return "–"
    try:
        return fmt.format(value)
    except (ValueError, TypeError):
        return str(value)


def markdown_table(entries: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for dataset in dict.fromkeys(e["dataset"] for e in entries):
        rows = [e for e in entries if e["dataset"] == dataset]
        lines += [f"#### {dataset}", ""]
        lines.append("| " + " | ".join(title for _, title, _ in COLUMNS) + " |")
        lines.append("|" + "|".join("---" for _ in COLUMNS) + "|")
        for e in rows:
            cells = [_cell(e, k, f) for k, _, f in COLUMNS]
            if e["status"] != "done":
                cells[0] += f" ({e['status'][:40]})"
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


#: The headline tables: one row per dataset, one column per method (gold last).
SUMMARY: list[tuple[str, str, str]] = [
    ("student_accuracy", "Student accuracy (higher is better)", "{:.3f}"),
    ("self_bleu_5", "Self-BLEU-5 (lower is more diverse)", "{:.3f}"),
    ("entity_entropy", "Entity entropy, bits (higher is more diverse)", "{:.2f}"),
    ("label_preservation", "Label preservation (higher is better)", "{:.3f}"),
]


def _grid(
    entries: list[dict[str, Any]],
) -> tuple[dict[tuple[str, str], dict[str, Any]], list[str], dict[str, str]]:
    """Entries by (dataset, method), the datasets in order, and each method's title with
    the shots it actually used (``--many-shots`` may lower 32)."""
    titles = {GOLD: "gold (real rows)"}
    for e in entries:
        if e["method"] in METHODS:
            titles[e["method"]] = _title(e["method"], e.get("shots"))
    by = {(e["dataset"], e["method"]): e for e in entries}
    return by, list(dict.fromkeys(e["dataset"] for e in entries)), titles


def summary_tables(entries: list[dict[str, Any]]) -> str:
    """Each headline metric as a dataset x method grid, with the rows kept beside it."""
    by, datasets, titles = _grid(entries)
    present = [m for m in [*METHODS, GOLD] if any(e["method"] == m for e in entries)]
    lines: list[str] = []
    for key, title, fmt in SUMMARY:
        lines += [f"#### {title}", ""]
        lines.append("| dataset | " + " | ".join(titles[m] for m in present) + " |")
        lines.append("|---|" + "|".join("---" for _ in present) + "|")
        for d in datasets:
            cells = []
            for m in present:
                e = by.get((d, m))
                if e is None or e.get(key) is None:
                    cells.append("–")
                else:
                    cells.append(f"{_cell(e, key, fmt)} ({e.get('rows') or e.get('rows_kept')})")
            lines.append(f"| {d} | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append(
        "_In brackets: N, the rows every metric and the student were computed on "
        "(`evaluation.size`: a seeded, label-proportional sample of the rows kept after refine)._"
    )
    lines.append("")
    return "\n".join(lines)


#: The paper's comparisons: (ours, baseline) pairs, each checked per dataset and metric.
CLAIMS: list[tuple[str, str]] = [
    ("retricl_0", "fewgen_0"),
    ("retricl_3", "fewgen_32"),
    ("retricl_3", "nonretricl_32"),
]
#: Metric, and whether a higher value is the claimed direction.
CLAIM_METRICS: list[tuple[str, bool]] = [
    ("student_accuracy", True),
    ("self_bleu_5", False),
    ("entity_entropy", True),
    ("mauve", True),
    ("label_preservation", True),
]


def claim_datasets(entries: list[dict[str, Any]]) -> tuple[list[str], dict[str, str]]:
    """Datasets a claim is counted on, and the left-out ones with the reason: a dataset
    whose gold student is at the majority class (within 1 point) cannot tell students apart."""
    by, datasets, _ = _grid(entries)
    kept, left_out = [], {}
    for d in datasets:
        gold = by.get((d, GOLD), {}).get("student_accuracy")
        share = majority_share(d.split("-")[0]) if d.split("-")[0] in DATASETS else None
        if gold is not None and share is not None and gold <= share + 0.01:
            left_out[d] = f"gold student {gold:.3f} vs majority class {share:.3f}"
        else:
            kept.append(d)
    return kept, left_out


def claims_table(entries: list[dict[str, Any]]) -> str:
    """Per claimed comparison and metric: datasets where it holds / cannot be told / reverses.

    A claim holds on a dataset only where the 95% interval of the difference lies on the
    claimed side of zero; an interval that includes zero counts as "cannot be told". Each
    dataset counts once (its largest size variant where there are several).
    """
    by, _, titles = _grid(entries)
    datasets, left_out = claim_datasets(entries)
    rows = {d: max((e.get("rows") or 0) for e in entries if e["dataset"] == d) for d in datasets}
    largest: dict[str, str] = {}
    for d in datasets:
        base = d.split("-")[0]
        if base not in largest or rows[d] > rows[largest[base]]:
            largest[base] = d
    lines = [
        "| ours vs baseline | " + " | ".join(k for k, _ in CLAIM_METRICS) + " |",
        "|---|" + "|".join("---" for _ in CLAIM_METRICS) + "|",
    ]
    for ours, base in CLAIMS:
        cells = []
        for key, higher in CLAIM_METRICS:
            held = unclear = reversed_ = 0
            for d in largest.values():
                a, b = by.get((d, ours)), by.get((d, base))
                if a is None or b is None or a.get(key) is None or b.get(key) is None:
                    continue
                ci = diff_interval(a, b, key)
                if not excludes_zero(ci):
                    unclear += 1
                elif (ci[0] > 0) == higher:  # type: ignore[index]
                    held += 1
                else:
                    reversed_ += 1
            cells.append(
                f"{held} / {unclear} / {reversed_}" if held + unclear + reversed_ else "not run"
            )
        lines.append(
            f"| {titles.get(ours, ours)} vs {titles.get(base, base)} | " + " | ".join(cells) + " |"
        )
    lines.append("")
    lines.append(
        "_Datasets where the claim holds (95% interval of the difference on the claimed side"
        " of zero) / cannot be told (interval includes zero) / reverses; Self-BLEU counts"
        " lower as a win; each dataset once (its largest run)._"
    )
    if left_out:
        lines.append("")
        lines.append(
            "_Left out: " + "; ".join(f"{d} ({why})" for d, why in sorted(left_out.items())) + "._"
        )
    return "\n".join(lines) + "\n"


def write_outputs(run_dir: Path, out: Path, markdown: Path, *, command: str | None) -> None:
    """results.json (atomic) and the table section of RESULTS.md (the rest is kept)."""
    entries = collect_all(run_dir)
    log_file = run_dir / "commands.txt"
    if command:
        seen = log_file.read_text("utf-8").splitlines() if log_file.exists() else []
        if command not in seen:
            _atomic_write(log_file, "\n".join([*seen, command]) + "\n")
    commands = log_file.read_text("utf-8").splitlines() if log_file.exists() else []
    updated = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for e in entries:
        e["commands"] = commands
    _atomic_write(out, json.dumps(entries, indent=1, ensure_ascii=False) + "\n")
    table = f"{TABLE_START}\n_Generated by run.py from results.json ({updated})._\n\n"
    if entries:
        table += "### The paper's claims, counted over datasets\n\n" + claims_table(entries)
        table += "\n### Headline grids\n\n" + summary_tables(entries) + "\n### Per dataset\n\n"
    table += markdown_table(entries) + f"\n{TABLE_END}"
    text = markdown.read_text("utf-8") if markdown.exists() else ""
    if TABLE_START in text and TABLE_END in text:
        head, rest = text.split(TABLE_START, 1)
        text = head + table + rest.split(TABLE_END, 1)[1]
    else:
        text = (text or "# Paper reproduction study\n\n## Results\n\n") + table + "\n"
    _atomic_write(markdown, text)
