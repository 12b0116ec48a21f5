"""The paper's claims counted over several study files, each dataset once.

The study ran in parts (AG News at N = 196, Humor and SST-2 at 300 / 279, the product
tasks later), each part writing its own ``results*.json``. This reads any number of them,
keeps for each dataset the file that scored it at the largest N (so a dataset is never
counted twice), and writes:

- the claims table of ``collect.claims_table`` over the pooled entries;
- per dataset, what a user decides on: the SynthesizRR (RETRICL 3-shot) student against
  the same student on the seeds alone (the uplift and its interval), against gold at the
  same N (the ratio), and RETRICL 3-shot minus FewGen 32-shot on each metric.

Usage (from the repository root)::

    python bench/paper/claims.py bench/paper/results_main_comparison.json \
        bench/paper/results_humor_sst2.json bench/paper/results_products.json
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from collect import (
    CLAIM_METRICS,
    GOLD,
    _atomic_write,
    claim_datasets,
    claims_table,
    diff_interval,
    excludes_zero,
)

HERE = Path(__file__).resolve().parent
OURS, BASE = "retricl_3", "fewgen_32"


def pool(files: list[Path]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Entries of every file, each dataset from the file that scored it at the largest N
    (the first such file on a tie), and which file each dataset came from."""
    best: dict[str, tuple[int, Path, list[dict[str, Any]]]] = {}
    for path in files:
        try:
            entries = json.loads(path.read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SystemExit(f"{path}: not a readable results JSON list ({exc})") from exc
        if not isinstance(entries, list):
            raise SystemExit(f"{path}: expected a JSON list of entries (a results*.json)")
        for dataset in dict.fromkeys(e["dataset"] for e in entries):
            mine = [e for e in entries if e["dataset"] == dataset]
            rows = max((e.get("rows") or 0) for e in mine)
            if dataset not in best or rows > best[dataset][0]:
                best[dataset] = (rows, path, mine)
    pooled = [e for _, _, mine in best.values() for e in mine]
    return pooled, {d: str(p) for d, (_, p, _) in best.items()}


def student_setting(entry: dict[str, Any]) -> str:
    """The student's C and class weighting, read from its signature (older runs carry no
    ``cw:`` part: they were scored unweighted)."""
    sig = (entry.get("signatures") or {}).get("student") or ""
    c = re.search(r"\|C:([^|]+)", sig)
    cw = re.search(r"\|cw:([^|]+)", sig)
    return f"C {c.group(1) if c else '?'}, {cw.group(1) if cw else 'unweighted'}"


def _fmt_ci(ci: list[float] | None, scale: float = 1.0, digits: int = 1) -> str:
    if not ci:
        return "–"
    lo, hi = (v * scale for v in ci)
    return f"[{lo:+.{digits}f}, {hi:+.{digits}f}]"


def per_dataset(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per dataset: N, seeds, the student setting, uplifts, the ratio to gold,
    and RETRICL 3-shot minus FewGen 32-shot with its interval per metric."""
    by = {(e["dataset"], e["method"]): e for e in entries}
    out = []
    for d in dict.fromkeys(e["dataset"] for e in entries):
        ours, base, gold = by.get((d, OURS)), by.get((d, BASE)), by.get((d, GOLD))
        if ours is None:
            continue
        rec: dict[str, Any] = {
            "dataset": d,
            "rows": ours.get("rows"),
            "seeds_per_label": (ours.get("settings") or {}).get("seeds_per_label"),
            "student": student_setting(ours),
            "seeds_only_accuracy": ours.get("seeds_only_accuracy"),
            # the ceiling: as many real rows (present in runs evaluated with real_ceiling)
            "real_uplift": ours.get("real_uplift_vs_seeds_only"),
            "real_uplift_ci": ours.get("real_uplift_vs_seeds_only_ci"),
        }
        for name, e in ((OURS, ours), (BASE, base)):
            if e is not None:
                rec[f"{name}_student_accuracy"] = e.get("student_accuracy")
                rec[f"{name}_uplift"] = e.get("uplift_vs_seeds_only")
                rec[f"{name}_uplift_ci"] = e.get("uplift_vs_seeds_only_ci")
        gold_acc = (gold or {}).get("student_accuracy")
        if gold_acc and ours.get("student_accuracy") is not None:
            rec["gold_accuracy"] = gold_acc
            rec["student_over_gold"] = round(ours["student_accuracy"] / gold_acc, 3)
        if base is not None:
            for key, _ in CLAIM_METRICS:
                if ours.get(key) is not None and base.get(key) is not None:
                    rec[f"{key}_diff"] = round(ours[key] - base[key], 4)
                    rec[f"{key}_diff_ci"] = diff_interval(ours, base, key)
        out.append(rec)
    return out


def markdown(entries: list[dict[str, Any]], sources: dict[str, str], files: list[Path]) -> str:
    records = per_dataset(entries)
    _, left_out = claim_datasets(entries)
    lines = [
        "# The paper's claims over every study file (issue #17)",
        "",
        "Generated by `python bench/paper/claims.py " + " ".join(str(f) for f in files) + "`.",
        "Each dataset once, from the file that scored it at the largest N:",
        "",
    ]
    lines += [f"- {d}: `{src}`" for d, src in sources.items()]
    lines += ["", "## Claims, counted over datasets", "", claims_table(entries)]
    lines += [
        "## What a user decides on, per dataset (SynthesizRR = RETRICL 3-shot)",
        "",
        "| dataset | N | seeds / label | student | seeds only | SynthesizRR uplift, points"
        " [95% CI] | FewGen 32-shot uplift | as many real rows' uplift | SynthesizRR / gold |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        up = r.get(f"{OURS}_uplift")
        bup = r.get(f"{BASE}_uplift")
        rup = r.get("real_uplift")
        lines.append(
            f"| {r['dataset']} | {r['rows']} | {r['seeds_per_label'] or '–'} | {r['student']} | "
            + (f"{r['seeds_only_accuracy']:.3f}" if r["seeds_only_accuracy"] is not None else "–")
            + " | "
            + (f"{up * 100:+.1f} {_fmt_ci(r.get(f'{OURS}_uplift_ci'), 100)}" if up is not None else "–")
            + " | "
            + (f"{bup * 100:+.1f} {_fmt_ci(r.get(f'{BASE}_uplift_ci'), 100)}" if bup is not None else "–")
            + " | "
            + (f"{rup * 100:+.1f} {_fmt_ci(r.get('real_uplift_ci'), 100)}" if rup is not None else "not run")
            + " | "
            + (f"{r['student_over_gold']:.3f}" if "student_over_gold" in r else "–")
            + " |"
        )  # fmt: skip
    held = [r["dataset"] for r in records if excludes_zero(r.get(f"{OURS}_uplift_ci"))
            and r[f"{OURS}_uplift_ci"][0] > 0]  # fmt: skip
    lines += [
        "",
        f"SynthesizRR's uplift over the seeds excludes zero on {len(held)} of {len(records)}"
        f" datasets{(': ' + ', '.join(held)) if held else ''}.",
        "",
        "## RETRICL 3-shot minus FewGen 32-shot (95% intervals; Self-BLEU-5: lower is better)",
        "",
        "| dataset | " + " | ".join(k for k, _ in CLAIM_METRICS) + " |",
        "|---|" + "|".join("---" for _ in CLAIM_METRICS) + "|",
    ]
    for r in records:
        cells = []
        for key, _ in CLAIM_METRICS:
            if f"{key}_diff" not in r:
                cells.append("–")
                continue
            ci = r.get(f"{key}_diff_ci")
            digits = 2 if key == "entity_entropy" else 3
            mark = "**" if excludes_zero(ci) else ""
            cells.append(f"{mark}{r[f'{key}_diff']:+.{digits}f}{mark} {_fmt_ci(ci, 1, digits)}")
        lines.append(f"| {r['dataset']} | " + " | ".join(cells) + " |")
    lines += ["", "_Bold: the interval excludes zero._"]
    if left_out:
        lines += [
            "",
            "_Not counted: " + "; ".join(f"{d} ({w})" for d, w in left_out.items()) + "._",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path, help="results*.json files of bench/paper")
    ap.add_argument("--out", type=Path, default=HERE / "claims.json")
    ap.add_argument("--markdown", type=Path, default=HERE / "CLAIMS.md")
    args = ap.parse_args(argv)
    entries, sources = pool(args.files)
    doc = {"sources": sources, "datasets": per_dataset(entries)}
    _atomic_write(args.out, json.dumps(doc, indent=1) + "\n")
    _atomic_write(args.markdown, markdown(entries, sources, args.files))
    print(args.markdown.read_text("utf-8"))


if __name__ == "__main__":
    main()
