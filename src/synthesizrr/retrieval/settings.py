"""Settings of the retrieval stage (index building and seed-as-query retrieval)."""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from synthesizrr.settings_base import StrictModel

#: Settings that change what an index holds; the index fingerprint covers exactly these.
INDEX_FIELDS: dict[str, tuple[str, ...]] = {
    "dense": ("model", "embed_backend", "index", "shards", "ivf_nlist", "hnsw_m"),
    "bm25": ("bm25_k1", "bm25_b"),
    "random": (),
}


class PercentileBand(StrictModel):
    """A similarity band as percentiles of the run's own retrieval scores.

    ``{percentile: [10, 99]}`` keeps scores from the 10th to the 99th percentile (numpy's
    linear interpolation) of the scores the band applies to: for the generation band the
    scores at ranks >= ``gen_min_rank`` outside ``shot_ranks``, for the shot band those at
    ``shot_ranks``, over every seed. The resolved cosines are recorded in the manifest.
    """

    percentile: tuple[float, float] = Field(description="(low, high), 0 <= low <= high <= 100")

    @model_validator(mode="after")
    def _check(self) -> PercentileBand:
        lo, hi = self.percentile
        if not 0 <= lo <= hi <= 100:
            raise ValueError(f"percentile {list(self.percentile)} must be [low, high] with "
                             "0 <= low <= high <= 100")  # fmt: skip
        return self


#: Percentile bands measured for the bundled embedder (bench/retrieval/BANDS.md: 200 AG
#: News seeds against nested samples of the news passages): with the reuse cap of 1, 169 of
#: 200 seeds keep a shot document on 8,000 passages (141 on 800, rising with the sample;
#: the paper's cosines: 50 and 11). The default where no band or cosine bound is set.
MEASURED_BANDS: dict[str, dict[str, tuple[float, float]]] = {
    "minilm": {"gen": (10.0, 99.0), "shot": (10.0, 99.0)},
}

BandKind = Literal["cosine", "percentile"]


class RetrievalSettings(StrictModel):
    """How passages are indexed and how each seed's text retrieves its documents.

    The similarity band (``sim_min``/``sim_max`` and ``shot_sim_min``/``shot_sim_max``) is
    a cosine band. It applies to dense retrieval always; to BM25, whose scores are not
    cosines, only where the field is set explicitly in the config (then on BM25 scores);
    never to random retrieval, whose score is NaN.
    """

    retriever: Literal["dense", "bm25", "random"] = Field(
        default="dense",
        description="'dense' (sentence embeddings + FAISS, the paper's method), 'bm25' "
        "(bm25s) or 'random' (uniform passages, the paper's ablation).",
    )
    model: str = Field(
        default="minilm",
        description="Dense embedding model: 'minilm' (bundled all-MiniLM-L6-v2), a local "
        "sentence-transformers folder, or a hub name where the hub is reachable.",
    )
    embed_backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        default="torch",
        description="How passages and seeds are embedded: 'torch' (sentence-transformers), "
        "'onnx' (ONNX Runtime, float32, same vectors) or 'onnx-int8' (passages with int8 "
        "weights, ~1.6x faster on a 2-core AVX2 CPU, cosine ~0.99 to torch; queries with "
        "the float32 graph; recall@50 vs torch ~0.93, see bench/retrieval).",
    )
    index: Literal["flat", "ivf", "hnsw"] = Field(
        default="flat",
        description="FAISS index: 'flat' exact inner product (paper), or approximate 'ivf' / "
        "'hnsw' for large corpora.",
    )
    shards: int = Field(
        default=1, ge=1, description="Split the dense index into this many FAISS indexes."
    )
    ivf_nlist: int | None = Field(
        default=None, ge=1, description="IVF lists; default 4*sqrt(passages), at most n/39."
    )
    ivf_nprobe: int = Field(default=32, ge=1, description="IVF lists searched per query.")
    hnsw_m: int = Field(default=32, ge=4, description="HNSW neighbours per node.")
    hnsw_ef_search: int = Field(default=128, ge=1, description="HNSW search breadth.")
    bm25_k1: float = Field(default=1.5, gt=0, description="BM25 term-frequency saturation.")
    bm25_b: float = Field(default=0.75, ge=0, le=1, description="BM25 length normalization.")
    top_k: int = Field(default=50, ge=1, description="Documents retrieved per seed (paper: 50).")
    sim_min: float | None = Field(
        default=0.4, description="Drop documents less similar to the seed (paper: 0.4)."
    )
    sim_max: float | None = Field(
        default=0.9, description="Drop near-copies of the seed above this (paper: 0.9)."
    )
    max_seeds_per_doc: int | None = Field(
        default=1,
        ge=1,
        description="How many seeds may use one document (shots and generation together); "
        "assigned greedily: shot pairs first (each seed's best shot before any seed's "
        "second), then generation pairs; within that by descending score, then seed order, "
        "then rank. null: no cap (the original code).",
    )
    sim_band: PercentileBand | None = Field(
        default=None,
        description="Generation band as percentiles of this run's scores, e.g. "
        "{percentile: [10, 99]}; replaces sim_min/sim_max. Unset, with neither cosine bound "
        "set and the bundled 'minilm' model, the measured default band applies (see "
        "MEASURED_BANDS); the paper's cosines were set for Contriever.",
    )
    shot_sim_band: PercentileBand | None = Field(
        default=None,
        description="Shot band as percentiles of this run's shot-rank scores; replaces "
        "shot_sim_min/shot_sim_max (default as for sim_band).",
    )
    shot_ranks: tuple[int, int] | None = Field(
        default=(1, 2),
        description="Ranks (1-based, inclusive) whose documents become RETRICL shots "
        "(paper: 1-2); null for no shots.",
    )
    shot_sim_min: float | None = Field(
        default=0.5, description="Minimum similarity of a shot document (paper: 0.5)."
    )
    shot_sim_max: float | None = Field(
        default=0.9, description="Maximum similarity of a shot document (paper: 0.9)."
    )
    gen_min_rank: int = Field(
        default=3,
        ge=1,
        description="First rank whose documents are used for generation (paper: 3).",
    )
    article_pattern: str | None = Field(
        default=None,
        description="Regular expression whose group 1 is the source article in a doc_id, "
        "for corpora chunked before they were read (the bundled news passages: "
        "'^(.*):\\d+$'); a RETRICL shot never comes from the article being rewritten. "
        "null: the article is the doc_id (passages chunked here share their doc_id).",
    )
    index_cache: str | None = Field(
        default=None,
        description="Shared folder for indexes, reused across runs; each index is keyed by "
        "a fingerprint of the passages' content and the index settings. null: the index is "
        "kept in the run directory. A relative path is relative to the working directory.",
    )
    batch_size: int = Field(default=64, ge=1, description="Embedding batch size.")

    @model_validator(mode="after")
    def _check_ranges(self) -> RetrievalSettings:
        for lo_name, hi_name in (("sim_min", "sim_max"), ("shot_sim_min", "shot_sim_max")):
            lo, hi = getattr(self, lo_name), getattr(self, hi_name)
            # Only bounds that apply: a bm25 run's unset sim_max (0.9) bounds nothing.
            applies = self.band_applies(lo_name) and self.band_applies(hi_name)
            if applies and lo is not None and hi is not None and lo > hi:
                raise ValueError(f"{lo_name} ({lo}) is above {hi_name} ({hi})")
        if self.sim_band is not None and {"sim_min", "sim_max"} & self.model_fields_set:
            raise ValueError("set either sim_band (percentiles) or sim_min/sim_max (cosines)")
        if self.shot_sim_band is not None and {"shot_sim_min", "shot_sim_max"} & (
            self.model_fields_set
        ):
            raise ValueError(
                "set either shot_sim_band (percentiles) or shot_sim_min/shot_sim_max (cosines)"
            )
        if self.article_pattern is not None:
            try:
                groups = re.compile(self.article_pattern).groups
            except re.error as exc:
                raise ValueError(f"article_pattern is not a regular expression ({exc})") from None
            if groups < 1:
                raise ValueError("article_pattern needs a group: the article, e.g. '^(.*):\\d+$'")
        if self.shot_ranks is not None:
            lo, hi = self.shot_ranks
            if not 1 <= lo <= hi:
                raise ValueError(
                    f"shot_ranks {self.shot_ranks} must be (first, last), 1 <= first <= last"
                )
        return self

    #: Unset, the measured band (dense) or no bound (bm25) applies: see :meth:`band`.
    set_matters: ClassVar[frozenset[str]] = frozenset(
        {"sim_min", "sim_max", "shot_sim_min", "shot_sim_max"}
    )

    #: Settings that only steer the seed queries; the index stage's fingerprint leaves them out.
    QUERY_FIELDS: ClassVar[tuple[str, ...]] = (
        "top_k", "sim_min", "sim_max", "max_seeds_per_doc", "shot_ranks", "shot_sim_min",
        "shot_sim_max", "gen_min_rank", "sim_band", "shot_sim_band", "article_pattern",
    )  # fmt: skip

    def index_stage_dump(self) -> dict[str, object]:
        """What the index stage is fingerprinted on: every setting but the query ones."""
        return self.model_dump(mode="json", exclude=set(self.QUERY_FIELDS))

    def index_settings(self) -> dict[str, object]:
        """The settings that determine the index's content (part of its fingerprint)."""
        return {"retriever": self.retriever} | {
            name: getattr(self, name) for name in INDEX_FIELDS[self.retriever]
        }

    def band(self, which: Literal["gen", "shot"]) -> tuple[BandKind, float | None, float | None]:
        """The band of generation or shot documents: ("percentile", low, high) or
        ("cosine", min, max), bounds None where they do not apply."""
        explicit = self.sim_band if which == "gen" else self.shot_sim_band
        lo_name, hi_name = ("sim_min", "sim_max") if which == "gen" else ("shot_sim_min",
                                                                        "shot_sim_max")  # fmt: skip
        if self.retriever == "random":
            return "cosine", None, None
        if explicit is not None:
            return "percentile", *explicit.percentile
        cosine_set = {lo_name, hi_name} & self.model_fields_set
        if not cosine_set and self.retriever == "dense" and self.model in MEASURED_BANDS:
            return "percentile", *MEASURED_BANDS[self.model][which]
        lo = getattr(self, lo_name) if self.band_applies(lo_name) else None
        hi = getattr(self, hi_name) if self.band_applies(hi_name) else None
        return "cosine", lo, hi

    def band_applies(self, name: str) -> bool:
        """Whether a similarity bound (``sim_min`` ...) is used for this retriever."""
        if self.retriever == "random":
            return False
        if self.retriever == "bm25":
            return name in self.model_fields_set
        return True
