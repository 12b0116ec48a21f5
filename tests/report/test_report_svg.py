from __future__ import annotations

import xml.etree.ElementTree as ET

from synthesizrr.report import svg

SVG = "{http://www.w3.org/2000/svg}"


def test_bar_chart_escapes_and_draws_every_bar() -> None:
    out = svg.bar_chart(["<b>a&b</b>", "c"], {"x": [1.0, None], "y": [2.0, 3.0]}, title="T<1>")
    root = ET.fromstring(out)  # well-formed XML
    assert "<b>" not in out and "&lt;b&gt;a&amp;b&lt;/b&gt;" in out
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert [r.find(f"{SVG}title").text for r in bars] == [  # type: ignore[union-attr]
        "x · <b>a&b</b>: 1",
        "y · <b>a&b</b>: 2",
        "y · c: 3",
    ]
    assert out.count(">n/a</text>") == 1
    # widths are proportional to value / axis max (3 -> nice max 5)
    widths = [float(r.get("width", 0)) for r in bars]
    assert widths[0] / widths[2] == 1 / 3


def test_nice_max_and_colors() -> None:
    assert [svg._nice_max(v) for v in (0.0, 0.3, 0.61, 1.0, 7.25, 16, 101)] == [
        1.0,
        0.5,
        1.0,
        1.0,
        10.0,
        20.0,
        200.0,
    ]
    assert svg._mix("#000000", "#ffffff", 0.5) == "#808080"
    assert [svg._fmt(v, 2) for v in (-0.0, -0.001, -0.5, 1.005)] == [
        "0.00",
        "0.00",
        "-0.50",
        "1.00",
    ]
    assert svg._mix("#f7f7f7", "#1a7f37", 2.0) == "#1a7f37"


def test_heatmap_cells_and_escaping() -> None:
    out = svg.heatmap([[3, 1], [0, 4]], ["<x>", "y"], title="cm")
    root = ET.fromstring(out)
    cells = [r.find(f"{SVG}title").text for r in root.iter(f"{SVG}rect")]  # type: ignore[union-attr]
    assert cells == ["<x> → <x>: 3 (75% of row)", "<x> → y: 1 (25% of row)",
                     "y → <x>: 0 (0% of row)", "y → y: 4 (100% of row)"]  # fmt: skip
    assert "<x>" not in out


def test_scatter_points_and_hollow() -> None:
    pts = [svg.Point(0.1, 0.9, 1.0, tip="a<"), svg.Point(0.2, 0.1, 0.0, hollow=True)]
    out = svg.scatter(pts, title="t", x_label="x", y_label="y", value_label="v", x_max=0.5)
    root = ET.fromstring(out)
    circles = list(root.iter(f"{SVG}circle"))
    assert len(circles) == 2 + 6  # points + legend
    assert circles[0].get("fill") == svg._ramp(1.0) and circles[1].get("fill") == "none"
    assert circles[0].find(f"{SVG}title").text == "a<"  # type: ignore[union-attr]
