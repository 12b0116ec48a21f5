"""The pipeline's stages, in order; each module here exports one ``STAGE``.

    seeds -> corpus -> index -> retrieve -> leakage -> generate -> refine -> evaluate -> report

A new stage is a module beside these with a :class:`~synthesizrr.pipeline.stage.Stage`
named ``STAGE``, its folder in :mod:`synthesizrr.layout`, and its place in the list below.
"""

from __future__ import annotations

from synthesizrr.pipeline.stage import Stage
from synthesizrr.pipeline.stages import (
    corpus,
    evaluate,
    generate,
    index,
    leakage,
    refine,
    report,
    retrieve,
    seeds,
)

STAGE_LIST: list[Stage] = [
    module.STAGE
    for module in (seeds, corpus, index, retrieve, leakage, generate, refine, evaluate, report)
]
STAGES: dict[str, Stage] = {s.name: s for s in STAGE_LIST}
