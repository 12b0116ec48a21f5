"""The embedded teachers side by side at equal N, through the paper study's harness.

For each dataset and teacher, one SynthesizRR RETRICL 3-shot run (``bench/paper``: the same
seeds, corpus sample, index, retrieval and student for every teacher; only
``generation.llm.model`` differs) under ``<run-dir>/<dataset>-<teacher>/retricl_3``, scored
at one common N (``evaluation.size``). Each (teacher, dataset) becomes one entry of
``results.json`` (entries of other teachers or datasets already there are kept), and
RESULTS.md's table is rebuilt from it.

    cd <repo> && HF_HUB_OFFLINE=1 python bench/teacher/compare.py \\
        --teachers smollm2,qwen2.5-coder-0.5b --datasets ag_news,sst2,amazon_humor \\
        --per-label 20 --size 60
    python bench/teacher/compare.py --md-only
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench" / "paper"))
RESULTS = HERE / "results.json"
METHOD = "retricl_3"

#: Corpus samples that keep an index build to minutes on 2 cores (news 58,915 passages,
#: IMDb 49,359 reviews; the 8,220 product titles are used whole).
CORPUS_FRACTION = {"ag_news": 0.15, "sst2": 0.1, "imdb": 0.1}


def entry(
    study: dict[str, Any], teacher: str, dataset: str, seeds_per_label: int | None = None
) -> dict[str, Any]:
    """A teacher-table entry from a study entry (``bench/paper/collect.py``)."""
    rows = study.get("rows") or study.get("rows_kept")
    seconds = study.get("generate_seconds")
    kept = study.get("rows_kept")
    return {
        "teacher": teacher,
        "dataset": dataset,
        "method": METHOD,
        # None: the paper's count (50 per label multi-class, 100 binary).
        "seeds_per_label": seeds_per_label,
        "status": study["status"],
        "planned": study.get("requested"),
        "parsed": study.get("generated"),
        "parse_keep_rate": (
            round(study["generated"] / study["requested"], 4) if study.get("requested") else None
        ),
        "rows_kept": kept,
        "rows": rows,
        "label_preservation": study.get("label_preservation"),
        "label_preservation_ci": study.get("label_preservation_ci"),
        "student_accuracy": study.get("student_accuracy"),
        "student_accuracy_ci": study.get("student_accuracy_ci"),
        "gold_accuracy": study.get("gold_accuracy"),
        "seeds_only_accuracy": study.get("seeds_only_accuracy"),
        "seeds_plus_synthetic_accuracy": study.get("seeds_plus_synthetic_accuracy"),
        "uplift_vs_seeds_only": study.get("uplift_vs_seeds_only"),
        "uplift_vs_seeds_only_ci": study.get("uplift_vs_seeds_only_ci"),
        "self_bleu_5": study.get("self_bleu_5"),
        "self_bleu_5_ci": study.get("self_bleu_5_ci"),
        "entity_entropy": study.get("entity_entropy"),
        "mauve": study.get("mauve"),
        "completion_tokens": study.get("completion_tokens"),
        "generate_seconds": seconds,
        "seconds_per_kept_row": round(seconds / kept, 2) if seconds and kept else None,
        "commands": study.get("commands"),
    }


def run_pair(args: argparse.Namespace, teacher: str, dataset: str) -> dict[str, Any]:
    import run as paper
    from collect import collect_dataset

    argv = [
        "--datasets", dataset, "--methods", METHOD, "--teacher", teacher, "--tag", teacher,
        "--per-label", str(args.per_label), "--size", str(args.size),
        "--max-test", str(args.max_test), "--run-dir", str(args.run_dir),
        "--llm-threads", str(args.llm_threads), "--n-ctx", "4096",
        "--out", str(args.run_dir / f"{dataset}-{teacher}.json"),
        "--markdown", str(args.run_dir / f"{dataset}-{teacher}.md"),
    ]  # fmt: skip
    fraction = (
        CORPUS_FRACTION.get(dataset) if args.corpus_fraction is None else args.corpus_fraction
    )
    if fraction:
        argv += ["--corpus-fraction", str(fraction)]
    if args.seeds_per_label:
        argv += ["--seeds-per-label", str(args.seeds_per_label)]
    argv += ["--oracle", args.oracle] + (["--no-cartography"] if args.no_cartography else [])
    paper.main(argv)
    studies = [e for e in collect_dataset(args.run_dir / f"{dataset}-{teacher}")
               if e["method"] == METHOD]  # fmt: skip
    found = entry(studies[0], teacher, dataset, args.seeds_per_label)
    found["commands"] = ["python bench/teacher/compare.py " + " ".join(sys.argv[1:])]
    return found


def _order(e: dict[str, Any]) -> tuple[str, int, str]:
    """Table order: dataset, seeds per label (the paper's count first), teacher."""
    return (e["dataset"], e.get("seeds_per_label") or 0, e["teacher"])


def _diff(a: dict[str, Any], b: dict[str, Any], key: str) -> str | None:
    """``a[key] - b[key]`` in points with a 95% interval; the two sets are independent, so
    their bootstrap sds (95% interval width / 3.92) add in quadrature."""
    if a.get(key) is None or b.get(key) is None or not a.get(f"{key}_ci") or not b.get(f"{key}_ci"):
        return None
    sd = sum(((e[f"{key}_ci"][1] - e[f"{key}_ci"][0]) / 3.92) ** 2 for e in (a, b)) ** 0.5
    d = a[key] - b[key]
    return f"{100 * d:+.1f} [{100 * (d - 1.96 * sd):+.1f}, {100 * (d + 1.96 * sd):+.1f}]"


def differences(entries: list[dict[str, Any]], base: str = "smollm2") -> list[str]:
    """One line per (dataset, seeds per label, other teacher) scored at the same N as
    ``base``: the differences of student accuracy and of the uplift over the seeds."""
    out = []
    for a in sorted(entries, key=_order):
        b = next((e for e in entries if e["teacher"] == base and e["teacher"] != a["teacher"]
                  and (e["dataset"], e.get("seeds_per_label"), e.get("rows"))
                  == (a["dataset"], a.get("seeds_per_label"), a.get("rows"))), None)  # fmt: skip
        if b is None:
            continue
        student = _diff(a, b, "student_accuracy")
        uplift = _diff(a, b, "uplift_vs_seeds_only")
        if student or uplift:
            out.append(
                f"- {a['dataset']}, {a.get('seeds_per_label') or 'paper'} seeds/label, N "
                f"{a['rows']}: {a['teacher']} minus {base}: student {student or '-'}, uplift "
                f"{uplift or '-'} points"
            )
    return out


def write_md(entries: list[dict[str, Any]]) -> None:
    def f(x: Any, spec: str = "{:.3f}") -> str:
        return "-" if x is None else spec.format(x)

    lines = [
        "<!-- teacher-table:start -->",
        "| dataset | seeds/label | teacher | parsed / planned | N | label pres. "
        "| student acc. [95% CI] | gold acc. (same N) | seeds only | uplift [95% CI] "
        "| Self-BLEU-5 | MAUVE | s per kept row |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def interval(value: Any, ci: Any, scale: float = 1.0, spec: str = "{:.3f}") -> str:
        if value is None:
            return "-"
        out = spec.format(value * scale)
        return out + (
            f" [{spec.format(ci[0] * scale)}, {spec.format(ci[1] * scale)}]" if ci else ""
        )

    for e in sorted(entries, key=_order):
        lines.append(
            f"| {e['dataset']} | {e.get('seeds_per_label') or 'paper'} | {e['teacher']} | "
            f"{e.get('parsed', '-')} / {e.get('planned', '-')} | {e.get('rows')} | "
            f"{f(e.get('label_preservation'))} | "
            f"{interval(e.get('student_accuracy'), e.get('student_accuracy_ci'))} | "
            f"{f(e.get('gold_accuracy'))} | {f(e.get('seeds_only_accuracy'))} | "
            f"{interval(e.get('uplift_vs_seeds_only'), e.get('uplift_vs_seeds_only_ci'), 100, '{:+.1f}')} | "
            f"{f(e.get('self_bleu_5'))} | {f(e.get('mauve'))} | "
            f"{f(e.get('seconds_per_kept_row'), '{:.1f}')} |"
        )
    lines += ["", *differences(entries)]
    lines.append("<!-- teacher-table:end -->")
    md = HERE / "RESULTS.md"
    text = md.read_text(encoding="utf-8")
    start, end = "<!-- teacher-table:start -->", "<!-- teacher-table:end -->"
    table = "\n".join(lines)
    if start in text:
        text = text[: text.index(start)] + table + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n## Side by side at equal N (compare.py)\n\n" + table + "\n"
    md.write_text(text, encoding="utf-8")


def _key(e: dict[str, Any]) -> tuple[str, str, int | None]:
    return (e["teacher"], e["dataset"], e.get("seeds_per_label"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--teachers", default="smollm2,qwen2.5-coder-0.5b")
    ap.add_argument("--datasets", default="ag_news,sst2,amazon_humor")
    ap.add_argument("--per-label", type=int, default=20, help="generations requested per label")
    ap.add_argument("--size", type=int, default=60, help="the common N every run is scored at")
    ap.add_argument("--max-test", type=int, default=1000)
    ap.add_argument("--llm-threads", type=int, default=1)
    ap.add_argument("--run-dir", type=Path, default=REPO / "runs" / "teacher")
    ap.add_argument("--seeds-per-label", type=int, default=None,
                    help="seeds per label (default: the paper's 50 / 100)")  # fmt: skip
    ap.add_argument("--corpus-fraction", type=float, default=None,
                    help="corpus.sample_fraction, 0 for the whole corpus (default: CORPUS_FRACTION per dataset)")  # fmt: skip
    ap.add_argument("--oracle", default="embed_lr", choices=["embed_lr", "tfidf_lr"])
    ap.add_argument("--no-cartography", action="store_true")
    ap.add_argument("--md-only", action="store_true")
    args = ap.parse_args(argv)
    entries = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    if not args.md_only:
        for dataset in args.datasets.split(","):
            for teacher in args.teachers.split(","):
                new = run_pair(args, teacher, dataset)
                entries = [e for e in entries if _key(e) != _key(new)]
                entries.append(new)
                RESULTS.write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
                print(json.dumps(new), flush=True)
    write_md(entries)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
