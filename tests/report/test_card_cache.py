"""Issue #13 item 3: ``load_dataset("<run>/dataset")`` returns that run's rows, never the
rows another run (or an earlier version of the same run) left in the ``datasets`` cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from report_fakes import make_fake_run

from synthesizrr.report import write_dataset_card

pytest.importorskip("datasets")

_LOAD = """
import json, sys
from datasets import load_dataset
out = []
for path in sys.argv[1:]:
    ds = load_dataset(path)
    out.append({"rows": ds["train"].num_rows, "texts": list(ds["train"]["text"])})
print(json.dumps(out))
"""


def _load(paths: list[Path], hf_home: Path) -> list[dict[str, object]]:
    """Load each folder in turn, in one fresh interpreter sharing one ``HF_HOME``."""
    env = {**os.environ, "HF_HOME": str(hf_home), "HF_HUB_OFFLINE": "1",
           "HF_DATASETS_OFFLINE": "1"}  # fmt: skip
    env.pop("HF_DATASETS_CACHE", None)
    proc = subprocess.run([sys.executable, "-c", _LOAD, *map(str, paths)], env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _texts(run: Path) -> list[str]:
    return pq.read_table(run / "dataset" / "train.parquet").column("text").to_pylist()


def test_two_runs_and_a_regenerated_run_share_one_cache(tmp_path: Path) -> None:
    a = make_fake_run(tmp_path / "a", name="news", rows_per_label=8)  # 28 rows kept
    b = make_fake_run(tmp_path / "b", name="news", rows_per_label=2)  # 8 rows kept
    for run in (a, b):
        write_dataset_card(run, run / "dataset" / "README.md")
    hf_home = tmp_path / "hf-home"
    first = _load([a / "dataset", b / "dataset"], hf_home)
    assert [r["rows"] for r in first] == [28, 8]
    assert first[0]["texts"] == _texts(a) and first[1]["texts"] == _texts(b)

    # Regenerate run a with other rows (same folder, same name, same row count).
    table = pq.read_table(a / "dataset" / "train.parquet")
    new_text = [f"regenerated {i}" for i in range(table.num_rows)]
    table = table.set_column(table.schema.get_field_index("text"), "text", pa.array(new_text))
    pq.write_table(table, a / "dataset" / "train.parquet")
    write_dataset_card(a, a / "dataset" / "README.md")
    again = _load([a / "dataset", b / "dataset"], hf_home)
    assert again[0] == {"rows": 28, "texts": new_text}
    assert again[1]["texts"] == _texts(b)
    # Each load was a cache entry of its own: three distinct datasets, three entries.
    entries = {p.parent for p in (hf_home / "datasets").rglob("dataset_info.json")}
    assert len(entries) == 3
