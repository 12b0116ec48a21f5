"""HTML fragments shared by the sections: escaping, "not available", tables, numbers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from html import escape
from typing import Any

from synthesizrr.report.rundata import Missing, RunData, number


def e(value: Any) -> str:
    return escape(str(value), quote=True)


def na(reason: object) -> str:
    return f'<p class="na">not available ({e(reason)})</p>'


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, cls: str = "") -> str:
    """An HTML table; every cell escaped. Empty ``headers``: no header row."""
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    head = f"<thead><tr>{head}</tr></thead>" if headers else ""
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
    klass = f' class="{e(cls)}"' if cls else ""
    return f"<table{klass}>{head}<tbody>{body}</tbody></table>"


def fmt(value: Any, digits: int = 4) -> str:
    v = number(value)
    if v is None:
        return "n/a" if value is None else str(value)
    return str(int(v)) if float(v).is_integer() else f"{v:.{digits}f}"


def label_counts(run: RunData, stage: str, filename: str) -> Counter[str] | Missing:
    t = run.table(stage, filename, ["label"])
    if isinstance(t, Missing):
        return t
    if "label" not in t.column_names:
        return Missing(f"{filename} has no 'label' column")
    return Counter(str(x) for x in t.column("label").to_pylist())


def cut(text: Any, n: int) -> str:
    s = "" if text is None else str(text)
    return s if len(s) <= n else s[:n] + f" … [{len(s) - n} more characters]"


def cards(items: Sequence[tuple[str, str]]) -> str:
    """A row of key/value cards."""
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="k">{e(k)}</div><div class="v">{e(v)}</div></div>'
            for k, v in items
        )
        + "</div>"
    )
