from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthesizrr.errors import ConfigError, InputDataError
from synthesizrr.refine import CartographySettings, RefineSettings, refine
from synthesizrr.refine import cartography as carto
from synthesizrr.testing import FakeEmbedder, fake_embeddings

LABELS = ["sports", "business"]
SPORTS = {"team", "goal", "match", "coach", "league"}
BUSINESS = {"stock", "market", "shares", "profit", "bank"}


def topics(text: str) -> list[float]:
    """Two topic axes plus a little per-text noise (normalized by the embedder)."""
    words = text.lower().split()
    out = [float(sum(w in SPORTS for w in words)), float(sum(w in BUSINESS for w in words))]
    out += [0.0] * 6
    out[2 + (sum(map(ord, text)) % 6)] = 0.3
    return out


@pytest.fixture
def no_minilm() -> Iterator[None]:
    with fake_embeddings(FakeEmbedder(8, features=topics)):
        yield


def sports(i: int) -> str:
    return f"the team scored a goal in match {i} says coach number {i}"


def business(i: int) -> str:
    return f"the stock market shares rose on bank profit report {i} day {i}"


def table(rows: list[tuple[str, str]], extra: bool = True) -> pa.Table:
    cols = {
        "row_id": [f"r{i}" for i in range(len(rows))],
        "text": [t for t, _ in rows],
        "label": [lab for _, lab in rows],
    }
    if extra:
        cols["prompt_id"] = [i * 10 for i in range(len(rows))]
    return pa.table(cols)


NO_CARTO = RefineSettings(cartography=CartographySettings(enabled=False), resample="none")


def test_length_and_duplicate_reasons_and_carried_columns() -> None:
    rows = [
        (sports(1), "sports"),
        ("Too short", "sports"),  # 2 words < 3
        (sports(1).upper(), "sports"),  # exact duplicate after case-folding
        (business(1), "business"),
        (business(1) + " today", "business"),  # near duplicate of r3
        (business(2) + " extra words here to exceed", "business"),
    ]
    settings = NO_CARTO.model_copy(update={"max_words": 16})
    res = refine(table(rows), settings, labels=LABELS)
    assert res.kept.column("row_id").to_pylist() == ["r0", "r3"]
    assert res.kept.column_names == ["row_id", "text", "label", "prompt_id"]
    assert res.kept.column("prompt_id").to_pylist() == [0, 30]
    removed = dict(
        zip(
            res.removed.column("row_id").to_pylist(),
            res.removed.column("reason").to_pylist(),
            strict=True,
        )
    )
    assert removed == {
        "r1": "too_short",
        "r5": "too_long",
        "r2": "exact_duplicate",
        "r4": "near_duplicate_of:r3",
    }
    assert res.removed.column_names == ["row_id", "text", "label", "prompt_id", "reason"]
    assert res.datamap is None
    assert res.stats["steps"]["length"]["removed"] == 2
    assert res.stats["steps"]["exact_dup"]["removed_per_label"] == {"sports": 1, "business": 0}
    assert res.stats["removed_per_reason"] == {
        "too_short": 1,
        "too_long": 1,
        "exact_duplicate": 1,
        "near_duplicate_of": 1,
    }
    assert res.stats["kept_per_label"] == {"sports": 1, "business": 1}


def test_resample_real_gives_exact_counts_and_is_seeded() -> None:
    rows = [(sports(i), "sports") for i in range(30)] + [
        (business(i), "business") for i in range(12)
    ]
    settings = RefineSettings(cartography=CartographySettings(enabled=False), near_dup=False)
    res = refine(
        table(rows), settings, labels=LABELS, target_distribution={"sports": 1, "business": 2}
    )
    assert res.stats["kept_per_label"] == {"sports": 6, "business": 12}
    assert set(res.removed.column("reason").to_pylist()) == {"resample"}
    again = refine(
        table(rows), settings, labels=LABELS, target_distribution={"sports": 1, "business": 2}
    )
    assert again.kept.equals(res.kept)
    other = refine(
        table(rows),
        settings.model_copy(update={"seed": 1}),
        labels=LABELS,
        target_distribution={"sports": 1, "business": 2},
    )
    assert other.kept.column("row_id").to_pylist() != res.kept.column("row_id").to_pylist()


def test_uniform_resample_with_target_size() -> None:
    rows = [(sports(i), "sports") for i in range(30)] + [
        (business(i), "business") for i in range(12)
    ]
    settings = RefineSettings(
        cartography=CartographySettings(enabled=False),
        near_dup=False,
        resample="uniform",
        target_size=9,
    )
    res = refine(table(rows), settings, labels=LABELS)
    assert res.stats["kept_per_label"] == {"sports": 5, "business": 4}


@pytest.mark.usefixtures("no_minilm")
def test_cartography_drops_mislabeled_rows_below_the_label_quantile() -> None:
    rows = [(sports(i), "sports") for i in range(17)] + [
        (business(i), "sports") for i in range(100, 103)
    ]
    rows += [(business(i), "business") for i in range(17)] + [
        (sports(i), "business") for i in range(100, 103)
    ]
    settings = RefineSettings(near_dup=False, resample="none")
    res = refine(table(rows), settings, labels=LABELS)
    # 20 rows a label: the 0.17 quantile lies at position 0.17 * 19 = 3.23 of the sorted
    # confidences; the 17 well-labeled rows score alike (the 4th and 5th lowest tie), so
    # the threshold equals the lowest of them and exactly the 3 mislabeled rows go
    assert res.stats["kept_per_label"] == {"sports": 17, "business": 17}
    dropped = sorted(res.removed.column("row_id").to_pylist(), key=lambda r: int(r[1:]))
    assert dropped == ["r17", "r18", "r19", "r37", "r38", "r39"]
    assert set(res.removed.column("reason").to_pylist()) == {"cartography_low_confidence"}
    dm = res.datamap
    assert dm is not None and dm.num_rows == 40
    assert dm.column_names == [
        "row_id",
        "label",
        "confidence",
        "variability",
        "correctness",
        "kept",
    ]
    conf = np.array(dm.column("confidence").to_pylist())
    assert conf[[17, 18, 19]].max() < conf[:17].min()
    assert np.sort(conf[:20])[3] == pytest.approx(np.sort(conf[:20])[4])
    assert all(0.0 <= c <= 1.0 for c in dm.column("correctness").to_pylist())
    assert res.stats["cartography"]["status"] == "done"
    thresholds = res.stats["cartography"]["thresholds"]
    for i, lab in enumerate(("sports", "business")):
        assert thresholds[lab] == pytest.approx(np.quantile(conf[i * 20 : i * 20 + 20], 0.17))


@pytest.mark.usefixtures("no_minilm")
def test_cartography_single_label_and_tiny_label_do_not_crash() -> None:
    rows = [(sports(i), "sports") for i in range(6)]
    res = refine(table(rows), RefineSettings(near_dup=False, resample="none"), labels=LABELS)
    assert res.kept.num_rows == 6
    assert res.datamap is None
    assert res.stats["cartography"]["status"] == "skipped"
    rows.append((business(1), "business"))
    res = refine(table(rows), RefineSettings(near_dup=False, resample="none"), labels=LABELS)
    assert res.stats["cartography"]["skipped_labels"] == {
        "business": "too few rows to filter: 1 < 6 = ceil(1 / (1 - keep_fraction)); all kept"
    }
    # the 6 sports rows score alike: none falls below the quantile, ties are kept
    assert res.stats["kept_per_label"] == {"sports": 6, "business": 1}


def test_datamap_statistics_from_probs() -> None:
    probs = np.array([[[0.9, 0.1], [0.4, 0.6]], [[0.7, 0.3], [0.8, 0.2]]], dtype=np.float32)
    dm = carto.datamap_from_probs(probs, np.array([0, 1]))
    assert dm.confidence == pytest.approx([0.8, 0.4])
    assert dm.variability == pytest.approx([0.1, 0.2])
    assert dm.correctness == pytest.approx([1.0, 0.5])


def test_label_filter_with_tfidf_oracle() -> None:
    oracle_texts = [sports(i) for i in range(200, 220)] + [business(i) for i in range(200, 220)]
    oracle_labels = ["sports"] * 20 + ["business"] * 20
    rows = [(sports(1), "sports"), (business(2), "sports"), (business(3), "business")]
    settings = NO_CARTO.model_copy(update={"label_filter": True, "oracle": "tfidf_lr"})
    res = refine(
        table(rows), settings, labels=LABELS, oracle_texts=oracle_texts, oracle_labels=oracle_labels
    )
    assert res.kept.column("row_id").to_pylist() == ["r0", "r2"]
    assert res.removed.column("reason").to_pylist() == ["label_filter:business"]


def test_empty_input_returns_empty_tables(tmp_path) -> None:
    empty = table([], extra=False)
    res = refine(empty, RefineSettings(), labels=LABELS, target_distribution={"sports": 1})
    assert res.kept.num_rows == 0 and res.removed.num_rows == 0
    assert res.removed.column_names == ["row_id", "text", "label", "reason"]
    assert res.stats["kept_rows"] == 0
    res.save(tmp_path / "out")
    assert pq.read_table(tmp_path / "out" / "kept.parquet").num_rows == 0
    assert json.loads((tmp_path / "out" / "stats.json").read_text())["input_rows"] == 0


def test_errors_name_the_problem() -> None:
    with pytest.raises(InputDataError, match=r"lacks column\(s\) \['label'\]"):
        refine(pa.table({"row_id": ["a"], "text": ["x y z"]}), NO_CARTO, labels=LABELS)
    with pytest.raises(InputDataError, match="Row 'r0' has label 'weather'"):
        refine(table([(sports(1), "weather")]), NO_CARTO, labels=LABELS)
    with pytest.raises(InputDataError, match=r"repeated: \['a'\]"):
        refine(
            pa.table({"row_id": ["a", "a"], "text": ["x", "y"], "label": ["sports"] * 2}),
            NO_CARTO,
            labels=LABELS,
        )
    with pytest.raises(ConfigError, match="no target_distribution"):
        refine(table([(sports(1), "sports")]), RefineSettings(), labels=LABELS)
    with pytest.raises(ConfigError, match="label_filter is true"):
        refine(
            table([(sports(1), "sports")]),
            NO_CARTO.model_copy(update={"label_filter": True}),
            labels=LABELS,
        )
    with pytest.raises(InputDataError, match="unknown labels \\['weather'\\]"):
        refine(
            table([(sports(1), "sports")]),
            RefineSettings(cartography=CartographySettings(enabled=False)),
            labels=LABELS,
            target_distribution={"weather": 1.0},
        )


@pytest.mark.usefixtures("no_minilm")
def test_cartography_is_deterministic_for_a_seed() -> None:
    rows = [(sports(i), "sports") for i in range(12)] + [(business(i), "sports") for i in range(3)]
    rows += [(business(i), "business") for i in range(40, 52)]
    settings = RefineSettings(near_dup=False, resample="none")
    first = refine(table(rows), settings, labels=LABELS)
    second = refine(table(rows), settings, labels=LABELS)
    assert first.datamap is not None and second.datamap is not None
    assert first.datamap.equals(second.datamap)
    assert first.kept.equals(second.kept)


def test_select_confident_quantile_threshold_per_label() -> None:
    conf = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.9, 0.8, 0.7, 0.6, 0.5, 0.95, 0.3, 0.2])
    y = np.array([0] * 6 + [1] * 6 + [2] * 2)
    sel = carto.select_confident(conf, y, 0.83)
    # label 0: position 0.17 * 5 = 0.85 -> 0.1 + 0.85 * 0.1 = 0.185; label 1 sorted
    # [0.5, 0.6, 0.7, 0.8, 0.9, 0.95] -> 0.5 + 0.85 * 0.1 = 0.585; label 2 has 2 < 6 rows
    assert sel.thresholds == pytest.approx({0: 0.185, 1: 0.585})
    assert (
        sel.keep.tolist() == [False] + [True] * 4 + [True] + [True] * 4 + [False, True] + [True] * 2
    )
    assert sel.skipped == {
        2: "too few rows to filter: 2 < 6 = ceil(1 / (1 - keep_fraction)); all kept"
    }
    assert [carto.min_rows_to_filter(f) for f in (0.83, 0.5, 0.9, 1.0)] == [6, 2, 10, 0]
    assert carto.select_confident(conf, y, 1.0).keep.all()
