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
from synthesizrr.report.rundata import Missing, RunData, number

if TYPE_CHECKING:
    from rich.table import Table


def _pct(v: Any) -> str:
    return f"{v * 100:.1f}" if v is not None else "n/a"


def percent_pm(mean: Any, std: Any) -> str:
    """``82.5 ± 1.2`` (as percent); no ``±`` where the spread shows as 0.0 (a student that
    scored the same on every seed, e.g. a deterministic one) or is unknown."""
    if mean is None:
        return "n/a"
    if std is None or round(std * 100, 1) == 0:
        return f"{mean * 100:.1f}"
    return f"{mean * 100:.1f} ± {std * 100:.1f}"


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
           lambda r: percent_pm(r["student_accuracy_mean"], r["student_accuracy_std"]), "high"),
    Column("student_macro_f1_mean", "Student macro-F1 %",
           lambda r: percent_pm(r["student_macro_f1_mean"], r["student_macro_f1_std"]), "high"),
    Column("gold_accuracy_mean", "Gold acc. %", lambda r: _pct(r["gold_accuracy_mean"])),
    Column("self_bleu_4", "Self-BLEU-4", lambda r: _f(3)(r["self_bleu_4"]), "low"),
    Column("self_bleu_5", "Self-BLEU-5", lambda r: _f(3)(r["self_bleu_5"]), "low"),
    Column("entity_entropy", "Entity entropy", lambda r: _f(2)(r["entity_entropy"]), "high"),
    Column("mauve", "MAUVE", lambda r: _f(3)(r["mauve"]), "high"),
    Column("label_preservation", "Label pres. %", lambda r: _pct(r["label_preservation"]), "high"),
    Column("tokens", "Tokens", lambda r: _int(r["tokens"])),
    Column("wall_seconds", "Wall time", lambda r: _secs(r["wall_seconds"])),
)  # fmt: skip


def run_row(run: RunData) -> dict[str, Any]:
    """The comparison row of one run: raw numbers (``None`` where not available)."""
    student = run.student("student")
    gold = run.student("gold")
    s = student if isinstance(student, dict) else {}
    g = gold if isinstance(gold, dict) else {}
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
        "gold_accuracy_mean": number(g.get("accuracy_mean")),
        "gold_accuracy_std": number(g.get("accuracy_std")),
        "self_bleu_4": number(run.metric_detail("self_bleu", "4")),
        "self_bleu_5": number(run.metric_detail("self_bleu", "5")),
        "entity_entropy": run.metric_value("entity_entropy"),
        "mauve": run.metric_value("mauve"),
        "label_preservation": run.metric_value("label_preservation"),
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
