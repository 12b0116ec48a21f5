"""Retrieval stage: index passages, then use each seed's text as a query.

    from synthesizrr.retrieval import RetrievalSettings, build_index, retrieve

    info = build_index(settings, passages_path, index_dir)       # reused when up to date
    pairs = retrieve(settings, passages_path, index_dir, seeds)   # seed_id, label, passage_id,
                                                                  # doc_id, rank, score, role

Retrievers share one contract (:class:`Retriever`): ``dense`` (sentence embeddings in
FAISS; flat, IVF or HNSW; optionally sharded), ``bm25`` (bm25s) and ``random``. Heavy
libraries (faiss, bm25s, torch) are imported only when an index is built or loaded.
"""

from synthesizrr.retrieval.assign import Pair, PairArrays, select_pair_arrays, select_pairs
from synthesizrr.retrieval.base import Retriever, fingerprint, passages_digest
from synthesizrr.retrieval.settings import RetrievalSettings
from synthesizrr.retrieval.stage import RETRIEVERS, build_index, load_retriever, retrieve

__all__ = [
    "RETRIEVERS",
    "Pair",
    "PairArrays",
    "RetrievalSettings",
    "Retriever",
    "build_index",
    "fingerprint",
    "load_retriever",
    "passages_digest",
    "retrieve",
    "select_pair_arrays",
    "select_pairs",
]
