"""Corpus stage: read unlabeled documents and cut them into passages for retrieval.

    from synthesizrr.corpus import CorpusSettings, prepare_passages, read_labeled

    stats = prepare_passages(CorpusSettings(path="news.jsonl.gz"), out, base_dir=cfg_dir)
    seeds = read_labeled("train.csv", base_dir=cfg_dir)  # text, label, line

Nothing heavy is imported here; pyarrow is imported where a file is written.
"""

from synthesizrr.corpus.labeled import read_labeled
from synthesizrr.corpus.passages import Document, PassageStats, iter_documents, prepare_passages
from synthesizrr.corpus.settings import CorpusSettings

__all__ = [
    "CorpusSettings",
    "Document",
    "PassageStats",
    "iter_documents",
    "prepare_passages",
    "read_labeled",
]
