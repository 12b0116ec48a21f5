"""Runs side by side: one row per run, the paper's headline numbers as columns.

>>> cmp = compare_runs([Path("runs/ag_fewgen"), Path("runs/ag_retricl")])
>>> cmp.rows[0]["self_bleu_4"], cmp.to_markdown()
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthesizrr.errors import RunDirError
from synthesizrr.report.rundata import Missing, RunData, interval, number

if TYPE_CHECKING:
    from rich.table import Table


def _pct(v: Any) -> str:
    return f"{v * 100:.1f}" if v is not None else "n/a"


def percent_pm(mean: Any, std: Any, ci: Any = None) -> str:
    """``82.5 ± 1.2`` (as percent); no ``±`` where the spread shows as 0.0 (a student that
    scored the same on every seed) or is unknown; ``82.5 [80.0, 85.0]`` where a 95% bootstrap
    interval ``ci`` is given instead of a std (students that do not vary with the seed)."""
    if mean is None:
        return "n/a"
    if std is not None and round(std * 100, 1) != 0:
        return f"{mean * 100:.1f} ± {std * 100:.1f}"
    if std is None and isinstance(ci, list | tuple) and len(ci) == 2 and None not in ci:
        return f"{mean * 100:.1f} [{ci[0] * 100:.1f}, {ci[1] * 100:.1f}]"
    return f"{mean * 100:.1f}"


def _with_oracle(score: Any, oracle: Any) -> str:
    """Label preservation beside the oracle's own accuracy on held-out real rows."""
    return (
        _pct(score) if oracle is None or score is None else f"{_pct(score)} (oracle {_pct(oracle)})"
    )


def _ci(value: Any) -> list[float] | None:
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    pair = [number(v) for v in value]
    return None if None in pair else [float(v) for v in pair if v is not None]


def _uplift(r: dict[str, Any]) -> str:
    """``+4.2 [+1.0, +7.5]``: the uplift over seeds-only in points, with its 95% interval."""
    v, lo, hi = r.get("uplift_vs_seeds_only"), r.get("uplift_ci_low"), r.get("uplift_ci_high")
    if v is None:
        return "n/a"
    ci = f" [{lo * 100:+.1f}, {hi * 100:+.1f}]" if lo is not None and hi is not None else ""
    return f"{v * 100:+.1f}{ci}"


def _f(digits: int) -> Callable[[Any], str]:
    return lambda v: f"{v:.{digits}f}" if v is not None else "n/a"


def _int(v: Any) -> str:
    return f"{int(v):,}" if v is not None else "n/a"


def _secs(v: Any) -> str:
    if v is None:
        return "n/a"
    return f"{v:.0f} s" if v < 120 else f"{v / 60:.1f} min"


@dataclass(frozen=True)
class Column:
    """One comparison column: the row key(s) it shows and which direction is better."""

    key: str
    header: str
    render: Callable[[dict[str, Any]], str]
    better: str | None = None  # "high", "low" or None (no "best" marking)


COLUMNS: tuple[Column, ...] = (
    Column("run", "Run", lambda r: str(r["run"])),
    Column("mode", "Mode", lambda r: str(r["mode"] or "n/a")),
    Column("size", "Size", lambda r: _int(r["size"])),
    Column("student_accuracy_mean", "Student acc. %",
           lambda r: percent_pm(r["student_accuracy_mean"], r["student_accuracy_std"],
                         r.get("student_accuracy_ci")), "high"),
    Column("student_macro_f1_mean", "Student macro-F1 %",
           lambda r: percent_pm(r["student_macro_f1_mean"], r["student_macro_f1_std"],
                         r.get("student_macro_f1_ci")), "high"),
    Column("seeds_only_accuracy", "Seeds-only acc. %", lambda r: _pct(r["seeds_only_accuracy"])),
    Column("seeds_plus_synthetic_accuracy", "Seeds + synth. acc. %",
           lambda r: _pct(r["seeds_plus_synthetic_accuracy"]), "high"),
    Column("uplift_vs_seeds_only", "Uplift vs seeds, pts [95% CI]", _uplift, "high"),
    Column("seeds_plus_real_accuracy", "Seeds + real acc. %",
           lambda r: _pct(r["seeds_plus_real_accuracy"])),
    Column("gold_accuracy_mean", "Gold acc. %", lambda r: _pct(r["gold_accuracy_mean"])),
    Column("self_bleu_4", "Self-BLEU-4", lambda r: _f(3)(r["self_bleu_4"]), "low"),
    Column("self_bleu_5", "Self-BLEU-5", lambda r: _f(3)(r["self_bleu_5"]), "low"),
    Column("entity_entropy", "Entity entropy", lambda r: _f(2)(r["entity_entropy"]), "high"),
    Column("mauve", "MAUVE", lambda r: _f(3)(r["mauve"]), "high"),
    Column("label_preservation", "Label pres. %",
           lambda r: _with_oracle(r["label_preservation"], r.get("oracle_accuracy")), "high"),
    Column("tokens", "Tokens", lambda r: _int(r["tokens"])),
    Column("wall_seconds", "Wall time", lambda r: _secs(r["wall_seconds"])),
)  # fmt: skip


#: The columns a user decides on: each method's student, the same student on the seeds
#: alone, on seeds + synthetic and on as many real rows, diversity, realism, rows kept.
HEADLINE_KEYS: tuple[str, ...] = (
    "run", "mode", "student_accuracy_mean", "seeds_only_accuracy",
    "seeds_plus_synthetic_accuracy", "uplift_vs_seeds_only", "seeds_plus_real_accuracy",
    "gold_accuracy_mean",
    "self_bleu_4", "entity_entropy", "mauve", "size", "tokens", "wall_seconds",
)  # fmt: skip


def headline_columns() -> tuple[Column, ...]:
    """:data:`COLUMNS` restricted to :data:`HEADLINE_KEYS`, in that order."""
    by_key = {c.key: c for c in COLUMNS}
    return tuple(by_key[k] for k in HEADLINE_KEYS)


def run_row(run: RunData) -> dict[str, Any]:
    """The comparison row of one run: raw numbers (``None`` where not available)."""
    student = run.student("student")
    gold = run.student("gold")
    s = student if isinstance(student, dict) else {}
    g = gold if isinstance(gold, dict) else {}
    base = run.student("seeds_baseline")
    b = base if isinstance(base, dict) else {}
    ci = interval(b.get("uplift_vs_seeds_only_ci")) or (None, None)
    notes = [str(x) for x in (student, gold, run.metrics_missing()) if isinstance(x, Missing)]
    return {
        "run": run.name,
        "path": str(run.path),
        "mode": run.mode,
        "teacher": run.teacher,
        "size": run.size,
        "student_accuracy_mean": number(s.get("accuracy_mean")),
        "student_accuracy_std": number(s.get("accuracy_std")),
        "student_macro_f1_mean": number(s.get("macro_f1_mean")),
        "student_macro_f1_std": number(s.get("macro_f1_std")),
        "seeds_only_accuracy": number(b.get("seeds_only_accuracy")),
        "seeds_plus_synthetic_accuracy": number(b.get("seeds_plus_synthetic_accuracy")),
        "uplift_vs_seeds_only": number(b.get("uplift_vs_seeds_only")),
        "uplift_ci_low": ci[0],
        "uplift_ci_high": ci[1],
        "seeds_plus_real_accuracy": number(b.get("seeds_plus_real_accuracy")),
        "real_uplift_vs_seeds_only": number(b.get("real_uplift_vs_seeds_only")),
        "gold_accuracy_mean": number(g.get("accuracy_mean")),
        "gold_accuracy_std": number(g.get("accuracy_std")),
        "student_accuracy_ci": _ci(s.get("accuracy_ci")),
        "student_macro_f1_ci": _ci(s.get("macro_f1_ci")),
        "gold_accuracy_ci": _ci(g.get("accuracy_ci")),
        "self_bleu_4": number(run.metric_detail("self_bleu", "4")),
        "self_bleu_5": number(run.metric_detail("self_bleu", "5")),
        "entity_entropy": run.metric_value("entity_entropy"),
        "mauve": run.metric_value("mauve"),
        "label_preservation": run.metric_value("label_preservation"),
        "oracle_accuracy": number(run.metric_detail("label_preservation", "oracle_accuracy")),
        "tokens": run.tokens,
        "wall_seconds": run.wall_seconds,
        "notes": sorted(set(notes)),
    }


@dataclass
class Comparison:
    """Rows (one dict per run, raw numbers) and their renderings."""

    rows: list[dict[str, Any]]
    columns: tuple[Column, ...] = field(default=COLUMNS)

    def best(self) -> dict[str, set[int]]:
        """Column key -> rows holding the best value (only where 2+ rows differ)."""
        out: dict[str, set[int]] = {}
        for col in self.columns:
            if col.better is None:
                continue
            present = [
                (r[col.key], i) for i, r in enumerate(self.rows) if r.get(col.key) is not None
            ]
            values = {v for v, _ in present}
            if len(present) < 2 or len(values) < 2:
                continue
            top = max(values) if col.better == "high" else min(values)
            out[col.key] = {i for v, i in present if v == top}
        return out

    def warnings(self) -> list[str]:
        """Why the rows are not comparable as they stand (empty when they are)."""
        sizes = {str(r["run"]): r.get("size") for r in self.rows}
        known = {n for n in sizes.values() if n is not None}
        if len(known) < 2:
            return []
        shown = ", ".join(f"{run} {n if n is not None else 'n/a'}" for run, n in sizes.items())
        return [
            f"runs were scored at different sizes (N: {shown}); Self-BLEU, entity entropy "
            "and the student move with N: set evaluation.size to one N for every run"
        ]

    def cells(self) -> list[list[str]]:
        return [[col.render(r) for col in self.columns] for r in self.rows]

    def to_rich_table(self) -> Table:
        from rich.table import Table

        table = Table(title="Runs compared (best value in bold)", show_lines=False)
        for col in self.columns:
            arrow = {"high": " ↑", "low": " ↓"}.get(col.better or "", "")
            table.add_column(
                col.header + arrow, justify="left" if col.key in ("run", "mode") else "right"
            )
        best = self.best()
        for i, cells in enumerate(self.cells()):
            table.add_row(*(
                f"[bold green]{_rich_escape(c)}[/]" if i in best.get(col.key, ()) else _rich_escape(c)
                for col, c in zip(self.columns, cells, strict=True)
            ))  # fmt: skip
        return table

    def to_markdown(self) -> str:
        best = self.best()
        head = [
            c.header + {"high": " ↑", "low": " ↓"}.get(c.better or "", "") for c in self.columns
        ]
        lines = ["| " + " | ".join(head) + " |",
                 "|" + "|".join("---" if c.key in ("run", "mode") else "---:" for c in self.columns) + "|"]  # fmt: skip
        for i, cells in enumerate(self.cells()):
            shown = [
                f"**{_md_escape(c)}**" if i in best.get(col.key, ()) else _md_escape(c)
                for col, c in zip(self.columns, cells, strict=True)
            ]
            lines.append("| " + " | ".join(shown) + " |")
        return "\n".join(lines) + "\n"

    def side_by_side(self) -> tuple[list[str], list[tuple[str, list[tuple[str, bool]]]]]:
        """The table turned: one line per column (but "run"), one cell per run.

        Returns (run names, [(column header with its arrow, [(cell, is best), ...]), ...]);
        it reads better than one wide row per run when a few runs are compared.
        """
        best = self.best()
        cells = self.cells()
        names = [str(r["run"]) for r in self.rows]
        lines = []
        for j, col in enumerate(self.columns):
            if col.key == "run":
                continue
            arrow = {"high": " ↑", "low": " ↓"}.get(col.better or "", "")
            marks = best.get(col.key, set())
            lines.append(
                (col.header + arrow, [(cells[i][j], i in marks) for i in range(len(cells))])
            )
        return names, lines

    def to_rich_side_by_side(self, title: str = "Side by side (best value in bold)") -> Table:
        from rich.table import Table

        names, lines = self.side_by_side()
        table = Table(title=title)
        table.add_column("")
        for name in names:
            table.add_column(_rich_escape(name), justify="right")
        for head, cells in lines:
            table.add_row(_rich_escape(head), *(
                f"[bold green]{_rich_escape(c)}[/]" if top else _rich_escape(c) for c, top in cells
            ))  # fmt: skip
        return table

    def to_markdown_side_by_side(self) -> str:
        names, lines = self.side_by_side()
        out = ["| | " + " | ".join(_md_escape(n) for n in names) + " |",
               "|---|" + "---:|" * len(names)]  # fmt: skip
        for head, cells in lines:
            shown = [f"**{_md_escape(c)}**" if top else _md_escape(c) for c, top in cells]
            out.append(f"| {_md_escape(head)} | " + " | ".join(shown) + " |")
        return "\n".join(out) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rich_escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def compare_runs(run_dirs: Sequence[Path], *, missing_ok: bool = False) -> Comparison:
    """Build the comparison of ``run_dirs`` (in the given order).

    A run directory that does not exist or has no ``manifest.json`` raises
    :class:`~synthesizrr.errors.RunDirError` unless ``missing_ok`` (then it is left out).
    Pieces missing inside a run (no student, no metrics) show as "n/a".
    """
    rows = []
    for d in run_dirs:
        p = Path(d)
        if not (p / "manifest.json").is_file():
            if missing_ok:
                continue
            what = "does not exist" if not p.exists() else "has no manifest.json"
            raise RunDirError(
                f"compare: run directory '{p}' {what}.",
                fix="pass folders made by `synthesizrr run` (for example runs/<name>)",
            )
        rows.append(run_row(RunData.load(p)))
    return Comparison(rows)
