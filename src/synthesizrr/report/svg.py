"""Plots as inline SVG strings: grouped bars, a scatter plot, a heat map.

No JavaScript and no plotting library: each function returns an ``<svg>`` element whose
every piece of text went through :func:`html.escape`, so untrusted labels render
literally. Hovering a mark shows its exact value (an SVG ``<title>``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1")
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _fmt(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.00"


_NARROW = frozenset("ijl.,:;'|!")
_SEMI = frozenset("ftr ()[]/-")


def _char_width(ch: str) -> float:
    if ch in "MW":
        return 11.5
    if ch in "mw":
        return 10.0
    if ch in _NARROW:
        return 3.6
    if ch in _SEMI:
        return 5.0
    if ch.isdigit():
        return 7.7
    return 8.8 if ch.isupper() else 7.0


def text_width(text: str, *, bold: bool = False) -> float:
    """Estimated width in px of ``text`` at the plots' 12 px font, a little on the wide
    side so nothing is cut off (per-character widths measured in headless Chromium's
    default sans; bold is about 14 % wider)."""
    return sum(_char_width(ch) for ch in text) * (1.14 if bold else 1.0) * 1.04


def _nice_max(value: float) -> float:
    """A round upper bound for an axis (1, 2, 2.5, 5 x 10^k)."""
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        bound = step * 10**exp
        if bound >= value - 1e-12:
            return bound
    return 10.0 ** (exp + 1)


def _step(span: float) -> float:
    """A round tick step giving about five ticks over ``span``."""
    return _nice_max(span / 5) if span > 0 else 0.1


def fit_range(values: Sequence[float], lo: float, hi: float) -> tuple[float, float]:
    """An axis range around ``values``, padded, inside ``[lo, hi]``, ending on round ticks.

    So that a cluster of points fills the plot instead of a corner of the full range.
    """
    vals = [v for v in values if math.isfinite(v)]
    if not vals:
        return lo, hi
    a, b = min(vals), max(vals)
    pad = max((b - a) * 0.08, (hi - lo) * 0.005)
    step = _step(b - a + 2 * pad)
    start = max(lo, math.floor((a - pad) / step + 1e-9) * step)
    end = min(hi, math.ceil((b + pad) / step - 1e-9) * step)
    return round(float(start), 12), round(float(end), 12)


def ticks(a: float, b: float) -> tuple[list[float], int]:
    """Round tick values in ``[a, b]`` and the decimals that show them exactly."""
    step = _step(b - a)
    first = math.ceil(a / step - 1e-9)
    out = [round((first + k) * step, 12) for k in range(int((b - a) / step + 1e-9) + 2)]
    digits = next((d for d in range(6) if abs(round(step, d) - step) < 1e-12), 6)
    return [t for t in out if t <= b + 1e-12], digits


def _legend(names: Sequence[str], x: float, y: float) -> str:
    parts = []
    for i, name in enumerate(names):
        xi = x + i * 150
        color = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<rect x="{xi:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{color}"/>'
            f'<text x="{xi + 16:.1f}" y="{y:.1f}">{_e(name)}</text>'
        )
    return "".join(parts)


def bar_chart(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    digits: int = 0,
    max_value: float | None = None,
    highlight: str | None = None,
    width: int = 720,
) -> str:
    """Horizontal grouped bars: one group per category, one bar per series.

    ``None`` values are drawn as "n/a". ``highlight`` outlines that category (the
    current run in a comparison).
    """
    names = list(series)
    label_w = round(12 + max((text_width(_short(c, 36), bold=c == highlight)
                              for c in categories), default=28))  # fmt: skip
    bar_h, gap = 14, 10
    group_h = bar_h * max(1, len(names)) + gap
    top = 30 + (18 if len(names) > 1 else 0)
    plot_w = width - label_w - 70
    height = top + group_h * len(categories) + 30
    values = [v for vals in series.values() for v in vals if v is not None]
    vmax = max_value if max_value is not None else _nice_max(max(values, default=1.0))
    vmax = vmax or 1.0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_e(title)}" {FONT}>',
        f'<text x="4" y="16" font-weight="bold">{_e(title)}</text>',
    ]
    if len(names) > 1:
        out.append(_legend(names, label_w, 38))
    tick_values, tick_digits = ticks(0.0, vmax)
    for t in tick_values:
        x = label_w + plot_w * t / vmax
        out.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 26}" stroke="#ddd"/>'
            f'<text x="{x:.1f}" y="{height - 12}" text-anchor="middle" fill="#555">'
            f"{_e(_fmt(t, tick_digits))}</text>"
        )
    for ci, cat in enumerate(categories):
        y0 = top + ci * group_h
        weight = ' font-weight="bold"' if highlight is not None and cat == highlight else ""
        short = _short(cat, 36)
        out.append(
            f'<text x="{label_w - 6}" y="{y0 + group_h / 2:.1f}" text-anchor="end" '
            f'dominant-baseline="middle"{weight}><title>{_e(cat)}</title>{_e(short)}</text>'
        )
        for si, name in enumerate(names):
            vals = series[name]
            v = vals[ci] if ci < len(vals) else None
            y = y0 + si * bar_h
            if v is None:
                out.append(f'<text x="{label_w + 4}" y="{y + bar_h - 3}" fill="#999">n/a</text>')
                continue
            w = max(0.0, min(1.0, v / vmax)) * plot_w
            color = PALETTE[si % len(PALETTE)]
            stroke = ' stroke="#000" stroke-width="1.5"' if weight else ""
            out.append(
                f'<rect x="{label_w}" y="{y + 1}" width="{w:.1f}" height="{bar_h - 2}" '
                f'fill="{color}"{stroke}><title>{_e(name)} · {_e(cat)}: '
                f"{_e(_fmt(v, digits))}</title></rect>"
                f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 3}" fill="#333">'
                f"{_e(_fmt(v, digits))}</text>"
            )
    out.append("</svg>")
    return "".join(out)


def _short(text: object, n: int) -> str:
    """``text`` cut to ``n`` characters (the last one an ellipsis)."""
    s = str(text)
    return s if len(s) <= n else s[: n - 1] + "…"


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: float  # 0..1, chooses the color
    hollow: bool = False
    tip: str = ""


def _ramp(value: float) -> str:
    """Red (0) -> yellow (0.5) -> green (1)."""
    v = max(0.0, min(1.0, value))
    if v < 0.5:
        r, g = 215, int(48 + (190 - 48) * v * 2)
    else:
        r, g = int(215 - (215 - 26) * (v - 0.5) * 2), int(190 - (190 - 150) * (v - 0.5) * 2)
    return f"#{r:02x}{g:02x}{40:02x}"


def scatter(
    points: Sequence[Point],
    *,
    title: str,
    x_label: str,
    y_label: str,
    value_label: str,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] = (0.0, 1.0),
    width: int = 640,
    height: int = 480,
) -> str:
    """A scatter plot over ``x_range`` x ``y_range`` (default x: 0 to a round bound above
    the largest x); color encodes ``Point.value``. See :func:`fit_range` to fit the data."""
    left, right, top, bottom = 56, 130, 30, 46
    pw, ph = width - left - right, height - top - bottom
    x0, x1 = x_range or (0.0, _nice_max(max((p.x for p in points), default=0.5)))
    y0, y1 = y_range
    xs, ys = (x1 - x0) or 1.0, (y1 - y0) or 1.0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_e(title)}" {FONT}>',
        f'<text x="4" y="16" font-weight="bold">{_e(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>',
    ]
    x_ticks, x_digits = ticks(x0, x1)
    for t in x_ticks:
        x = left + pw * (t - x0) / xs
        out.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + ph}" stroke="#eee"/>'
            f'<text x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle">'
            f"{_fmt(t, x_digits)}</text>"
        )
    y_ticks, y_digits = ticks(y0, y1)
    for t in y_ticks:
        y = top + ph - ph * (t - y0) / ys
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#eee"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(t, y_digits)}</text>'
        )
    out.append(
        f'<text x="{left + pw / 2}" y="{height - 8}" text-anchor="middle">{_e(x_label)}</text>'
        f'<text transform="translate(14 {top + ph / 2}) rotate(-90)" text-anchor="middle">'
        f"{_e(y_label)}</text>"
    )
    for p in points:
        cx = left + max(0.0, min(1.0, (p.x - x0) / xs)) * pw
        cy = top + ph - max(0.0, min(1.0, (p.y - y0) / ys)) * ph
        color = _ramp(p.value)
        fill = f'fill="none" stroke="{color}"' if p.hollow else f'fill="{color}" fill-opacity="0.7"'
        tip = f"<title>{_e(p.tip)}</title>" if p.tip else ""
        out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" {fill}>{tip}</circle>')
    lx = left + pw + 16
    out.append(f'<text x="{lx}" y="{top + 10}">{_e(value_label)}</text>')
    for i, v in enumerate((1.0, 0.75, 0.5, 0.25, 0.0)):
        y = top + 24 + i * 18
        out.append(
            f'<circle cx="{lx + 6}" cy="{y}" r="5" fill="{_ramp(v)}"/>'
            f'<text x="{lx + 16}" y="{y + 4}">{v:.2f}</text>'
        )
    out.append(
        f'<circle cx="{lx + 6}" cy="{top + 130}" r="5" fill="none" stroke="#555"/>'
        f'<text x="{lx + 16}" y="{top + 134}">removed</text>'
    )
    out.append("</svg>")
    return "".join(out)


def heatmap(
    matrix: Sequence[Sequence[float]],
    labels: Sequence[str],
    *,
    title: str,
    row_axis: str = "true label",
    col_axis: str = "predicted label",
) -> str:
    """A confusion-matrix heat map; each cell shows its count, shaded by its row share."""
    n = len(labels)
    cell = max(22, min(56, 560 // max(n, 1)))
    label_w = round(16 + max((text_width(_short(x, 28)) for x in labels), default=28))
    left, top = label_w + 20, 40 + label_w
    # wide enough for the title too: a 2-label matrix is narrower than its title
    width = max(left + cell * n + 20, round(8 + text_width(title, bold=True)))
    height = top + cell * n + 20
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_e(title)}" {FONT}>',
        f'<text x="4" y="16" font-weight="bold">{_e(title)}</text>',
        f'<text x="{left + cell * n / 2}" y="32" text-anchor="middle" fill="#555">'
        f"{_e(col_axis)}</text>",
        f'<text transform="translate(12 {top + cell * n / 2}) rotate(-90)" text-anchor="middle" '
        f'fill="#555">{_e(row_axis)}</text>',
    ]
    for i, lab in enumerate(labels):
        short = _short(lab, 28)
        out.append(
            f'<text x="{left - 6}" y="{top + cell * i + cell / 2 + 4:.1f}" text-anchor="end">'
            f"<title>{_e(lab)}</title>{_e(short)}</text>"
            f'<text transform="translate({left + cell * i + cell / 2 + 4:.1f} {top - 6}) '
            f'rotate(-60)"><title>{_e(lab)}</title>{_e(short)}</text>'
        )
    for i, row in enumerate(matrix[:n]):
        total = sum(row) or 1
        for j, v in enumerate(list(row)[:n]):
            share = v / total
            fill = _mix("#f7f7f7", "#1a7f37" if i == j else "#c0392b", share)
            ink = "#fff" if share > 0.5 else "#000"
            out.append(
                f'<rect x="{left + cell * j}" y="{top + cell * i}" width="{cell}" height="{cell}" '
                f'fill="{fill}" stroke="#fff"><title>{_e(labels[i])} → {_e(labels[j])}: '
                f"{_e(_num(v))} ({share:.0%} of row)</title></rect>"
                f'<text x="{left + cell * j + cell / 2}" y="{top + cell * i + cell / 2 + 4}" '
                f'text-anchor="middle" fill="{ink}">{_e(_num(v))}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def _mix(a: str, b: str, t: float) -> str:
    """The color ``t`` of the way from ``a`` to ``b`` (hex ``#rrggbb``)."""
    t = max(0.0, min(1.0, t))
    ca = [int(a[k : k + 2], 16) for k in (1, 3, 5)]
    cb = [int(b[k : k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb, strict=True))


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"
