"""The paper-reproduction study: SynthesizRR against FewGen with the same teacher.

    python bench/paper/run.py --datasets ag_news --methods fewgen_0,retricl_3 \
        --per-label 4 --corpus-fraction 0.02 --max-test 300
    python bench/paper/run.py --report-only     # rebuild results.json + RESULTS.md

For each dataset x method one pipeline run (``synthesizrr.api.run``) under
``<run-dir>/<dataset>/<method>``; then one entry per (dataset, method) in results.json,
written atomically after every run, plus one "gold" entry per dataset. Runs resume: a
finished stage is skipped, and every teacher call is cached in the run's request cache,
so re-running the command after a crash (or with --report-only) costs little.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "src"))
sys.path.insert(0, str(HERE))

from collect import write_outputs  # noqa: E402
from gold import gold_text_metrics  # noqa: E402
from study import DATASETS, METHODS, REPO, StudySettings, build_config  # noqa: E402

log = logging.getLogger("bench.paper")


def _csv(value: str, choices: dict[str, Any], flag: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    if names == ["all"]:
        return list(choices)
    bad = [n for n in names if n not in choices]
    if bad:
        raise SystemExit(f"{flag}: unknown {bad}; choices: all, {', '.join(choices)}")
    return names


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--datasets", default="ag_news", help="comma list or 'all': " + ", ".join(DATASETS)
    )
    ap.add_argument("--methods", default="all", help="comma list or 'all': " + ", ".join(METHODS))
    ap.add_argument("--per-label", type=int, default=25, help="generations requested per label")
    ap.add_argument(
        "--seeds-per-label",
        type=int,
        default=None,
        help="seeds per label (default: paper's 50 multi-class / 100 binary)",
    )
    ap.add_argument(
        "--max-test", type=int, default=1000, help="real test rows scored (seeded sample)"
    )
    ap.add_argument(
        "--teacher",
        choices=["smollm2", "qwen2.5-coder-0.5b", "gemma3-270m", "openai"],
        default="smollm2",
    )
    ap.add_argument(
        "--base-url", default=None, help="OpenAI-compatible endpoint (--teacher openai)"
    )
    ap.add_argument("--model", default=None, help="served model name (--teacher openai)")
    ap.add_argument("--api-key-env", default="OPENAI_API_KEY", help="env var holding the key")
    ap.add_argument("--run-dir", type=Path, default=REPO / "runs" / "paper")
    ap.add_argument("--corpus-fraction", type=float, default=None, help="corpus.sample_fraction")
    ap.add_argument("--retriever", choices=["dense", "bm25"], default="dense")
    ap.add_argument("--embed-backend", choices=["torch", "onnx", "onnx-int8"], default="onnx-int8")
    ap.add_argument(
        "--sim-min",
        type=float,
        default=None,
        help="retrieval.sim_min as a cosine (paper 0.4 for Contriever; default: the "
        "library's percentile band)",
    )
    ap.add_argument(
        "--size",
        type=int,
        default=None,
        help="evaluation.size: score every method (and train its student) at this N",
    )
    ap.add_argument(
        "--tag",
        default=None,
        help="a variant of the datasets: runs go to <run-dir>/<dataset>-<tag>",
    )
    ap.add_argument(
        "--shot-groups",
        type=int,
        default=None,
        help="generation.prompt.shot_groups, the same for every method",
    )
    ap.add_argument(
        "--many-shots",
        type=int,
        default=32,
        help="shots of the 32-shot methods (FewGen 32, NON-RETRICL 32)",
    )
    ap.add_argument("--max-document-chars", type=int, default=800)
    ap.add_argument(
        "--max-shot-chars",
        type=int,
        default=None,
        help="cut in-context seed texts to this many characters (32 long reviews or "
        "articles do not fit a small teacher's context)",
    )
    ap.add_argument(
        "--shot-sim-min",
        type=float,
        default=None,
        help="retrieval.shot_sim_min: lowest similarity of a RETRICL shot document "
        "(library default: the paper's 0.5)",
    )
    ap.add_argument("--n-ctx", type=int, default=4096, help="context window of a local teacher")
    ap.add_argument(
        "--llm-threads",
        type=int,
        default=1,
        help="llama.cpp threads (1 is fastest on a shared, oversubscribed CPU)",
    )
    ap.add_argument(
        "--oracle",
        choices=["embed_lr", "tfidf_lr"],
        default="embed_lr",
        help="label-preservation oracle; embed_lr re-embeds the whole real train "
        "set in every run (minutes for 7k-15k rows on a shared CPU)",
    )
    ap.add_argument("--no-cartography", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "results.json")
    ap.add_argument("--markdown", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument(
        "--report-only",
        action="store_true",
        help="rebuild results.json and RESULTS.md from the run dirs; run nothing",
    )
    ap.add_argument("--progress", action="store_true")
    return ap.parse_args(argv)  # fmt: skip


def settings_from(args: argparse.Namespace) -> StudySettings:
    return StudySettings(
        run_dir=args.run_dir.resolve(), per_label=args.per_label,
        seeds_per_label=args.seeds_per_label, max_test=args.max_test, teacher=args.teacher,
        base_url=args.base_url, model=args.model, api_key_env=args.api_key_env,
        corpus_fraction=args.corpus_fraction, retriever=args.retriever,
        embed_backend=args.embed_backend, sim_min=args.sim_min, many_shots=args.many_shots,
        max_document_chars=args.max_document_chars, max_shot_chars=args.max_shot_chars,
        shot_sim_min=args.shot_sim_min, n_ctx=args.n_ctx,
        llm_threads=args.llm_threads, oracle=args.oracle,
        cartography=not args.no_cartography, size=args.size, shot_groups=args.shot_groups,
        tag=args.tag,
    )  # fmt: skip


def run_one(dataset: str, method: str, s: StudySettings, progress: bool) -> dict[str, Any]:
    """Run (or resume) one (dataset, method); return a status note for the log."""
    from synthesizrr.api import run
    from synthesizrr.config import config_from_dict

    data = build_config(DATASETS[dataset], METHODS[method], s)
    cfg = config_from_dict(data, source=f"bench/paper:{dataset}/{method}", base_dir=REPO)
    start = time.perf_counter()

    def on_event(stage: str, status: str, summary: dict[str, Any]) -> None:
        if status in ("running", "done", "incomplete"):
            shown = {k: v for k, v in summary.items() if isinstance(v, int | float | str)}
            log.info("%s/%s %s %s %s", dataset, method, stage, status, shown)

    handle = run(cfg, progress=progress, on_event=on_event)
    (handle.path / "bench_error.txt").unlink(missing_ok=True)
    seconds = time.perf_counter() - start
    log.info("%s/%s finished in %.1fs: %s", dataset, method, seconds, handle.path)
    return {"seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for name in ("bench.paper", "synthesizrr.pipeline", "synthesizrr.retrieval"):
        logging.getLogger(name).setLevel(logging.INFO)
    s = settings_from(args)
    datasets = _csv(args.datasets, DATASETS, "--datasets")
    methods = _csv(args.methods, METHODS, "--methods")
    command = "python bench/paper/run.py " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.report_only:
        write_outputs(s.run_dir, args.out, args.markdown, command=None)
        return 0
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    failures = 0
    for dataset in datasets:
        for method in methods:
            try:
                run_one(dataset, method, s, args.progress)
            except Exception as exc:  # one failed run must not end the study
                failures += 1
                log.error("%s/%s failed: %s\n%s", dataset, method, exc, traceback.format_exc())
                err = s.folder(dataset) / method / "bench_error.txt"
                err.parent.mkdir(parents=True, exist_ok=True)
                err.write_text(f"{type(exc).__name__}: {exc}\n", encoding="utf-8")
            write_outputs(s.run_dir, args.out, args.markdown, command=command)
        try:
            gold_text_metrics(s.folder(dataset))
        except Exception as exc:
            log.error("%s: gold text metrics failed: %s", dataset, exc)
        write_outputs(s.run_dir, args.out, args.markdown, command=command)
        log.info("dataset %s done", dataset)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
