"""Label preservation with and without ``task.override_document_label`` on SST-2.

Two pipeline runs per teacher that differ only in that switch: the same seeds, corpus
sample, index and retrieval (shared through ``retrieval.index_cache`` and the same seed),
RETRICL 0-shot, cartography off (label preservation is read on the parsed, deduplicated
rows). The configs come from ``bench/paper/study.py``.

    cd <repo> && PATH=/work/main/.venv/bin:$PATH HF_HUB_OFFLINE=1 nice -n 5 \\
        python bench/override/run.py --teachers smollm2 --per-label 20
    python bench/override/run.py --md-only
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "src"))
sys.path.insert(0, str(HERE.parent / "paper"))

from study import DATASETS, METHODS, REPO, StudySettings, build_config  # noqa: E402

RESULTS = HERE / "results.json"


def run_pair(args: argparse.Namespace, teacher: str, override: bool) -> dict[str, Any]:
    from synthesizrr.api import run
    from synthesizrr.config import config_from_dict

    s = StudySettings(
        run_dir=args.run_dir.resolve(), per_label=args.per_label,
        seeds_per_label=args.seeds_per_label, max_test=args.max_test, teacher=teacher,
        corpus_fraction=args.corpus_fraction, embed_backend="torch", cartography=False,
        max_document_chars=args.max_document_chars, llm_threads=args.llm_threads,
    )  # fmt: skip
    data = build_config(DATASETS[args.dataset], METHODS["retricl_0"], s)
    data["name"] = f"{teacher}_{'override' if override else 'plain'}"
    data["task"]["override_document_label"] = override
    data["evaluation"]["metrics"]["metrics"] = ["label_preservation", "self_bleu"]
    cfg = config_from_dict(data, source=f"bench/override:{data['name']}", base_dir=REPO)
    start = time.perf_counter()
    handle = run(cfg)
    seconds = time.perf_counter() - start
    metrics = handle.metrics
    lp = metrics["metrics"]["label_preservation"]
    gen = json.loads((handle.path / "05_generate" / "summary.json").read_text())
    return {
        "dataset": args.dataset,
        "teacher": teacher,
        "override_document_label": override,
        "instruction": cfg.task.instruction_for(cfg.task.label_names[0]),
        "planned": gen.get("planned"),
        "parsed": gen.get("kept"),
        "generate_completion_tokens": gen.get("completion_tokens"),
        "rows": handle.dataset.num_rows,
        "label_preservation": lp["value"],
        "label_preservation_per_label": lp["details"]["per_label"],
        "self_bleu_5": metrics["metrics"]["self_bleu"]["value"],
        "student_accuracy": metrics["student"]["accuracy_mean"],
        "gold_accuracy": (metrics.get("gold") or {}).get("accuracy_mean"),
        "wall_seconds": round(seconds, 1),
    }


def write_md(data: dict[str, Any]) -> None:
    lines = [
        "# Instructions that override the document's label (SST-2)",
        "",
        data["what"],
        "",
        f"Command: `{data['command']}` ({data['date']}, {data['machine']}).",
        "",
        "| teacher | override_document_label | rows | label preservation | negative | positive "
        "| Self-BLEU-5 | student acc. | gold acc. |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for e in data["entries"]:
        per = e["label_preservation_per_label"]

        def f(x: Any) -> str:
            return "-" if x is None else f"{x:.3f}"

        lines.append(
            f"| {e['teacher']} | {e['override_document_label']} | {e['rows']} | "
            f"{f(e['label_preservation'])} | {f(per.get('negative'))} | {f(per.get('positive'))} "
            f"| {f(e['self_bleu_5'])} | {f(e['student_accuracy'])} | {f(e['gold_accuracy'])} |"
        )
    lines += ["", *data.get("notes", [])]
    (HERE / "RESULTS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dataset", default="sst2", choices=["sst2", "imdb"])
    ap.add_argument("--teachers", default="smollm2")
    ap.add_argument("--per-label", type=int, default=20)
    ap.add_argument("--seeds-per-label", type=int, default=20)
    ap.add_argument("--max-test", type=int, default=500)
    ap.add_argument("--corpus-fraction", type=float, default=0.02)
    ap.add_argument("--max-document-chars", type=int, default=600)
    ap.add_argument("--llm-threads", type=int, default=1)
    ap.add_argument("--run-dir", type=Path, default=Path("/tmp/synthesizrr-override"))
    ap.add_argument("--md-only", action="store_true")
    args = ap.parse_args(argv)
    if args.md_only:
        write_md(json.loads(RESULTS.read_text()))
        return 0
    old = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    entries = [
        e
        for e in old.get("entries", [])
        if e["dataset"] != args.dataset or e["teacher"] not in args.teachers.split(",")
    ]
    for teacher in args.teachers.split(","):
        for override in (False, True):
            entry = run_pair(args, teacher, override)
            print(json.dumps(entry), flush=True)
            entries.append(entry)
    data = {
        "what": f"{args.dataset}: RETRICL 0-shot, {args.per_label} generations per label, "
        f"{args.seeds_per_label} seeds per label, corpus_imdb_unsup sample fraction "
        f"{args.corpus_fraction}, documents cut at {args.max_document_chars} chars, "
        "cartography off; label preservation = embed_lr oracle on the whole real train set "
        "(evaluation only); student = embed_lr on the kept rows, "
        f"{args.max_test} real test rows",
        "command": "python bench/override/run.py "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "date": time.strftime("%Y-%m-%d"),
        "machine": "2 cores shared with other jobs (load 11-18)",
        "entries": entries,
        "notes": old.get("notes", []),
    }
    RESULTS.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    write_md(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
