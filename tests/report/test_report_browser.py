"""Render a real report.html in headless Chromium: no console errors, every section shown.

Needs the Debian packages ``chromium`` and ``chromium-driver`` (``apt-get install -y
chromium chromium-driver``) and, for the DevTools route, ``pip install selenium``.
Without selenium the test drives the chromium binary itself (``--dump-dom`` with console
logging on stderr). Without chromium it skips, saying so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_fakes import make_fake_run

from synthesizrr.report import SECTIONS, write_report

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]  # fmt: skip
SECTION_IDS = [sid for sid, _ in SECTIONS]
BAD_PAGE = (
    "<!DOCTYPE html><html><head><meta http-equiv='Content-Security-Policy' "
    "content=\"default-src 'none'\"></head><body><img src='https://example.invalid/x.png'>"
    "<script>console.error('boom')</script></body></html>"
)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (apt-get install -y chromium chromium-driver)",
)


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A selenium Chrome driver, or ``None`` where selenium/chromedriver is absent."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        yield None
        return
    if CHROMEDRIVER is None:
        yield None
        return
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, "--window-size=1280,2400"]:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chrome-profile')}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(options=opts, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield drv
    finally:
        drv.quit()


def _load(driver: Any, page: Path, tmp_path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """(console problems, sections as {id, heading, height}) of ``page`` in Chromium."""
    if driver is not None:
        driver.get(page.as_uri())
        logs = driver.get_log("browser")
        problems = [f"{e['level']}: {e['message']}" for e in logs
                    if e["level"] in ("SEVERE", "WARNING")]  # fmt: skip
        sections = driver.execute_script(
            "return [...document.querySelectorAll('section[id]')].map(s => ({id: s.id, "
            "heading: s.querySelector('h2').textContent, height: s.getBoundingClientRect().height,"
            " svgs: [...s.querySelectorAll('svg')].filter(v => v.getBoundingClientRect().width"
            " === 0).length}))"
        )
        return problems, sections
    proc = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr",
         "--v=0", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    # this page runs no script: any console message at all is a problem
    problems = [ln for ln in proc.stderr.splitlines() if ":CONSOLE" in ln]
    sections = [
        {"id": sid, "heading": re.sub("<[^>]+>", "", h), "height": 1, "svgs": 0}
        for sid, h in re.findall(r'<section id="([^"]+)"><h2>(.*?)</h2>', proc.stdout)
    ]
    return problems, sections


@pytest.fixture(params=["devtools", "cli"])
def route(request: pytest.FixtureRequest, driver: Any) -> Any:
    """The DevTools route (selenium) and the plain chromium-binary route."""
    if request.param == "cli":
        return None
    if driver is None:
        pytest.skip(
            "selenium or chromedriver is absent (pip install selenium; apt-get install -y chromium-driver)"
        )
    return driver


def test_report_renders_without_console_errors(route: Any, tmp_path: Path) -> None:
    driver = route
    a = make_fake_run(tmp_path, name="retricl_run")
    b = make_fake_run(tmp_path, name="fewgen_run", mode="fewgen", student=False)
    page = write_report(a, a / "report.html", compare=[b])
    problems, sections = _load(driver, page, tmp_path)
    assert problems == []
    assert [s["id"] for s in sections] == SECTION_IDS
    assert [s["heading"] for s in sections] == [title for _, title in SECTIONS]
    assert all(s["height"] > 0 for s in sections)
    assert all(s["svgs"] == 0 for s in sections)  # every plot has a size
    if driver is not None:
        assert driver.title == "SynthesizRR report: retricl_run"
        assert driver.execute_script("return document.scripts.length") == 0
        # the corpus passage's <script> is text, not an element
        text = driver.execute_script("return document.getElementById('samples').textContent")
        assert '<script>alert("corpus")</script>' in text


def test_console_check_catches_a_bad_page(route: Any, tmp_path: Path) -> None:
    """The console check above can fail: a page that breaks the CSP is reported."""
    driver = route
    page = tmp_path / "bad.html"
    page.write_text(BAD_PAGE, "utf-8")
    problems, sections = _load(driver, page, tmp_path)
    assert sections == []
    assert any("Content Security Policy" in p for p in problems), problems


#: Every <text> of every plot whose box sticks out of its <svg> (drawn cut off), by plot.
CLIPPED_JS = """
const out = [];
for (const svg of document.querySelectorAll('svg.plot')) {
  const box = svg.getBoundingClientRect();
  for (const t of svg.querySelectorAll('text')) {
    const r = t.getBoundingClientRect();
    if (r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1 ||
                        r.top < box.top - 1 || r.bottom > box.bottom + 1))
      out.push(svg.getAttribute('aria-label') + ': ' + t.textContent);
  }
}
return out;
"""


def _two_label_confusion(run: Path) -> None:
    """A 2-label student and gold: a matrix narrower than its title."""
    import json

    for name in ("metrics.json", "07_evaluate/metrics.json"):
        path = run / name
        metrics = json.loads(path.read_text("utf-8"))
        for which in ("student", "gold"):
            metrics[which].update(labels=["sports", "business"], confusion=[[3, 1], [0, 4]])
        path.write_text(json.dumps(metrics), "utf-8")


@pytest.mark.parametrize("width", [1280, 390])
def test_no_plot_text_is_cut_off_and_nothing_overflows(
    driver: Any, tmp_path: Path, width: int
) -> None:
    """At a desktop and a phone width: titles, axis labels and run names stay inside their
    plots, and the page does not scroll sideways (wide tables scroll inside themselves)."""
    if driver is None:
        pytest.skip("selenium or chromedriver is absent (pip install selenium)")
    run = make_fake_run(tmp_path, name="ag_news_retricl_smollm2_seed0")
    _two_label_confusion(run)
    other = make_fake_run(tmp_path, name="ag_news_fewgen_smollm2_seed0", mode="fewgen")
    metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 500}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        for page in (write_report(run, run / "report.html", compare=[other]),
                     write_report(other, other / "report.html")):  # fmt: skip
            driver.get(page.as_uri())
            assert driver.execute_script("return window.innerWidth") == width
            assert driver.execute_script(CLIPPED_JS) == []
            sideways = "return document.documentElement.scrollWidth - window.innerWidth"
            assert driver.execute_script(sideways) <= 0
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
