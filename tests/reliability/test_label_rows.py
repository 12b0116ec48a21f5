"""A label must not vanish: a label with no rows after retrieve, generate or refine stops
the run (exit 9) with the counts at each stage and the fix, and the finished work is kept.
Fewer seeds in the file than ``seeds.per_label`` asks for is a warning in the stage
summary, on stderr and in the report."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from reliability_kit import (
    FILLER,
    TOPICS,
    base_config,
    cli_env,
    error_line,
    make_project,
    write_config,
    write_corpus,
)

from synthesizrr.config import load_config
from synthesizrr.errors import BackendError, StageError
from synthesizrr.llm.registry import register_backend
from synthesizrr.llm.settings import LLMSettings
from synthesizrr.llm.types import LLMRequest
from synthesizrr.pipeline import runner
from synthesizrr.testing import FakeLLM, default_text

SYNTHESIZRR = Path(sys.executable).parent / "synthesizrr"


def synthesizrr(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SYNTHESIZRR), *args], cwd=cwd, env=cli_env(), capture_output=True,
                          text=True, timeout=180, check=False)  # fmt: skip


def _manifest(root: Path) -> dict[str, Any]:
    return dict(json.loads((root / "runs" / "r" / "manifest.json").read_text("utf-8")))


def _sports_only(n: int = 40) -> list[dict[str, str]]:
    rng = random.Random(1)
    words = TOPICS["sports"] + FILLER
    return [{"id": f"d{i}", "text": " ".join(rng.choice(words) for _ in range(40)) + "."}
            for i in range(n)]  # fmt: skip


def test_label_without_retrieved_documents_stops_before_generation(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    write_corpus(tmp_path / "corpus.jsonl", _sports_only())  # no business words at all
    proc = synthesizrr("run", str(cfg), "-q", cwd=tmp_path)
    assert error_line(proc) == (
        "error: label 'business' has no rows after the retrieve stage: 4 seeds -> 0 retrieved "
        "documents; finished work is kept. Fix: add corpus documents about that label "
        "(corpus.path) or more seeds (seeds.per_label, now 4), raise retrieval.top_k (now 10)"
    )
    assert proc.returncode == 9
    run = tmp_path / "runs" / "r"
    state = _manifest(tmp_path)["stages"]
    assert state["retrieve"]["status"] == "failed"
    assert state["retrieve"]["error"] == error_line(proc).removeprefix("error: ")
    assert (run / "04_retrieve" / "pairs.parquet").is_file()  # kept, to inspect
    assert not (run / "05_generate").exists()  # nothing was sent
    # With business documents in the corpus the same command finishes.
    write_corpus(tmp_path / "corpus.jsonl")
    again = synthesizrr("run", str(cfg), "-q", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert {s["status"] for s in _manifest(tmp_path)["stages"].values()} == {"done"}


class _ByLabel(FakeLLM):
    """Answers business prompts with ``business`` (or fails them where it is None) and
    the rest with the default text."""

    name = "bylabel"
    business: str | None = ""

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> FakeLLM:
        def answer(req: LLMRequest) -> str:
            if "business news" not in req.text_for_counting():
                return default_text(req)
            if cls.business is None:
                raise BackendError("connection refused to 127.0.0.1:9")
            return cls.business

        return cls(answer)


@pytest.fixture
def bylabel(tmp_path: Path) -> Path:
    register_backend("bylabel", _ByLabel)
    cfg = base_config()
    cfg["generation"]["llm"] = {"backend": "bylabel"}
    return make_project(tmp_path, cfg)


def test_label_whose_generations_are_all_dropped(bylabel: Path, tmp_path: Path) -> None:
    _ByLabel.business = ""  # every business answer is empty
    with pytest.raises(StageError) as err:
        runner.execute(load_config(bylabel))
    dropped = tmp_path / "runs" / "r" / "05_generate" / "dropped.parquet"
    assert str(err.value) == (
        "label 'business' has no rows after the generate stage: 4 seeds -> 9 retrieved "
        "documents -> 0 generated rows (dropped: empty x6); finished work is kept. Fix: read "
        f"the 'reason' column of {dropped}: request_failed is resent by `synthesizrr generate "
        "CONFIG --retry-failed`; otherwise raise generation.per_label (now 6) or "
        "task.max_new_tokens, lower generation.min_words (now 3), or change the prompt or "
        "the teacher"
    )
    assert err.value.exit_code == 9
    assert dropped.is_file()
    assert _manifest(tmp_path)["stages"]["generate"]["status"] == "failed"
    assert "refine" not in _manifest(tmp_path)["stages"]


def test_label_whose_requests_all_failed_is_a_backend_error(bylabel: Path, tmp_path: Path) -> None:
    _ByLabel.business = None  # every business request fails (fewer than abort_after_failures)
    with pytest.raises(BackendError) as err:
        runner.execute(load_config(bylabel))
    assert str(err.value) == (
        "label 'business' has no rows after the generate stage: all 6 of its requests failed "
        "(last error: connection refused to 127.0.0.1:9); finished work is kept. Fix: check the "
        "backend (server up? model name? key?), then run `synthesizrr generate CONFIG "
        "--retry-failed`"
    )
    assert err.value.exit_code == 6
    assert _manifest(tmp_path)["stages"]["generate"]["status"] == "failed"


def test_label_that_refinement_removes_entirely(bylabel: Path, tmp_path: Path) -> None:
    _ByLabel.business = "Shares rose again."  # 3 words: generated, then removed by refine
    raw = base_config()
    raw["generation"]["llm"] = {"backend": "bylabel"}
    raw["refine"]["min_words"] = 5
    write_config(tmp_path, raw)
    with pytest.raises(StageError) as err:
        runner.execute(load_config(bylabel))
    removed = tmp_path / "runs" / "r" / "06_refine" / "removed.parquet"
    assert str(err.value) == (
        "label 'business' has no rows after the refine stage: 4 seeds -> 9 retrieved documents "
        "-> 6 generated rows -> 0 final rows; finished work is kept. Fix: read the 'reason' "
        f"column of {removed}, then loosen that step: refine.label_filter: false, a higher "
        "refine.cartography.keep_fraction, refine.near_dup: false, or generate more "
        "(generation.per_label)"
    )
    assert _manifest(tmp_path)["stages"]["refine"]["status"] == "failed"
    assert removed.is_file()


def test_fewer_seeds_than_asked_is_a_warning_everywhere(tmp_path: Path) -> None:
    cfg = base_config()
    cfg["seeds"]["per_label"] = 6  # the file holds 4 per label
    path = make_project(tmp_path, cfg)
    proc = synthesizrr("run", str(path), "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    expected = [
        "label 'sports': seeds.per_label asks for 6 seeds, 'seeds.csv' has only 4 (all used)",
        "label 'business': seeds.per_label asks for 6 seeds, 'seeds.csv' has only 4 (all used)",
    ]
    warned = [ln.split("WARNING", 1)[1].strip() for ln in proc.stderr.splitlines()
              if ln.startswith("WARNING")]  # fmt: skip
    assert warned == [f"seeds: {w}" for w in expected]
    assert _manifest(tmp_path)["stages"]["seeds"]["summary"]["warnings"] == expected
    report = (tmp_path / "runs" / "r" / "report.html").read_text("utf-8")
    for w in expected:
        assert w.replace("'", "&#x27;") in report
    # The report stage, writing this page, is not listed as "running".
    stages = report.split('<section id="stages">', 1)[1].split("</section>", 1)[0]
    assert "running" not in stages
    assert "<tr><td>report</td><td>done</td>" in stages and "<td>this page</td>" in stages
