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
