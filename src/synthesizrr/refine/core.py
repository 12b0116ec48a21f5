"""The refinement stage: length -> exact dup -> near dup -> label check -> label filter ->
cartography -> resample, over a pyarrow table. Every removed row is kept with its reason
(the label check adds its margin and per-label scores)."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from synthesizrr.distill.resample import sample_rows, target_counts
from synthesizrr.errors import ConfigError, InputDataError
from synthesizrr.refine import cartography as carto
from synthesizrr.refine.dedup import exact_duplicates, near_duplicates
from synthesizrr.refine.settings import LabelCheckSettings, RefineSettings

if TYPE_CHECKING:
    from synthesizrr.refine.label_check import LabelScorer

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("row_id", "text", "label")
DATAMAP_SCHEMA = pa.schema(
    [
        ("row_id", pa.string()),
        ("label", pa.string()),
        ("confidence", pa.float64()),
        ("variability", pa.float64()),
        ("correctness", pa.float64()),
        ("kept", pa.bool_()),
    ]
)

#: Columns the label check adds to removed rows (present whenever the check is enabled).
LABEL_CHECK_FIELDS = (
    pa.field("label_check_margin", pa.float64()),
    pa.field("label_check_scores", pa.string()),  # JSON: label -> cosine to its centroid
)


@dataclass
class RefineResult:
    """``kept``: surviving rows (input columns); ``removed``: dropped rows + ``reason``;
    ``datamap``: per-row cartography statistics (None when cartography did not run);
    ``stats``: JSON-ready counts per step and per label."""

    kept: pa.Table
    removed: pa.Table
    datamap: pa.Table | None
    stats: dict[str, Any] = field(default_factory=dict)

    def save(self, folder: str | Path) -> None:
        """Write kept/removed/datamap as Parquet and stats.json into ``folder``."""
        import pyarrow.parquet as pq

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        pq.write_table(self.kept, out / "kept.parquet")
        pq.write_table(self.removed, out / "removed.parquet")
        if self.datamap is not None:
            pq.write_table(self.datamap, out / "datamap.parquet")
        (out / "stats.json").write_text(json.dumps(self.stats, indent=2, sort_keys=False))


class _Run:
    """Mutable state of one refine call: the surviving table and the removed pieces."""

    def __init__(self, table: pa.Table, labels: list[str]) -> None:
        self.cur = table
        self.labels = labels
        self.removed: list[pa.Table] = []
        self.steps: dict[str, Any] = {}

    @property
    def texts(self) -> list[str]:
        return [t or "" for t in self.cur.column("text").to_pylist()]

    @property
    def row_labels(self) -> list[str]:
        return self.cur.column("label").to_pylist()

    def drop(
        self,
        step: str,
        keep: np.ndarray,
        reasons: Sequence[str | None],
        extra: dict[str, pa.Array] | None = None,
    ) -> None:
        """Remove rows where ``keep`` is False; ``reasons[i]`` explains row i; ``extra``
        columns (one value per current row) go along with the removed rows."""
        gone = [int(i) for i in np.flatnonzero(~keep)]
        row_labels = self.row_labels
        per_label = Counter(row_labels[i] for i in gone)
        if len(gone):
            taken = pa.array(gone, type=pa.int64())
            part = self.cur.take(taken)
            why = [reasons[i] or step for i in gone]
            part = part.append_column("reason", pa.array(why, type=pa.string()))
            for name, column in (extra or {}).items():
                part = part.append_column(name, column.take(taken))
            self.removed.append(part)
            self.cur = self.cur.filter(pa.array(keep, type=pa.bool_()))
        self.steps[step] = {
            "removed": int(len(gone)),
            "removed_per_label": {lab: per_label.get(lab, 0) for lab in self.labels},
            "kept": self.cur.num_rows,
        }
        log.info("refine %s: removed %d, %d left", step, len(gone), self.cur.num_rows)

    def counts(self) -> dict[str, int]:
        c = Counter(self.row_labels)
        return {lab: c.get(lab, 0) for lab in self.labels}


def _validate(table: pa.Table, labels: Sequence[str]) -> list[str]:
    labs = list(labels)
    if not labs or len(set(labs)) != len(labs):
        raise InputDataError(
            f"labels must be a non-empty list of distinct names, got {labs}.",
            fix="pass the task's label names once each",
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
    if missing:
        raise InputDataError(
            f"The table to refine lacks column(s) {missing}; it has {table.column_names}.",
            fix="pass a table with row_id, text and label columns",
        )
    if "reason" in table.column_names:
        raise InputDataError(
            "The table to refine already has a 'reason' column, which refine adds to removed rows.",
            fix="rename or drop that column before refining",
        )
    ids = table.column("row_id").to_pylist()
    dup = [k for k, v in Counter(ids).items() if v > 1]
    if dup:
        raise InputDataError(
            f"row_id values must be unique; repeated: {dup[:5]}.",
            fix="give every generated row its own row_id",
        )
    known = set(labs)
    for rid, lab in zip(ids, table.column("label").to_pylist(), strict=True):
        if lab not in known:
            raise InputDataError(
                f"Row {rid!r} has label {lab!r}, which is not one of {labs}.",
                fix="map the label to a task label or drop the row",
            )
    return labs


def _target(
    settings: RefineSettings, labels: list[str], given: dict[str, float] | None, cur: dict
) -> dict[str, float] | None:
    if settings.resample == "uniform":
        return {lab: 1.0 for lab in labels}
    if settings.resample == "none":
        return {lab: float(n) for lab, n in cur.items()} if settings.target_size else None
    if given is None:
        raise ConfigError(
            "refine.resample is 'real' but no target_distribution was passed.",
            fix="pass target_distribution (the real train label distribution) or set "
            "refine.resample to 'uniform' or 'none'",
        )
    bad = [k for k in given if k not in labels]
    neg = [k for k, v in given.items() if v < 0]
    if bad or neg or sum(given.values()) <= 0:
        raise InputDataError(
            f"target_distribution {given} is invalid (unknown labels {bad}, negative "
            f"shares {neg}, or all zero); labels are {labels}.",
            fix="pass non-negative shares (or counts) keyed by task labels",
        )
    return dict(given)


def _label_filter(
    run: _Run,
    settings: RefineSettings,
    oracle_texts: Sequence[str],
    oracle_labels: Sequence[str],
    progress: bool,
) -> None:
    from synthesizrr.distill.evaluate import encode_labels
    from synthesizrr.distill.settings import StudentSettings
    from synthesizrr.distill.students import make_student

    y = encode_labels(oracle_labels, run.labels, "oracle_labels")
    oracle = make_student(
        StudentSettings(kind=settings.oracle, seeds=[settings.seed]),
        len(run.labels),
        progress=progress,
    )
    oracle.fit(list(oracle_texts), y, settings.seed)
    pred = oracle.predict_proba(run.texts).argmax(axis=1) if run.cur.num_rows else []
    keep = np.array(
        [run.labels[p] == lab for p, lab in zip(pred, run.row_labels, strict=True)], dtype=bool
    )
    run.drop("label_filter", keep, [f"label_filter:{run.labels[p]}" for p in pred])


def _label_check(
    run: _Run,
    settings: RefineSettings,
    seed_texts: Sequence[str],
    seed_labels: Sequence[str],
    progress: bool,
    teacher: LabelScorer | None = None,
) -> dict[str, Any]:
    from synthesizrr.refine.label_check import check_labels

    checked = run.cur.num_rows
    res = check_labels(
        run.texts,
        run.row_labels,
        seed_texts=seed_texts,
        seed_labels=seed_labels,
        label_names=run.labels,
        settings=settings.label_check,
        progress=progress,
        teacher=teacher,
    )
    scores = [
        json.dumps({lab: round(float(v), 4) for lab, v in zip(run.labels, row, strict=True)})
        for row in res.scores
    ]
    extra = {
        "label_check_margin": pa.array(res.margin, type=pa.float64()),
        "label_check_scores": pa.array(scores, type=pa.string()),
    }
    keep = res.keep.copy()
    # A label the check would empty keeps its rows: an empty label fails the run at the
    # refine stage, and a few doubtful rows train a better student than none.
    spared = []
    row_labels = np.asarray(run.row_labels)
    for lab in run.labels:
        rows = row_labels == lab
        if rows.any() and not keep[rows].any():
            keep[rows] = True
            spared.append(lab)
    if spared:
        log.warning("label_check kept every row of %s: it would have left none", spared)
    run.drop("label_check", keep, [f"label_check:{p}" for p in res.predicted], extra)
    kept = int(keep.sum())
    return {
        "status": "skipped" if res.skipped else "done",
        **({"reason": res.skipped} if res.skipped else {}),
        **_check_method(settings.label_check, teacher),
        "tolerance": round(res.tolerance, 6),
        "tolerance_from": res.tolerance_from,
        "seed_loo_accuracy": res.seed_loo_accuracy,
        "checked": checked,
        "kept": kept,
        "kept_fraction": kept / checked if checked else None,
        **({"spared_labels": spared} if spared else {}),
    }


def _check_method(settings: LabelCheckSettings, teacher: LabelScorer | None) -> dict[str, Any]:
    """How the label check scored, for its summary."""
    model = getattr(teacher, "model", None)
    if settings.scorer == "teacher":
        return {"method": "teacher_likelihood", "model": model}
    if settings.scorer == "both":
        return {"method": "seed_centroid+teacher_likelihood",
                "model": f"{settings.model}+{model}"}  # fmt: skip
    return {"method": "seed_centroid", "model": settings.model}


def _removed_table(schema: pa.Schema, parts: list[pa.Table]) -> pa.Table:
    """The removed pieces as one table of ``schema``; a column a piece lacks (the label
    check's scores, for rows removed by another step) is null there."""
    out = [
        pa.table(
            [
                part.column(f.name) if f.name in part.column_names else pa.nulls(len(part), f.type)
                for f in schema
            ],
            schema=schema,
        )
        for part in parts
    ]
    return pa.concat_tables(out) if out else schema.empty_table()


def _cartography(
    run: _Run, settings: RefineSettings, progress: bool
) -> tuple[pa.Table | None, dict[str, Any]]:
    cfg = settings.cartography
    if not cfg.enabled:
        return None, {"status": "disabled"}
    counts = run.counts()
    present = [lab for lab, n in counts.items() if n > 0]
    if len(present) < 2:
        reason = f"fewer than 2 labels have rows ({present}): a scorer cannot be trained"
        log.warning("cartography skipped: %s", reason)
        run.steps["cartography"] = {"removed": 0, "kept": run.cur.num_rows}
        return None, {"status": "skipped", "reason": reason}
    index = {lab: i for i, lab in enumerate(run.labels)}
    y = np.array([index[lab] for lab in run.row_labels], dtype=np.int64)
    rows = carto.TrainingRows(run.texts, y, len(run.labels), settings.seed, progress)
    probs = carto.SCORERS[cfg.scorer](cfg, rows)
    dm = carto.datamap_from_probs(probs, y)
    chosen = carto.select_confident(dm.confidence, y, cfg.keep_fraction)
    keep = chosen.keep
    datamap = pa.table(
        {
            "row_id": pa.array(run.cur.column("row_id").to_pylist(), type=pa.string()),
            "label": pa.array(run.row_labels, type=pa.string()),
            "confidence": dm.confidence,
            "variability": dm.variability,
            "correctness": dm.correctness,
            "kept": keep,
        },
        schema=DATAMAP_SCHEMA,
    )
    run.drop("cartography", keep, ["cartography_low_confidence"] * len(y))
    info = {
        "status": "done",
        "scorer": cfg.scorer,
        "model": cfg.model,
        "epochs": cfg.epochs,
        "keep_fraction": cfg.keep_fraction,
        "keep_rule": "confidence >= the label's (1 - keep_fraction) quantile (linear); labels "
        "with fewer than ceil(1 / (1 - keep_fraction)) rows are not filtered",
        "thresholds": {run.labels[k]: v for k, v in chosen.thresholds.items()},
        "skipped_labels": {run.labels[k]: v for k, v in chosen.skipped.items()},
        "mean_confidence": float(dm.confidence.mean()),
    }
    return datamap, info


def refine(
    table: pa.Table,
    settings: RefineSettings | None = None,
    *,
    labels: Sequence[str],
    target_distribution: dict[str, float] | None = None,
    oracle_texts: Sequence[str] | None = None,
    oracle_labels: Sequence[str] | None = None,
    seed_texts: Sequence[str] | None = None,
    seed_labels: Sequence[str] | None = None,
    progress: bool = False,
    teacher: LabelScorer | None = None,
) -> RefineResult:
    """Filter generated rows; deterministic for ``settings.seed``.

    ``target_distribution`` (shares or counts per label) is used by ``resample='real'``.
    ``oracle_texts``/``oracle_labels`` (real labeled data) are needed by ``label_filter``,
    ``seed_texts``/``seed_labels`` (the seeds only) by ``label_check``, and ``teacher``
    ((texts, label names) -> (n, labels) log-likelihoods) by ``label_check.scorer:
    teacher``.
    """
    settings = settings or RefineSettings()
    labs = _validate(table, labels)
    if settings.label_check.enabled is True and (not seed_texts or seed_labels is None):
        raise ConfigError(
            "refine.label_check.enabled is true but no seeds (seed_texts, seed_labels) were "
            "passed.",
            fix="pass the seed texts and labels, or set refine.label_check.enabled to false",
        )
    if settings.label_check.enabled is not False and len(seed_texts or []) != len(
        seed_labels or []
    ):
        raise InputDataError(
            f"seed_texts has {len(seed_texts or [])} rows but seed_labels has "
            f"{len(seed_labels or [])}.",
            fix="pass one label per seed text",
        )
    if settings.label_filter and (not oracle_texts or oracle_labels is None):
        raise ConfigError(
            "refine.label_filter is true but no oracle data (oracle_texts, oracle_labels) "
            "was passed.",
            fix="pass the real train texts and labels, or set refine.label_filter to false",
        )
    if settings.label_filter and len(oracle_texts or []) != len(oracle_labels or []):
        raise InputDataError(
            f"oracle_texts has {len(oracle_texts or [])} rows but oracle_labels has "
            f"{len(oracle_labels or [])}.",
            fix="pass one label per oracle text",
        )
    run = _Run(table, labs)
    stats: dict[str, Any] = {"input_rows": table.num_rows, "input_per_label": run.counts()}

    words = [len(t.split()) for t in run.texts]
    too_long = [settings.max_words is not None and w > settings.max_words for w in words]
    short = [w < settings.min_words for w in words]
    keep = ~(np.array(short, dtype=bool) | np.array(too_long, dtype=bool))
    run.drop("length", keep, ["too_short" if s else "too_long" for s in short])

    if settings.dedup:
        dups = exact_duplicates(run.texts)
        run.drop(
            "exact_dup",
            np.array([d is None for d in dups], dtype=bool),
            ["exact_duplicate"] * len(dups),
        )
    if settings.near_dup:
        ids = run.cur.column("row_id").to_pylist()
        near = near_duplicates(
            run.texts,
            threshold=settings.near_dup_threshold,
            num_perm=settings.num_perm,
            seed=settings.seed,
        )
        run.drop(
            "near_dup",
            np.array([d is None for d in near], dtype=bool),
            [None if d is None else f"near_duplicate_of:{ids[d]}" for d in near],
        )
    enabled = settings.label_check.enabled
    why: str | None = None  # why the check is skipped (enabled: null, too few seeds)
    if enabled is None and (not seed_texts or seed_labels is None):
        why = "no seeds were passed"
    elif enabled is None:  # on where the seeds allow it
        from synthesizrr.refine.label_check import seed_shortfall

        assert seed_labels is not None
        shortfall = seed_shortfall(seed_labels, labs, settings.label_check)
        why = None if shortfall is None else shortfall[0]
    checked = enabled is True or (enabled is None and why is None)
    if checked:
        assert seed_texts is not None and seed_labels is not None
        stats["label_check"] = _label_check(
            run, settings, seed_texts, seed_labels, progress, teacher
        )
    elif why is not None:
        log.info("label_check skipped: %s", why)
        stats["label_check"] = {"status": "skipped", "reason": why}
    else:
        stats["label_check"] = {"status": "disabled"}
    if settings.label_filter:
        assert oracle_texts is not None and oracle_labels is not None
        _label_filter(run, settings, oracle_texts, oracle_labels, progress)

    datamap, stats["cartography"] = _cartography(run, settings, progress)

    dist = _target(settings, labs, target_distribution, run.counts())
    if dist is not None:
        counts, notes = target_counts(run.counts(), dist, labs, settings.target_size)
        keep = sample_rows(run.row_labels, counts, settings.seed)
        run.drop("resample", keep, ["resample"] * len(keep))
        stats["resample"] = {"mode": settings.resample, "target_counts": counts, "notes": notes}
        for note in notes:
            log.warning("resample: %s", note)
    else:
        stats["resample"] = {"mode": settings.resample, "target_counts": None, "notes": []}

    removed_schema = table.schema.append(pa.field("reason", pa.string()))
    if checked:
        for f in LABEL_CHECK_FIELDS:
            removed_schema = removed_schema.append(f)
    removed = _removed_table(removed_schema, run.removed)
    stats["steps"] = run.steps
    stats["kept_rows"] = run.cur.num_rows
    stats["kept_fraction"] = run.cur.num_rows / table.num_rows if table.num_rows else None
    stats["kept_per_label"] = run.counts()
    stats["removed_rows"] = removed.num_rows
    stats["removed_per_reason"] = dict(
        Counter(r.split(":", 1)[0] for r in removed.column("reason").to_pylist())
    )
    return RefineResult(kept=run.cur, removed=removed, datamap=datamap, stats=stats)
