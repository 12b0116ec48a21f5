from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from report_fakes import LABELS, SCRIPT_GENERATION, SCRIPT_PASSAGE, make_fake_run

from synthesizrr.report import SECTIONS, ReportSettings, render_report, write_report
from synthesizrr.report.sections.per_label import per_label_scores

SECTION_IDS = [sid for sid, _ in SECTIONS]


def _section(html: str, sid: str) -> str:
    m = re.search(rf'<section id="{sid}">(.*?)</section>', html, re.S)
    assert m is not None, sid
    return m.group(1)


def test_complete_run_has_every_section_and_no_failures(tmp_path: Path) -> None:
    run = make_fake_run(tmp_path)
    out = write_report(run, run / "report.html")
    assert out == run / "report.html"
    html = out.read_text("utf-8")
    assert re.findall(r'<section id="([^"]+)">', html) == SECTION_IDS
    assert "this section failed" not in html
    # only the compare section says something is missing (no other runs given)
    assert html.count('class="na"') == 1
    assert "no other runs to compare against" in _section(html, "comparison")
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".report")) == []


def test_report_is_self_contained(tmp_path: Path) -> None:
    html = render_report(make_fake_run(tmp_path))
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    # the only URL is the SVG namespace; nothing is fetched
    urls = set(re.findall(r"https?://[^\s\"'<>]+", html))
    assert urls == {"http://www.w3.org/2000/svg"}
    assert re.findall(r'\ssrc="', html) == []
    assert "default-src 'none'" in html
    # labels 1, metrics 2, per-label 2, comparison 0 (one run: the table only), data map 1,
    # confusion 2
    assert html.count("<svg") == 8


def test_untrusted_text_renders_literally(tmp_path: Path) -> None:
    html = render_report(make_fake_run(tmp_path), settings=ReportSettings(samples_per_label=10))
    assert SCRIPT_PASSAGE not in html
    assert SCRIPT_GENERATION not in html
    assert "&lt;script&gt;alert(&quot;corpus&quot;)&lt;/script&gt; Markets &amp; " in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img" not in html


def test_samples_show_seed_passage_and_shots(tmp_path: Path) -> None:
    run = make_fake_run(tmp_path)
    html = render_report(run, settings=ReportSettings(samples_per_label=10))
    samples = _section(html, "samples")
    assert samples.count('class="sample"') == 16  # every kept row (4 per label)
    assert samples.count("Seed (query)") == 16
    assert samples.count('<p>Seed headline 0 about World</p><div class="m">seed-2 ·') == 2
    assert "<p><b>Title 2</b><br>Passage 2 text about things.</p>" in samples
    assert samples.count("rank 3 · score 0.700") == 16
    # shots: ids, then the shot's document and its answer (the seed text)
    assert samples.count("in-context shots: <code>seed-") == 16
    assert "<li><code>seed-6|p1</code><div class='m'>document:</div><p><b>Title 1</b>" in samples

    one = _section(render_report(run, settings=ReportSettings(samples_per_label=1)), "samples")
    assert one.count('class="sample"') == len(LABELS)


def test_fewgen_run_without_student(tmp_path: Path) -> None:
    run = make_fake_run(tmp_path, name="fg", mode="fewgen", student=False)
    html = render_report(run)
    assert re.findall(r'<section id="([^"]+)">', html) == SECTION_IDS
    assert "this section failed" not in html
    assert "not available (student skipped: no evaluation.test_path)" in _section(html, "confusion")
    assert "not available (gold skipped: no evaluation.test_path)" in _section(html, "confusion")
    samples = _section(html, "samples")
    assert "no retrieved document: this row was written without one" in samples
    assert samples.count("no retrieval query: this row was written without a document") == 12
    # few-shot shots are seed ids, resolved to the seed texts
    assert "<code>seed-2</code>" in samples and "Seed headline 0 about World" in samples


def test_empty_and_broken_runs_still_render(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    html = render_report(empty)
    assert re.findall(r'<section id="([^"]+)">', html) == SECTION_IDS
    assert "this section failed" not in html
    assert html.count("not available (") >= len(SECTION_IDS) - 1

    run = make_fake_run(tmp_path)
    (run / "metrics.json").write_text("{not json", "utf-8")
    (run / "07_evaluate" / "metrics.json").write_text("[]", "utf-8")
    shutil.rmtree(run / "06_refine")
    (run / "05_generate" / "generations.parquet").write_bytes(b"garbage")
    html = render_report(run)
    assert "this section failed" not in html
    assert "Problems reading this run: &#x27;metrics.json&#x27; is unreadable" in html
    assert "generations.parquet is unreadable (ArrowInvalid)" in html


def test_section_failure_is_contained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from synthesizrr.report import sections

    def boom(*_: object) -> str:
        raise ValueError("bad <value>")

    monkeypatch.setattr(sections, "datamap", boom)
    html = render_report(make_fake_run(tmp_path))
    assert "not available (this section failed: ValueError: bad &lt;value&gt;)" in _section(
        html, "datamap"
    )


def test_comparison_section_lists_other_runs(tmp_path: Path) -> None:
    a = make_fake_run(tmp_path, name="a")
    b = make_fake_run(tmp_path, name="b", mode="fewgen", self_bleu=(0.9, 0.8, 0.7, 0.6, 0.5))
    html = render_report(a, compare=[b, a, tmp_path / "nope"])
    section = _section(html, "comparison")
    assert "no other runs to compare" not in section
    assert section.count("<svg") == 3
    assert "0.600</text>" in section and "0.210</text>" in section
    assert f"compared run &#x27;{tmp_path / 'nope'}&#x27;: not available" in section


def test_metrics_json_is_embedded(tmp_path: Path) -> None:
    run = make_fake_run(tmp_path)
    html = render_report(run)
    metrics = json.loads((run / "metrics.json").read_text("utf-8"))
    assert str(metrics["student"]["signature"]) in _section(html, "metrics-json")
    table = _section(html, "metrics")
    assert "<td>distinct_n</td><td></td><td>skipped</td><td></td><td>no texts</td>" in table
    assert "<td>0.7500</td><td>[0.6875, 0.8125]</td>" in table  # label preservation's interval


def test_datamap_marks_removed_rows(tmp_path: Path) -> None:
    html = render_report(make_fake_run(tmp_path))
    dm = _section(html, "datamap")
    assert dm.count("<circle") == 20 + 6  # 20 points + 6 legend marks
    assert dm.count("(removed)</title>") == 4
    assert "20 rows scored; 16 kept." in dm


def test_per_label_scores_from_confusion() -> None:
    rep = {"labels": ["a", "b"], "confusion": [[3, 1], [0, 4]]}
    scores = per_label_scores(rep, ["a", "b"])
    assert scores == {
        "precision": [1.0, 0.8],
        "recall": [0.75, 1.0],
        "F1": [pytest.approx(6 / 7), pytest.approx(8 / 9)],
    }
    assert per_label_scores({"labels": ["a"], "confusion": [[1, 2]]}, ["a"]) is None


def test_entity_entropy_per_type_beside_the_pooled_value(tmp_path: Path) -> None:
    run = make_fake_run(tmp_path)
    for name in ("metrics.json", "07_evaluate/metrics.json"):
        path = run / name
        if not path.exists():
            continue
        data = json.loads(path.read_text("utf-8"))
        data["metrics"]["entity_entropy"]["details"]["per_type_counts"] = {"ORG": 12, "PERSON": 18}
        path.write_text(json.dumps(data), "utf-8")
    html = _section(render_report(run), "metrics")
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", html)
    assert rows[-3:] == [("all types (pooled)", "30", "7.25"), ("PERSON", "18", "3.25"),
                         ("ORG", "12", "4.50")]  # fmt: skip


def _edit_manifest(run: Path, edit: Any) -> None:
    path = run / "manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    edit(manifest)
    path.write_text(json.dumps(manifest), "utf-8")


def test_identical_seeds_show_no_plus_minus(tmp_path: Path) -> None:
    from synthesizrr.report.compare import percent_pm

    assert percent_pm(0.825, 0.0125) == "82.5 ± 1.2"
    assert percent_pm(0.9, 0.0) == "90.0"  # the same score on every seed
    assert percent_pm(0.5, 0.0004) == "50.0"  # a spread that shows as 0.0
    assert percent_pm(0.5, None) == "50.0"
    assert percent_pm(None, 0.1) == "n/a"
    html = render_report(make_fake_run(tmp_path))  # gold: accuracy_std 0.0
    overview = _section(html, "overview")
    assert '<div class="k">Gold accuracy</div><div class="v">90.0 %</div>' in overview
    assert '<div class="v">82.5 ± 1.2 %</div>' in overview
    assert "± 0.0" not in html


def test_the_report_stage_writing_the_page_is_shown_done(tmp_path: Path) -> None:
    from datetime import datetime, timedelta, timezone

    run = make_fake_run(tmp_path)
    started = (datetime.now(timezone.utc) - timedelta(seconds=3)).isoformat(timespec="seconds")
    _edit_manifest(run, lambda m: m["stages"].update(
        report={"fingerprint": "f", "status": "running", "started": started}))  # fmt: skip
    stages = _section(render_report(run), "stages")
    row = re.search(r"<tr><td>report</td>(.*?)</tr>", stages)
    assert row is not None
    cells = re.findall(r"<td>(.*?)</td>", row.group(1))
    assert cells[0] == "done" and cells[3] == "this page"
    assert 3 <= float(cells[1]) < 30 and cells[2].startswith("20")  # seconds so far, a time
    assert "running" not in stages


def test_one_run_compares_nothing_so_draws_no_charts(tmp_path: Path) -> None:
    section = _section(render_report(make_fake_run(tmp_path, name="solo")), "comparison")
    assert "<svg" not in section
    assert "no other runs to compare against" in section
    assert '<table class="compare"><thead><tr><th>Run</th>' in section
    assert "<td>solo</td><td>retricl</td><td>16</td>" in section


def test_datamap_axes_fit_the_points(tmp_path: Path) -> None:
    dm = _section(render_report(make_fake_run(tmp_path)), "datamap")
    # variability 0.05..0.11 and confidence 0.2..0.77 in the fake: not the fixed 0..0.5 axis
    ticks = re.findall(r'text-anchor="middle">([0-9.]+)</text>', dm)
    assert ticks == ["0.04", "0.06", "0.08", "0.10", "0.12"]
    assert re.findall(r'text-anchor="end">([0-9.]+)</text>', dm) == [
        "0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]  # fmt: skip


def test_stage_warnings_are_listed(tmp_path: Path) -> None:
    run = make_fake_run(tmp_path)
    warning = "label 'World': seeds.per_label asks for 50 seeds, 'seeds.csv' has only 2 (all used)"
    _edit_manifest(run, lambda m: m["stages"]["seeds"]["summary"].update(warnings=[warning]))
    html = render_report(run)
    shown = warning.replace("'", "&#x27;")
    assert f"<div class='warn'>Warnings:<ul><li>seeds: {shown}</li></ul></div>" in html
    assert f"seeds=8; warning: {shown}</td>" in _section(html, "stages")


def test_overview_opens_with_the_seeds_only_uplift(tmp_path: Path) -> None:
    html = render_report(make_fake_run(tmp_path))
    overview = _section(html, "overview")
    assert overview.index("Does the synthetic data help?") < overview.index('<table class="kv">')
    assert (
        '<p class="verdict good">The synthetic rows help: seeds + synthetic beats the seeds alone '
        "(+15.0 points, 95% CI +8.0 to +22.0).</p>"
    ) in overview
    cards = re.findall(r'<div class="k">([^<]*)</div><div class="v">([^<]*)</div>', overview)
    assert cards[:5] == [
        ("Seeds only (8 real rows)", "70.0 %"),
        ("Seeds + synthetic (8 + 16 rows)", "85.0 %"),
        ("Uplift over seeds only", "+15.0 points"),
        ("Synthetic only (the student)", "82.5 %"),
        ("Gold (as many real rows)", "90.0 %"),
    ]
    assert "95% CI +8.0 to +22.0 points (95% paired bootstrap over the 40 test rows" in overview
    assert not any(k.startswith("Seeds + as many real") for k, _ in cards)  # no ceiling, no card


def test_the_real_ceiling_gets_a_card_where_it_ran(tmp_path: Path) -> None:
    path = make_fake_run(tmp_path, name="ceiling")
    metrics = json.loads((path / "metrics.json").read_text("utf-8"))
    base = metrics["seeds_baseline"]
    base["seeds_plus_real"] = {**base["seeds_only"], "n_train": base["seeds_only"]["n_train"] + 16}
    base["seeds_plus_real_accuracy"] = 0.875
    (path / "metrics.json").write_text(json.dumps(metrics), "utf-8")
    cards = re.findall(
        r'<div class="k">([^<]*)</div><div class="v">([^<]*)</div>',
        _section(render_report(path), "overview"),
    )
    assert ("Seeds + as many real rows (8 + 16)", "87.5 %") in cards


def test_a_negative_uplift_is_said_plainly(tmp_path: Path) -> None:
    run = make_fake_run(tmp_path, baseline=(0.80, 0.62, (-0.25, -0.11)))
    overview = _section(render_report(run), "overview")
    assert (
        '<p class="verdict bad">The synthetic rows hurt: seeds + synthetic is worse than the '
        "seeds alone (-18.0 points, 95% CI -25.0 to -11.0). Train on the seeds alone, or fix the "
        "data before using it.</p>"
    ) in overview
    unclear = make_fake_run(tmp_path, name="unclear", baseline=(0.80, 0.82, (-0.03, 0.07)))
    assert '<p class="verdict unclear">No clear difference' in render_report(unclear)


def test_a_run_without_the_baseline_says_why(tmp_path: Path) -> None:
    overview = _section(render_report(make_fake_run(tmp_path, student=False)), "overview")
    assert "Does the synthetic data help?" in overview
    assert "not available (seeds_baseline skipped: no evaluation.test_path)" in overview
    old = make_fake_run(tmp_path, name="old")  # a run scored before the baseline existed
    metrics = json.loads((old / "metrics.json").read_text("utf-8"))
    del metrics["seeds_baseline"]
    (old / "metrics.json").write_text(json.dumps(metrics), "utf-8")
    overview = _section(render_report(old), "overview")
    assert "not available (metrics.json has no &#x27;seeds_baseline&#x27; entry)" in overview
