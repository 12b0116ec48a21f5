"""Refinement: filter generated rows before distillation, keeping every removal's reason.

``refine(table, settings, labels=...) -> RefineResult`` runs, in order: length bounds,
exact duplicates, near duplicates (MinHash LSH), an optional seed-only label check
(:mod:`synthesizrr.refine.label_check`), an optional oracle label filter, dataset
cartography (keep the most confident fraction per label) and resampling to a target label
distribution. Importing this package does not import torch, datasketch or scikit-learn.
"""

from __future__ import annotations

from synthesizrr.refine.core import DATAMAP_SCHEMA, RefineResult, refine
from synthesizrr.refine.settings import CartographySettings, LabelCheckSettings, RefineSettings

__all__ = [
    "DATAMAP_SCHEMA",
    "CartographySettings",
    "LabelCheckSettings",
    "RefineResult",
    "RefineSettings",
    "refine",
]
