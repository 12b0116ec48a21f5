"""The refine stage refuses an empty generate stage and says where the rows went."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from test_runner import make_cfg  # tests/pipeline is on sys.path (rootdir-relative)

from synthesizrr.errors import StageError
from synthesizrr.fileio import write_parquet
from synthesizrr.pipeline.rundir import RunDir
from synthesizrr.pipeline.stage import StageContext
from synthesizrr.pipeline.stages.refine import run as run_refine


def test_no_kept_generations_points_at_the_dropped_table(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    ctx = StageContext(cfg, RunDir(cfg.run_path))
    gen = ctx.input("generate", "generations.parquet").parent
    gen.mkdir(parents=True)
    write_parquet(pa.table({"text": pa.array([], pa.string())}), gen / "generations.parquet")
    reasons = ["empty", "refusal", "empty", "request_failed: HTTP 500 from server"]
    write_parquet(pa.table({"raw": ["", "no", "", None], "reason": reasons}),
                  gen / "dropped.parquet")  # fmt: skip
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(StageError) as info:
        run_refine(ctx, out)
    msg = str(info.value)
    assert "kept no rows (4 dropped: empty x2, refusal x1, request_failed x1)" in msg
    assert str(gen / "dropped.parquet") in msg and "--retry-failed" in msg
    assert list(out.iterdir()) == []


def test_label_check_uses_the_run_seeds_and_reports_the_kept_fraction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    import numpy as np

    from synthesizrr.fileio import read_parquet
    from synthesizrr.refine import label_check

    def embed(texts, model="minilm", *, progress=False):  # type: ignore[no-untyped-def]
        return np.array([[1.0, 0.0] if "apple" in t else [0.0, 1.0] for t in texts])

    monkeypatch.setattr(label_check, "embed_texts", embed)
    (tmp_path / "seeds.csv").write_text(
        "text,label\napple one,a\napple two,a\nbanana one,b\nbanana two,b\n"
    )
    cfg = make_cfg(
        tmp_path,
        refine={"label_check": {"enabled": True}, "cartography": {"enabled": False},
                "near_dup": False, "resample": "none", "min_words": 1},
    )  # fmt: skip
    ctx = StageContext(cfg, RunDir(cfg.run_path))
    seeds_dir = ctx.input("seeds", "seeds.parquet").parent
    seeds_dir.mkdir(parents=True)
    write_parquet(pa.table({"seed_id": ["s1", "s2", "s3", "s4"],
                            "text": ["apple one", "apple two", "banana one", "banana two"],
                            "label": ["a", "a", "b", "b"]}), seeds_dir / "seeds.parquet")  # fmt: skip
    gen = ctx.input("generate", "generations.parquet").parent
    gen.mkdir(parents=True)
    write_parquet(pa.table({"row_id": ["g1", "g2", "g3", "g4"],
                            "text": ["apple pie", "banana split", "apple tart", "banana bread"],
                            "label": ["a", "a", "b", "b"]}), gen / "generations.parquet")  # fmt: skip
    out = tmp_path / "out"
    out.mkdir()
    summary = run_refine(ctx, out).summary
    assert summary["kept"] == 2 and summary["kept_fraction"] == 0.5
    assert summary["steps"]["label_check"]["kept_fraction"] == 0.5
    assert summary["steps"]["label_check"]["seed_loo_accuracy"] == 1.0
    removed = read_parquet(out / "removed.parquet").to_pylist()
    assert [(r["row_id"], r["reason"], r["label_check_margin"]) for r in removed] == [
        ("g2", "label_check:b", -1.0),
        ("g3", "label_check:a", -1.0),
    ]
    assert json.loads(removed[0]["label_check_scores"]) == {"a": 0.0, "b": 1.0}
    assert json.loads((out / "summary.json").read_text())["kept_fraction"] == 0.5


@pytest.mark.parametrize(
    ("scorer", "teacher"), [("centroid", False), ("teacher", True), ("both", True)]
)
def test_the_stage_builds_a_teacher_scorer_only_where_the_check_scores_with_it(
    tmp_path: Path, scorer: str, teacher: bool
) -> None:
    from synthesizrr.pipeline.stages.refine import _teacher_scorer

    cfg = make_cfg(tmp_path, refine={"label_check": {"scorer": scorer}})
    built = _teacher_scorer(cfg)
    assert (built is not None) is teacher
    if built is not None:  # the model loads on first use, not here
        assert built._backend is None
