"""Self-BLEU (lexical diversity; lower is more diverse), exact and fast.

Definition (METHOD.md): each text is the hypothesis and all *other* texts are its
references; BLEU-n with uniform weights 1/n over orders 1..n and NLTK's smoothing
method 1 (epsilon 0.1 added to a zero match count); Self-BLEU-n is the mean over texts.

Why hand-written: NLTK's ``sentence_bleu`` (the reference) recounts every reference for
every hypothesis, O(N^2) in the number of texts, and no library computes the
leave-one-out variant faster. Two facts make it O(total tokens):

* clipping needs, per hypothesis n-gram, the max count over all texts *except the
  hypothesis itself*. Keep the top-2 per-text counts of every n-gram over the whole set:
  the leave-one-out max is the second count when the hypothesis holds the first, else
  the first (ties hold: two texts with the top count give top-2 == top-1);
* the brevity penalty needs the reference length closest to the hypothesis length
  (ties -> the shorter, as NLTK). Keep the sorted distinct lengths with their counts; the
  own length is available when >= 2 texts share it, otherwise the neighbours decide.

All counting is vectorized numpy over integer n-gram ids; the per-text arithmetic then
replicates NLTK's formula (equal to it within 1e-12 on real texts; see the tests and
``bench/metrics``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from synthesizrr.errors import require
from synthesizrr.metrics.base import Metric, MetricInputs, MetricResult, register
from synthesizrr.metrics.ngrams import NgramOccurrences, tokenize

log = logging.getLogger(__name__)

EPSILON = 0.1  # NLTK SmoothingFunction().method1 default


def _closest_other_length(lengths: np.ndarray) -> np.ndarray:
    """Per text: the length of another text closest to its own, ties -> shorter (NLTK)."""
    uniq, counts = np.unique(lengths, return_counts=True)
    i = np.searchsorted(uniq, lengths)
    big = np.iinfo(np.int64).max // 4
    lower = np.where(i > 0, uniq[np.maximum(i - 1, 0)], -big)
    upper = np.where(i + 1 < uniq.size, uniq[np.minimum(i + 1, uniq.size - 1)], big)
    neighbour = np.where(lengths - lower <= upper - lengths, lower, upper)
    return np.where(counts[i] >= 2, lengths, neighbour)


def self_bleu_scores(
    token_lists: Sequence[Sequence[str]],
    max_n: int = 5,
    hypotheses: np.ndarray | Sequence[int] | None = None,
) -> np.ndarray:
    """Per-hypothesis BLEU-1..max_n against all other texts: array (n_hyp, max_n).

    ``hypotheses`` are text indices (default: all texts); references are always every
    other text of ``token_lists``. Needs at least 2 texts.
    """
    n_texts = len(token_lists)
    if n_texts < 2:
        raise ValueError(f"Self-BLEU needs at least 2 texts, got {n_texts}")
    occ = NgramOccurrences(token_lists, max_n)
    lengths = occ.lengths
    numer = np.zeros((n_texts, max_n), dtype=np.int64)
    for n in range(1, max_n + 1):
        text, gram, count = occ.per_text_counts(n)
        if count.size == 0:
            continue
        # top-2 per-text counts of every n-gram: sort by (gram, -count)
        order = np.lexsort((-count, gram))
        sg, sc = gram[order], count[order]
        first = np.ones(sg.size, dtype=bool)
        first[1:] = sg[1:] != sg[:-1]
        second = np.zeros(sg.size, dtype=bool)
        second[1:] = first[:-1] & ~first[1:]
        top1 = np.zeros(occ.n_grams[n - 1], dtype=np.int64)
        top2 = np.zeros(occ.n_grams[n - 1], dtype=np.int64)
        top1[sg[first]] = sc[first]
        top2[sg[second]] = sc[second]
        t1, t2 = top1[gram], top2[gram]
        max_ref = np.where(count == t1, t2, t1)
        clipped = np.minimum(count, max_ref)
        numer[:, n - 1] = np.bincount(text, weights=clipped, minlength=n_texts).round()
    orders = np.arange(1, max_n + 1)
    denom = np.maximum(1, lengths[:, None] - orders[None, :] + 1)
    closest = _closest_other_length(lengths)
    idx = np.arange(n_texts) if hypotheses is None else np.asarray(hypotheses, dtype=np.int64)
    numer, denom, hyp_len, ref_len = numer[idx], denom[idx], lengths[idx], closest[idx]
    # smoothing method 1: a zero match count becomes epsilon
    precision = np.where(numer == 0, EPSILON / denom, numer / denom)
    logs = np.log(precision)
    with np.errstate(divide="ignore", invalid="ignore"):
        bp = np.where(
            hyp_len > ref_len,
            1.0,
            np.where(hyp_len == 0, 0.0, np.exp(1.0 - ref_len / np.maximum(hyp_len, 1))),
        )
    out = np.zeros((idx.size, max_n), dtype=np.float64)
    for n in range(1, max_n + 1):
        weight = 1.0 / n
        out[:, n - 1] = bp * np.exp(np.sum(weight * logs[:, :n], axis=1))
    out[numer[:, 0] == 0] = 0.0  # NLTK returns 0 when no unigram matches at all
    return out


def self_bleu_nltk(
    token_lists: Sequence[Sequence[str]],
    max_n: int = 5,
    hypotheses: Sequence[int] | None = None,
) -> np.ndarray:
    """The O(N^2) reference: NLTK ``sentence_bleu`` per hypothesis, all others as references.

    Same shape and meaning as :func:`self_bleu_scores`; used by the tests and benchmark.
    """
    bleu = require("nltk.translate.bleu_score", "metrics", "The NLTK Self-BLEU reference")
    smooth = bleu.SmoothingFunction().method1
    weights = [tuple([1.0 / n] * n) for n in range(1, max_n + 1)]
    lists = [list(t) for t in token_lists]
    idx = range(len(lists)) if hypotheses is None else hypotheses
    rows = []
    for i in idx:
        refs = lists[:i] + lists[i + 1 :]
        scores = bleu.sentence_bleu(refs, lists[i], weights, smoothing_function=smooth)
        rows.append(scores if isinstance(scores, list) else [scores] * max_n)
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), max_n)


@register
class SelfBleu(Metric):
    """Self-BLEU-1..max_n; headline = Self-BLEU at max_n (paper: Self-BLEU-5)."""

    name = "self_bleu"
    higher_is_better = False

    def signature_fields(self) -> dict[str, str]:
        s = self.settings
        sample = "all" if s.self_bleu_sample is None else f"{s.self_bleu_sample},seed:{s.seed}"
        return {
            "n": f"1-{s.self_bleu_max_n}",
            "smooth": "method1",
            "tok": s.tokenizer,
            "sample": sample,
        }

    def missing(self, inputs: MetricInputs) -> str | None:
        if len(inputs.texts) < 2:
            return "Self-BLEU needs at least 2 texts"
        return None

    def _compute(self, inputs: MetricInputs) -> MetricResult:
        s = self.settings
        tokens = tokenize(inputs.texts, s.tokenizer)
        hyps = None
        if s.self_bleu_sample is not None and s.self_bleu_sample < len(tokens):
            rng = np.random.default_rng(s.seed)
            hyps = np.sort(rng.choice(len(tokens), size=s.self_bleu_sample, replace=False))
        scores = self_bleu_scores(tokens, s.self_bleu_max_n, hyps)
        means = scores.mean(axis=0)
        details = {str(n): float(means[n - 1]) for n in range(1, s.self_bleu_max_n + 1)}
        details["n_hypotheses"] = int(scores.shape[0])
        details["n_texts"] = len(tokens)
        # The hypotheses are resampled and the references stay the whole set: a resample's
        # duplicate texts would otherwise find themselves among their references.
        top = scores[:, -1]
        reps = self.bootstrap(lambda idx: float(top[idx].mean()), int(top.size))
        return self.result(float(means[-1]), details, replicates=reps)
