"""The embedded teachers side by side at equal N, with and without the seed-only label check.

One run of ``examples/ag_news_small.yaml`` per teacher (the same seeds, corpus sample,
index and retrieval; 40 planned RETRICL 2-shot generations), then the same run directory
again with ``refine.label_check.enabled`` (generation is reused, refine and evaluate
rerun). Each becomes one entry of ``results.json`` (a list); entries of other teachers or
datasets already there are kept.

    cd <repo> && PATH=/work/main/.venv/bin:$PATH HF_HUB_OFFLINE=1 nice -n 5 \\
        python bench/teacher/compare.py --teachers smollm2,qwen2.5-coder-0.5b
    python bench/teacher/compare.py --md-only
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "src"))
RESULTS = HERE / "results.json"
CONFIG = REPO / "examples" / "ag_news_small.yaml"


def _entry(handle: Any, teacher: str, label_check: bool) -> dict[str, Any]:
    manifest = handle.manifest
    metrics = handle.metrics["metrics"]
    gen = json.loads((handle.path / "05_generate" / "summary.json").read_text())
    refine = json.loads((handle.path / "06_refine" / "summary.json").read_text())
    gen_seconds = manifest["stages"]["generate"].get("seconds")
    rows = handle.dataset.num_rows

    def value(name: str) -> float | None:
        return (metrics.get(name) or {}).get("value")

    self_bleu = metrics.get("self_bleu") or {}
    return {
        "teacher": teacher,
        "dataset": "ag_news",
        "method": "retricl_2",
        "label_check": label_check,
        "planned": gen["planned"],
        "parsed": gen["kept"],
        "parse_keep_rate": gen["kept"] / gen["planned"] if gen["planned"] else None,
        "rows": rows,
        "label_check_kept_fraction": (refine["steps"].get("label_check") or {}).get(
            "kept_fraction"
        ),
        "label_preservation": value("label_preservation"),
        "student_accuracy": handle.metrics["student"]["accuracy_mean"],
        "gold_accuracy": (handle.metrics.get("gold") or {}).get("accuracy_mean"),
        "self_bleu_5": (self_bleu.get("details") or {}).get("self_bleu_5", value("self_bleu")),
        "entity_entropy": value("entity_entropy"),
        "mauve": value("mauve"),
        "completion_tokens": gen.get("completion_tokens"),
        "generate_seconds": gen_seconds,
        "seconds_per_kept_row": round(gen_seconds / rows, 2) if gen_seconds and rows else None,
    }


def run_teacher(args: argparse.Namespace, teacher: str) -> list[dict[str, Any]]:
    from synthesizrr.api import run
    from synthesizrr.config import load_config

    base = load_config(CONFIG)
    data = base.model_dump(mode="json")
    data["name"] = f"teacher_{teacher}"
    data["run_dir"] = str(args.run_dir)
    data["generation"]["llm"]["model"] = teacher
    data["generation"]["llm"]["n_threads"] = args.llm_threads
    out = []
    for check in (False, True):
        data["refine"]["label_check"]["enabled"] = check
        from synthesizrr.config import config_from_dict

        cfg = config_from_dict(data, source=f"bench/teacher:{teacher}", base_dir=CONFIG.parent)
        handle = run(cfg)
        entry = _entry(handle, teacher, check)
        print(json.dumps(entry), flush=True)
        out.append(entry)
    return out


def write_md(entries: list[dict[str, Any]]) -> None:
    def f(x: Any, spec: str = "{:.3f}") -> str:
        return "-" if x is None else spec.format(x)

    lines = [
        "<!-- teacher-table:start -->",
        "| teacher | label check | parsed / planned | rows | label pres. | student acc. "
        "| gold acc. (same n) | Self-BLEU-5 | entity H | s per kept row |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in entries:
        lines.append(
            f"| {e['teacher']} | {e.get('label_check', False)} | {e.get('parsed', '-')} / "
            f"{e.get('planned', '-')} | {e['rows']} | {f(e['label_preservation'])} | "
            f"{f(e['student_accuracy'])} | {f(e['gold_accuracy'])} | {f(e['self_bleu_5'])} | "
            f"{f(e.get('entity_entropy'), '{:.2f}')} | {f(e['seconds_per_kept_row'], '{:.1f}')} |"
        )
    lines.append("<!-- teacher-table:end -->")
    md = HERE / "RESULTS.md"
    text = md.read_text(encoding="utf-8")
    start, end = "<!-- teacher-table:start -->", "<!-- teacher-table:end -->"
    table = "\n".join(lines)
    if start in text:
        text = text[: text.index(start)] + table + text[text.index(end) + len(end) :]
    else:
        text = (
            text.rstrip("\n") + "\n\n## Side by side (bench/teacher/compare.py)\n\n" + table + "\n"
        )
    md.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--teachers", default="smollm2,qwen2.5-coder-0.5b")
    ap.add_argument("--llm-threads", type=int, default=1)
    ap.add_argument("--run-dir", type=Path, default=Path("/tmp/synthesizrr-teacher"))
    ap.add_argument("--md-only", action="store_true")
    args = ap.parse_args(argv)
    entries = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    if not args.md_only:
        teachers = args.teachers.split(",")
        for teacher in teachers:
            start = time.perf_counter()
            new = run_teacher(args, teacher)
            entries = [
                e
                for e in entries
                if not (e["teacher"] == teacher and e["dataset"] == "ag_news" and "source" not in e)
            ]
            entries += new
            RESULTS.write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
            print(f"{teacher}: {time.perf_counter() - start:.0f}s", flush=True)
    write_md(entries)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
