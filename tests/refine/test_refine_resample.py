from __future__ import annotations

from synthesizrr.distill.resample import allocate, sample_rows, target_counts

ORDER = ["A", "B", "C"]


def test_allocate_largest_remainder() -> None:
    assert allocate(10, {"A": 1 / 3, "B": 1 / 3, "C": 1 / 3}, ORDER) == {"A": 4, "B": 3, "C": 3}
    assert allocate(7, {"A": 0.5, "B": 0.25, "C": 0.25}, ORDER) == {"A": 3, "B": 2, "C": 2}


def test_target_counts_largest_size_the_distribution_allows() -> None:
    counts, notes = target_counts(
        {"A": 100, "B": 50, "C": 20}, {"A": 0.5, "B": 0.3, "C": 0.2}, ORDER, None
    )
    assert counts == {"A": 50, "B": 30, "C": 20}
    assert notes == []


def test_target_counts_with_target_size_and_counts_as_weights() -> None:
    counts, _ = target_counts({"A": 100, "B": 50, "C": 20}, {"A": 5, "B": 3, "C": 2}, ORDER, 10)
    assert counts == {"A": 5, "B": 3, "C": 2}


def test_target_size_too_large_is_capped_with_a_note() -> None:
    counts, notes = target_counts({"A": 10, "B": 10, "C": 10}, {"A": 1, "B": 1, "C": 1}, ORDER, 99)
    assert counts == {"A": 10, "B": 10, "C": 10}
    assert notes == [
        "target_size 99 exceeds the 30 rows the distribution allows without up-sampling; kept 30"
    ]


def test_label_without_rows_is_left_out_and_zero_share_label_dropped() -> None:
    counts, notes = target_counts({"A": 8, "B": 4, "C": 0}, {"A": 1, "B": 1, "C": 1}, ORDER, None)
    assert counts == {"A": 4, "B": 4, "C": 0}
    assert notes == ["label 'C' has target share 1.000 but no rows left"]
    counts, _ = target_counts({"A": 8, "B": 4, "C": 3}, {"A": 1, "B": 1}, ORDER, None)
    assert counts == {"A": 4, "B": 4, "C": 0}


def test_sample_rows_counts_and_seed() -> None:
    labels = ["A"] * 10 + ["B"] * 5
    keep = sample_rows(labels, {"A": 3, "B": 5}, seed=0)
    assert keep[:10].sum() == 3 and keep[10:].sum() == 5
    assert (keep == sample_rows(labels, {"A": 3, "B": 5}, seed=0)).all()
    assert not (keep == sample_rows(labels, {"A": 3, "B": 5}, seed=1)).all()
