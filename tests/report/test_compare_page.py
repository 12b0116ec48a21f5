"""The comparison page and the example rows beside their sources."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from report_fakes import SCRIPT_GENERATION, make_fake_run

from synthesizrr.report import compare_runs
from synthesizrr.report.compare import headline_columns
from synthesizrr.report.compare_page import render_comparison, write_comparison
from synthesizrr.report.examples import pick_examples
from synthesizrr.report.rundata import Missing, RunData


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[Path, Path]:
    a = make_fake_run(tmp_path, name="retricl_run")
    b = make_fake_run(tmp_path, name="fewgen_run", mode="fewgen",
                      baseline=(0.70, 0.61, (-0.14, -0.04)), self_bleu=(0.9, 0.8, 0.7, 0.6, 0.5))  # fmt: skip
    return a, b


def test_examples_take_labels_in_turn_with_their_sources(two_runs: tuple[Path, Path]) -> None:
    retricl, fewgen = (RunData.load(p) for p in two_runs)
    ex = pick_examples(retricl, 3)
    assert not isinstance(ex, Missing)
    assert [x.label for x in ex] == ["World", "Sports", "Business"]
    assert all(x.source_kind == "retrieved article" for x in ex)
    passages = {r["passage_id"]: r for r in retricl.table("corpus", "passages.parquet").to_pylist()}
    rows = {r["row_id"]: r for r in retricl.table("refine", "dataset.parquet").to_pylist()}
    for x in ex:
        pas = passages[rows[x.row_id]["passage_id"]]
        assert (x.text, x.source_title, x.source_text) == (
            rows[x.row_id]["text"],
            pas["title"],
            pas["text"],
        )
    assert pick_examples(retricl, 3) == ex  # seeded
    few = pick_examples(fewgen, 2)
    assert not isinstance(few, Missing)
    seeds = {r["seed_id"]: r["text"] for r in fewgen.table("seeds", "seeds.parquet").to_pylist()}
    for x in few:
        assert x.source_kind == "in-context seed examples" and x.source_title is None
        shots = rows_of(fewgen)[x.row_id]["shot_ids"]
        assert x.source_text == "\n".join(seeds[s] for s in shots)


def rows_of(run: RunData) -> dict[str, dict]:
    return {r["row_id"]: r for r in run.table("refine", "dataset.parquet").to_pylist()}


def test_examples_of_a_run_without_data(tmp_path: Path) -> None:
    assert str(pick_examples(RunData.load(tmp_path / "nothing"))) == "the refine stage did not run"


def test_page_opens_with_the_side_by_side(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    out = write_comparison(list(two_runs), tmp_path / "cmp" / "report.html", title="A vs B",
                           intro="Two methods.")  # fmt: skip
    html = out.read_text("utf-8")
    main = html.split("<main>", 1)[1]
    assert main.startswith('<section id="side-by-side"><p>Two methods.</p><table class="kv side">')
    side = re.search(r'<table class="kv side">(.*?)</table>', html, re.S)
    assert side is not None
    lines = re.findall(r"<tr><td>([^<]*)</td>(.*?)</tr>", side.group(1))
    assert [h for h, _ in lines] == [
        "Mode", "Student acc. % ↑", "Seeds-only acc. %", "Seeds + synth. acc. % ↑",
        "Uplift vs seeds, pts [95% CI] ↑", "Seeds + real acc. %", "Gold acc. %", "Self-BLEU-4 ↓",
        "Entity entropy ↑", "MAUVE ↑", "Size", "Tokens", "Wall time",
    ]  # fmt: skip
    uplift = dict(lines)["Uplift vs seeds, pts [95% CI] ↑"]
    assert uplift == "<td><b>+15.0 [+8.0, +22.0]</b></td><td>-9.0 [-14.0, -4.0]</td>"
    assert ("<li><b>fewgen_run</b>: The synthetic rows hurt: seeds + synthetic is worse than "
            "the seeds alone (-9.0 points, 95% CI -14.0 to -4.0).") in html  # fmt: skip
    assert html.count('<div class="sample">') == 6  # 3 rows of each run
    assert SCRIPT_GENERATION not in html and "<script" not in html
    assert '<a href="../retricl_run/report.html">retricl_run</a>' not in html  # no report yet
    assert "<li>retricl_run: no report.html yet</li>" in html


def test_page_links_each_runs_report(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    for run in two_runs:
        (run / "report.html").write_text("<html></html>", "utf-8")
    html = render_comparison(list(two_runs), title="t", out_dir=tmp_path / "cmp")
    assert '<a href="../retricl_run/report.html">retricl_run</a>' in html
    assert '<a href="../fewgen_run/report.html">fewgen_run</a>' in html


def test_side_by_side_markdown(two_runs: tuple[Path, Path]) -> None:
    cmp = compare_runs(list(two_runs))
    cmp.columns = tuple(
        c
        for c in headline_columns()
        if c.key in ("run", "mode", "seeds_only_accuracy", "uplift_vs_seeds_only", "self_bleu_4")
    )
    assert cmp.to_markdown_side_by_side() == (
        "| | retricl_run | fewgen_run |\n"
        "|---|---:|---:|\n"
        "| Mode | retricl | fewgen |\n"
        "| Seeds-only acc. % | 70.0 | 70.0 |\n"
        "| Uplift vs seeds, pts [95% CI] ↑ | **+15.0 [+8.0, +22.0]** | -9.0 [-14.0, -4.0] |\n"
        "| Self-BLEU-4 ↓ | **0.210** | 0.600 |\n"
    )
