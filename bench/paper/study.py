"""The study's design: datasets (with their paired corpora), methods, and one config each.

Every (dataset, method) is one run of the pipeline built with ``config_from_dict``. All
methods of a dataset share one parent folder (``<run-dir>/<dataset>/<method>``), the same
seeds (same file, per-label count and run seed), the same corpus passages (same corpus
settings) and, through ``retrieval.index_cache``, one index per (corpus, settings).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DATA = REPO.parent / "shared" / "data"

NEWS = "corpus_news_passages/passages.jsonl.gz"
MOVIES = "corpus_imdb_unsup/corpus.jsonl.gz"
PRODUCTS = "corpus_amazon_product_titles/corpus.jsonl"


@dataclass(frozen=True)
class Dataset:
    """One task of the study: labeled files, fields, its paired corpus and prompt preset."""

    name: str
    preset: str
    seeds: str
    test: str
    corpus: str
    text_field: str = "text"
    label_field: str = "label"
    #: Passages shorter than this many words are dropped (product titles are short).
    corpus_min_tokens: int = 20
    #: The paper's seed count: 50 per label for multi-class tasks, 100 for binary tasks.
    paper_seeds_per_label: int = 50


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset("ag_news", "ag_news", "ag_news/train.csv", "ag_news/test.csv", NEWS),
        Dataset(
            "hyperpartisan", "hyperpartisan", "hyperpartisan/train.csv",
            "hyperpartisan/test.csv", NEWS, paper_seeds_per_label=100,
        ),
        Dataset(
            "imdb", "imdb", "imdb/train.csv.gz", "imdb/test.csv.gz", MOVIES,
            paper_seeds_per_label=100,
        ),
        Dataset(
            "sst2", "sst2", "sst2/train.csv", "sst2/test.csv", MOVIES, paper_seeds_per_label=100
        ),
        # The humor task's text is the customer question; `product_description` (the
        # product title) stays unused, as the corpus already holds the product titles.
        Dataset(
            "amazon_humor", "amazon_humor", "amazon_humor/train.csv", "amazon_humor/test.csv",
            PRODUCTS, corpus_min_tokens=2, paper_seeds_per_label=100,
        ),
        Dataset(
            "amazon_polarity", "amazon_polarity", "amazon_polarity/seed_pool.csv",
            "amazon_polarity/test.csv", PRODUCTS, corpus_min_tokens=2,
            paper_seeds_per_label=100,
        ),
        Dataset(
            "category", "category", "amazon_multidomain_blitzer/train.csv",
            "amazon_multidomain_blitzer/test.csv", PRODUCTS, label_field="category",
            corpus_min_tokens=2,
        ),
    )
}  # fmt: skip


@dataclass(frozen=True)
class Method:
    """A prompt mode and its number of in-context examples."""

    name: str
    mode: str
    shots: int
    title: str


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("fewgen_0", "fewgen", 0, "FewGen 0-shot"),
        Method("fewgen_32", "fewgen", 32, "FewGen 32-shot"),
        Method("nonretricl_32", "non_retricl", 32, "SynthesizRR NON-RETRICL 32-shot"),
        Method("retricl_0", "retricl", 0, "SynthesizRR RETRICL 0-shot"),
        Method("retricl_3", "retricl", 3, "SynthesizRR RETRICL 3-shot"),
    )
}
#: The gold reference is not a run: every run's evaluate stage trains the same student on
#: as many real train rows (same label distribution); it is reported once per dataset.
GOLD = "gold"
#: Resamples behind each run's MAUVE interval (the other metrics use metrics.bootstrap's 200).
MAUVE_BOOTSTRAP = 30


@dataclass(frozen=True)
class StudySettings:
    """The sizes and switches shared by every run of one study (from the CLI)."""

    run_dir: Path
    per_label: int = 25
    seeds_per_label: int | None = None
    max_test: int | None = 1000
    teacher: str = "smollm2"
    base_url: str | None = None
    model: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    corpus_fraction: float | None = None
    retriever: str = "dense"
    embed_backend: str = "torch"
    #: None: the library's default similarity band (percentiles of the run's own scores).
    sim_min: float | None = None
    many_shots: int = 32
    max_document_chars: int = 800
    max_shot_chars: int | None = None
    shot_sim_min: float | None = None
    n_ctx: int = 4096
    llm_threads: int | None = 1
    oracle: str = "embed_lr"
    cartography: bool = True
    #: evaluation.size: every method of a dataset scored (and its student trained) at this N.
    size: int | None = None
    #: generation.prompt.shot_groups, the same for every method (None: the library default).
    shot_groups: int | None = None
    #: A variant of the same datasets (other sizes or settings): ``<dataset>-<tag>`` folders.
    tag: str | None = None
    seed: int = 0

    def folder(self, dataset: str) -> Path:
        """Where the runs of ``dataset`` live (all its methods side by side)."""
        return self.run_dir / (f"{dataset}-{self.tag}" if self.tag else dataset)


def llm_section(s: StudySettings) -> dict[str, Any]:
    """The teacher: an embedded GGUF model, or any OpenAI-compatible server."""
    if s.teacher == "openai":
        return {
            "backend": "openai",
            "model": s.model or "meta-llama/Llama-3.1-8B-Instruct",
            "base_url": s.base_url or "http://127.0.0.1:8000/v1",
            "api_key_env": s.api_key_env,
            "concurrency": 16,
        }
    return {
        "backend": "llamacpp",
        "model": s.teacher,
        "n_ctx": s.n_ctx,
        "n_threads": s.llm_threads,
        "concurrency": 1,
    }


def build_config(ds: Dataset, method: Method, s: StudySettings) -> dict[str, Any]:
    """The run config (as a dict for ``config_from_dict``) of one (dataset, method)."""
    shots = s.many_shots if method.shots == 32 else method.shots
    retrieval: dict[str, Any] = {
        "retriever": s.retriever,
        "embed_backend": s.embed_backend,
        "index_cache": str(s.run_dir / "index_cache"),
    }
    if s.retriever == "dense" and s.sim_min is not None:
        retrieval["sim_min"] = s.sim_min
    if s.retriever == "dense" and s.shot_sim_min is not None:
        retrieval["shot_sim_min"] = s.shot_sim_min
    corpus: dict[str, Any] = {
        "path": str(DATA / ds.corpus),
        "min_tokens": ds.corpus_min_tokens,
    }
    if s.corpus_fraction is not None:
        corpus["sample_fraction"] = s.corpus_fraction
    cfg: dict[str, Any] = {
        "name": method.name,
        "run_dir": str(s.folder(ds.name)),
        "seed": s.seed,
        "task": {"preset": ds.preset},
        "seeds": {
            "path": str(DATA / ds.seeds),
            "text_field": ds.text_field,
            "label_field": ds.label_field,
            "per_label": s.seeds_per_label or ds.paper_seeds_per_label,
        },
        "retrieval": retrieval,
        "generation": {
            "per_label": s.per_label,
            "prompt": {
                "mode": method.mode,
                "shots": shots,
                "max_document_chars": s.max_document_chars,
                "max_shot_chars": s.max_shot_chars,
                **({"shot_groups": s.shot_groups} if s.shot_groups is not None else {}),
            },
            "llm": llm_section(s),
        },
        "refine": {"cartography": {"enabled": s.cartography}},
        "evaluation": {
            "test_path": str(DATA / ds.test),
            "text_field": ds.text_field,
            "label_field": ds.label_field,
            "max_test": s.max_test,
            "metrics": {"oracle": s.oracle, "mauve_bootstrap": MAUVE_BOOTSTRAP},
            **({"size": s.size} if s.size is not None else {}),
        },
    }
    if method.mode in ("retricl", "non_retricl"):
        cfg["corpus"] = corpus
    return cfg
