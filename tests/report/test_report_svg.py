from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

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
    assert widths[0] / widths[2] == pytest.approx(1 / 3, abs=1e-3)  # drawn to 0.1 px


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
    out = svg.scatter(pts, title="t", x_label="x", y_label="y", value_label="v",
                      x_range=(0.0, 0.5))  # fmt: skip
    root = ET.fromstring(out)
    circles = list(root.iter(f"{SVG}circle"))
    assert len(circles) == 2 + 6  # points + legend
    assert circles[0].get("fill") == svg._ramp(1.0) and circles[1].get("fill") == "none"
    assert circles[0].find(f"{SVG}title").text == "a<"  # type: ignore[union-attr]


def test_fit_range_fills_the_plot_with_round_ends() -> None:
    assert svg.fit_range([0.05, 0.11], 0.0, 0.5) == (0.04, 0.12)
    assert svg.fit_range([0.95, 0.99, 1.0], 0.0, 1.0) == (0.94, 1.0)  # clipped at the bound
    assert svg.fit_range([0.2, 0.77], 0.0, 1.0) == (0.0, 1.0)
    assert svg.fit_range([0.3], 0.0, 1.0) == (0.294, 0.306)  # one point: a small window
    assert svg.fit_range([0.001, 0.014], 0.0, 0.5) == (0.0, 0.02)  # not 0..0.5
    assert svg.fit_range([], 0.0, 0.5) == (0.0, 0.5)
    assert svg.ticks(0.04, 0.12) == ([0.04, 0.06, 0.08, 0.1, 0.12], 2)
    assert svg.ticks(0.0, 0.25) == ([0.0, 0.05, 0.1, 0.15, 0.2, 0.25], 2)
    assert svg.ticks(0.0, 10.0) == ([0.0, 2.0, 4.0, 6.0, 8.0, 10.0], 0)


def _texts(out: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(out).iter(f"{SVG}text")]


def test_scatter_axes_follow_the_given_ranges() -> None:
    pts = [svg.Point(0.05, 0.95, 1.0), svg.Point(0.11, 0.99, 0.5)]
    out = svg.scatter(pts, title="t", x_label="x", y_label="y", value_label="v",
                      x_range=(0.04, 0.12), y_range=(0.92, 1.0))  # fmt: skip
    labels = _texts(out)
    assert labels[1:6] == ["0.04", "0.06", "0.08", "0.10", "0.12"]  # x ticks
    assert labels[6:11] == ["0.92", "0.94", "0.96", "0.98", "1.00"]  # y ticks
    circles = [c for c in ET.fromstring(out).iter(f"{SVG}circle")][:2]
    # a 454 x 404 plot at (56, 30): (0.05, 0.95) is 1/8 across and 3/8 up, (0.11, 0.99) 7/8, 7/8
    assert [(c.get("cx"), c.get("cy")) for c in circles] == [("112.8", "282.5"), ("453.3", "80.5")]


def test_heatmap_is_wide_enough_for_its_title() -> None:
    title = "Student (trained on the synthetic data)"
    out = svg.heatmap([[3, 1], [0, 4]], ["sports", "business"], title=title)
    width = float(ET.fromstring(out).get("width", 0))
    assert width == round(8 + svg.text_width(title, bold=True)) == 290  # the matrix alone needs 223
    wide = svg.heatmap([[1] * 6] * 6, [f"label{i}" for i in range(6)], title=title)
    assert float(ET.fromstring(wide).get("width", 0)) == 429  # the matrix is wider: its own size


def test_bar_labels_leave_room_for_a_bold_highlight() -> None:
    name = "ag_news_retricl_smollm2_seed0"  # 29 characters, bold when highlighted
    out = svg.bar_chart([name, "b"], {"x": [1.0, 2.0]}, title="t", highlight=name)
    first_bar = next(r for r in ET.fromstring(out).iter(f"{SVG}rect"))
    assert float(first_bar.get("x", 0)) == round(12 + svg.text_width(name, bold=True)) == 242
    assert _texts(out)[1:6] == ["0.0", "0.5", "1.0", "1.5", "2.0"]  # round ticks
    label = list(ET.fromstring(out).iter(f"{SVG}text"))[6]
    assert (label.get("font-weight"), "".join(label.itertext())) == ("bold", name + name)
