"""Command-line interface: parse arguments, load the config, make one library call."""

from __future__ import annotations

import importlib
import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from synthesizrr.console import make_console, route_library_output_to_stderr, write_plain
from synthesizrr.errors import SynthesizrrError
from synthesizrr.interrupt import EXIT_CODE, InterruptGuard
from synthesizrr.overrides import parse_overrides

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
)
out = make_console()
err = make_console(stderr=True)
guard = InterruptGuard()

ConfigArg = Annotated[
    Path, typer.Argument(metavar="CONFIG", help="the run's YAML config", show_default=False)
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="override a config field, e.g. --set generation.per_label=10"),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="no progress bars")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="log at INFO level")]
ForceOpt = Annotated[bool, typer.Option(help="rerun this stage even if unchanged")]
RayOpt = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        help="run on this Ray cluster (sets executor: ray), e.g. ray://HOST:10001 or auto",
    ),
]


def _version(value: bool) -> None:
    if value:
        from synthesizrr import __version__

        write_plain(f"synthesizrr {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="print the version"),
    ] = False,
) -> None:
    """Turn a few labeled examples, an unlabeled corpus and an LLM into a diverse labeled
    dataset (SynthesizRR), distill it into a student and measure it."""


def _progress(quiet: bool) -> bool:
    """Progress bars only on a terminal: in a log file they are noise."""
    return not quiet and err.is_terminal


def _setup_logging(verbose: bool) -> None:
    level = logging.INFO if verbose else logging.WARNING
    handler: logging.Handler
    if err.is_terminal:
        from rich.logging import RichHandler

        handler = RichHandler(console=err, show_path=False, show_time=False)
        fmt = "%(message)s"
    else:
        # RichHandler pads every record to the console's width, and an unwrapped console
        # is 100,000 columns wide: in a log file or pipe, plain lines in the same layout.
        handler = logging.StreamHandler(sys.stderr)
        fmt = "%(levelname)-8s %(message)s"
    # The handler filters too: some libraries (bm25s) set their own loggers to DEBUG.
    handler.setLevel(level)
    logging.basicConfig(level=level, format=fmt, handlers=[handler])


def _event(stage: str, status: str, summary: dict[str, Any]) -> None:
    guard.on_stage(stage, status)
    if status == "running":
        err.print(f"[bold]▶ {stage}[/] ...")
        return
    mark = {"done": "[green]✓", "skipped": "[dim]↷", "incomplete": "[yellow]!",
            "not needed": "[dim]·", "dry run": "[cyan]≈"}.get(status, "[bold]•")  # fmt: skip
    items = [f"{k}={v}" for k, v in summary.items() if not isinstance(v, dict | list)]
    detail = " ".join(items)
    if "seconds" in summary:
        detail = detail.replace(f"seconds={summary['seconds']}", f"({summary['seconds']}s)")
    err.print(f"{mark} {stage}[/] {status}  {escape(detail)}", highlight=False)


def _run(
    config: Path,
    sets: list[str] | None,
    quiet: bool,
    verbose: bool,
    ray_address: str | None = None,
    **kw: Any,
) -> Any:
    from synthesizrr.api import run
    from synthesizrr.config import load_config

    _setup_logging(verbose)
    overrides = parse_overrides(sets)
    if ray_address:
        overrides.update(executor="ray", ray_address=ray_address)
    cfg = load_config(config, overrides)
    return run(cfg, progress=_progress(quiet), on_event=_event, **kw)


def _print_result(handle: Any) -> None:
    out.print(f"run directory: {handle.path}")
    if (handle.path / "dataset" / "train.jsonl").exists():
        out.print(f"dataset:       {handle.path / 'dataset' / 'train.jsonl'}")
    if handle.report_path.exists():
        out.print(f"report:        {handle.report_path}")


@app.command("run")
def run_cmd(
    config: ConfigArg,
    sets: SetOpt = None,
    until: Annotated[str | None, typer.Option(help="stop after this stage")] = None,
    force: Annotated[
        list[str] | None, typer.Option(help="rerun this stage even if unchanged")
    ] = None,
    retry_failed: Annotated[bool, typer.Option(help="resend only requests that failed")] = False,
    overwrite: Annotated[
        bool, typer.Option(help="reuse a run folder made for another task")
    ] = False,
    ray_address: RayOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Run every stage, skipping those already finished with the same settings."""
    handle = _run(config, sets, quiet, verbose, ray_address, until=until, force=force or (),
                  retry_failed=retry_failed, overwrite=overwrite)  # fmt: skip
    _print_result(handle)


def _stage_command(stage: str, doc: str) -> None:
    def command(
        config: ConfigArg,
        sets: SetOpt = None,
        force: ForceOpt = False,
        ray_address: RayOpt = None,
        quiet: QuietOpt = False,
        verbose: VerboseOpt = False,
    ) -> None:
        handle = _run(config, sets, quiet, verbose, ray_address, until=stage,
                      force=[stage] if force else [])  # fmt: skip
        out.print(f"run directory: {handle.path}")

    command.__doc__ = f"{doc} (runs the stages before it when needed)."
    app.command(stage)(command)


for _name, _doc in [
    ("seeds", "Sample the seed examples"),
    ("corpus", "Read the corpus into passages"),
    ("index", "Embed the corpus and build the retrieval index"),
    ("retrieve", "Retrieve documents for every seed"),
    ("refine", "Filter the generations into the final dataset"),
    ("report", "Write the dataset files, dataset card and report.html"),
]:
    _stage_command(_name, _doc)


@app.command("generate")
def generate_cmd(
    config: ConfigArg,
    sets: SetOpt = None,
    dry_run: Annotated[bool, typer.Option(help="estimate prompts, tokens and cost only")] = False,
    retry_failed: Annotated[bool, typer.Option(help="resend only requests that failed")] = False,
    force: ForceOpt = False,
    ray_address: RayOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Prompt the teacher and parse its outputs (runs the stages before it when needed)."""
    handle = _run(config, sets, quiet, verbose, ray_address, until="generate", dry_run=dry_run,
                  retry_failed=retry_failed, force=["generate"] if force else [])  # fmt: skip
    if dry_run:
        write_plain(json.dumps(handle.estimate or {}, indent=2))
    else:
        out.print(f"run directory: {handle.path}")


@app.command("evaluate")
def evaluate_cmd(
    config: ConfigArg,
    dataset: Annotated[
        Path | None,
        typer.Option(help="score this file (JSONL/CSV/Parquet with text,label) instead"),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--out", help="write the scores here (JSON)")
    ] = None,
    sets: SetOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Score the run's dataset, or any dataset file, with the config's evaluation settings."""
    if dataset is None:
        handle = _run(config, sets, quiet, verbose, until="evaluate")
        out.print(f"metrics: {handle.path / 'metrics.json'}")
        return
    from synthesizrr.config import load_config
    from synthesizrr.pipeline.score import score_file

    _setup_logging(verbose)
    cfg = load_config(config, parse_overrides(sets))
    result = score_file(cfg, dataset, progress=_progress(quiet))
    text = json.dumps(result, indent=2, default=str)
    if output:
        from synthesizrr.fileio import atomic_write_text

        atomic_write_text(output, text + "\n")
        out.print(f"scores: {output}")
    else:
        write_plain(text)


@app.command("show")
def show_cmd(
    config: ConfigArg,
    seed_id: Annotated[str | None, typer.Argument(help="seed id (default: list seeds)")] = None,
    limit: Annotated[int, typer.Option(help="documents to show")] = 10,
) -> None:
    """Show a seed with its retrieved documents (after `retrieve`)."""
    from synthesizrr.config import load_config
    from synthesizrr.pipeline.inspect import show_seed

    cfg = load_config(config)
    show_seed(cfg, seed_id, limit=limit, console=out, config=str(config))


@app.command("compare")
def compare_cmd(
    runs: Annotated[list[Path], typer.Argument(help="run directories")],
    markdown: Annotated[bool, typer.Option(help="print Markdown instead of a table")] = False,
) -> None:
    """Show runs side by side."""
    from synthesizrr.report import compare_runs

    for r in runs:
        if not (r / "manifest.json").exists():
            raise SynthesizrrError(f"'{r}' is not a run directory (no manifest.json).",
                                   fix="pass folders under runs/")  # fmt: skip
    comparison = compare_runs(runs)
    for warning in comparison.warnings():
        err.print(f"Warning: {warning}", soft_wrap=True)
    if markdown:
        write_plain(comparison.to_markdown())
    else:
        out.print(comparison.to_rich_table())


@app.command("validate")
def validate_cmd(config: ConfigArg) -> None:
    """Check a config and print it with every default filled in and absolute paths
    (the output runs as it is: `validate CONFIG > full.yaml`)."""
    from synthesizrr.config import load_config
    from synthesizrr.config_export import dump_portable

    write_plain(dump_portable(load_config(config)))


@app.command("presets")
def presets_cmd() -> None:
    """List the built-in task presets."""
    from synthesizrr.prompts import load_preset, preset_names

    for name in preset_names():
        p = load_preset(name)
        out.print(
            f"{name:16} {', '.join(p['labels'])}  — {p.get('description', '')}", soft_wrap=True
        )


@app.command("demo")
def demo_cmd(
    run_dir: Annotated[Path, typer.Option(help="parent folder of the demo runs")] = Path("runs"),
    sets: SetOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """SynthesizRR vs FewGen on a small built-in task over real news text, side by side.

    Both methods get the same seeds, teacher, budget and student (no ../shared needed);
    --set changes a field of both configs.
    """
    from synthesizrr.demo.side_by_side import LABELS, run_demo

    def header(method: str) -> None:
        err.print(f"[bold]== {escape(LABELS.get(method, method))} ==[/]")

    _setup_logging(verbose)
    result = run_demo(run_dir, overrides=parse_overrides(sets), progress=_progress(quiet),
                      on_event=_event, on_method=header)  # fmt: skip
    out.print(result.comparison.to_rich_side_by_side())
    for method, examples in result.examples.items():
        out.print(
            f"[bold]{escape(LABELS.get(method, method))}[/]: {escape(result.verdicts[method])}"
        )
        if isinstance(examples, list):
            for ex in examples:
                src = ex.source_text.replace("\n", " / ")
                src = f"{ex.source_title} — {src}" if ex.source_title else src
                out.print("  " + escape(f"[{ex.label}] {ex.text}"), soft_wrap=True)
                out.print(f"      from the {ex.source_kind}: {escape(src[:160])}", soft_wrap=True,
                          style="dim")  # fmt: skip
    times = ", ".join(f"{m} {s:.0f} s" for m, s in result.seconds.items())
    out.print(f"runs: {', '.join(str(p) for p in result.runs.values())} ({times})", soft_wrap=True)
    out.print(f"comparison report: {result.report}", soft_wrap=True)


RunDirArg = Annotated[
    Path, typer.Argument(help="a run directory (runs/<name>)", show_default=False)
]


@app.command("publish")
def publish_cmd(
    run_dir: RunDirArg,
    repo_id: Annotated[str, typer.Option(help="Hub dataset repo ORG/NAME (created if missing)")],
    private: Annotated[bool, typer.Option(help="create the repo as private")] = False,
    dry_run: Annotated[bool, typer.Option(help="list the files, upload nothing")] = False,
    verbose: VerboseOpt = False,
) -> None:
    """Upload the dataset, its card, config, manifest and metrics to the Hugging Face Hub.

    The token is HF_TOKEN or the Hub's own login (`hf auth login`); HF_ENDPOINT is honoured.
    """
    from synthesizrr.api import open_run

    _setup_logging(verbose)
    result = open_run(run_dir).push_to_hub(repo_id, private=private, dry_run=dry_run)
    visibility = "private" if private else "public"
    head = "would upload" if result.dry_run else "uploaded"
    typer.echo(f"{head} {len(result.uploads)} files to datasets/{repo_id} ({visibility}):")
    for u in result.uploads:
        typer.echo(f"  {u.path_in_repo:<22} {u.size:>10} bytes  <- {u.source}")
    if not result.dry_run:
        typer.echo(f"commit {result.commit}: {result.url}")


@app.command("export")
def export_cmd(
    run_dir: RunDirArg,
    out_dir: Annotated[Path, typer.Argument(help="folder to write into", show_default=False)],
    fmt: Annotated[
        str, typer.Option("--format", help="argilla (rg.Dataset.from_disk), jsonl, parquet or csv")
    ] = "jsonl",
) -> None:
    """Write the final dataset (with row ids and provenance) for Argilla review or as a file."""
    from synthesizrr.api import open_run

    result = open_run(run_dir).export(out_dir, fmt)
    typer.echo(f"exported {result.rows} rows as {fmt}:")
    for f in result.files:
        typer.echo(f"  {f}")


def _framework_errors() -> tuple[tuple[Any, ...], tuple[type[BaseException], ...]]:
    """Usage-error and abort classes of click and of the copy of click that typer vendors
    as ``typer._click`` (typer 0.29 raises its own copies, so pyproject pins typer's minor
    version). The usage errors are click's ``ClickException`` (``show()``, ``exit_code``)."""
    usage: list[Any] = []
    abort: list[type[BaseException]] = [typer.Abort]
    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        usage.append(module.ClickException)
        abort += [module.Abort] if hasattr(module, "Abort") else []
    return tuple(usage), tuple(abort)


def main() -> None:
    """The ``synthesizrr`` console script."""
    guard.install()
    route_library_output_to_stderr()
    usage_errors, aborts = _framework_errors()
    try:
        code = app(standalone_mode=False)
    except KeyboardInterrupt:
        guard.exit_now()
    except SynthesizrrError as exc:
        if guard.interrupted:
            guard.exit_now()
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(exc.exit_code)
    except usage_errors as exc:  # bad option, unknown command, bare `synthesizrr` (help)
        exc.show()
        sys.exit(exc.exit_code)
    except aborts:
        sys.exit(1)
    except BaseException:
        if guard.interrupted:
            guard.exit_now()
        raise
    # typer turns Ctrl-C into a returned 130; an interrupt also leaves worker threads
    # that must not hold the exit up.
    if guard.interrupted or code == EXIT_CODE:
        guard.exit_now()
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
