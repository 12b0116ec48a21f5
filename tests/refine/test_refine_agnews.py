"""Cartography with the real default scorer (MiniLM + MLP) on AG News with flipped labels."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa

from synthesizrr.refine import CartographySettings, RefineSettings, refine

LABELS = ["World", "Sports", "Business", "Sci/Tech"]


def _table(shared_data: Path, per_label: int, flip_every: int) -> tuple[pa.Table, set[str]]:
    with (shared_data / "ag_news" / "train.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    picked: list[dict[str, str]] = []
    for lab in LABELS:
        picked += [r for r in rows if r["label"] == lab][:per_label]
    flipped: set[str] = set()
    ids, texts, labels = [], [], []
    for i, r in enumerate(picked):
        rid, lab = f"g{i}", r["label"]
        if i % flip_every == 0:
            lab = LABELS[(LABELS.index(lab) + 1) % len(LABELS)]
            flipped.add(rid)
        ids.append(rid)
        texts.append(r["text"])
        labels.append(lab)
    return pa.table({"row_id": ids, "text": texts, "label": labels}), flipped


def test_minilm_cartography_removes_most_flipped_labels(shared_data: Path) -> None:
    table, flipped = _table(shared_data, per_label=40, flip_every=10)  # 16 of 160 flipped
    res = refine(table, RefineSettings(resample="none"), labels=LABELS)
    cart = {
        rid
        for rid, why in zip(
            res.removed.column("row_id").to_pylist(),
            res.removed.column("reason").to_pylist(),
            strict=True,
        )
        if why == "cartography_low_confidence"
    }
    assert res.datamap is not None
    n_scored = res.datamap.num_rows
    assert len(cart) == n_scored - res.kept.num_rows
    assert len(cart & flipped) >= 10  # 16 flipped rows; random removal would catch ~3
    dm = res.datamap.to_pydict()
    conf = dict(zip(dm["row_id"], dm["confidence"], strict=True))
    mean_flipped = sum(conf[r] for r in flipped if r in conf) / len(flipped & conf.keys())
    mean_clean = sum(v for r, v in conf.items() if r not in flipped) / (len(conf) - len(flipped))
    assert mean_flipped < mean_clean


def test_transformer_scorer_tiny_run(shared_data: Path) -> None:
    table, _ = _table(shared_data, per_label=6, flip_every=7)
    cfg = CartographySettings(scorer="transformer", epochs=2, max_length=32, batch_size=8)
    res = refine(
        table, RefineSettings(resample="none", near_dup=False, cartography=cfg), labels=LABELS
    )
    assert res.datamap is not None and res.datamap.num_rows == 24
    assert res.stats["kept_per_label"] == {lab: 5 for lab in LABELS}  # ceil(0.83 * 6) = 5
