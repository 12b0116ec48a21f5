from __future__ import annotations

import numpy as np
import pytest

from synthesizrr.metrics import MetricsSettings, get_metric, self_bleu_nltk, self_bleu_scores
from synthesizrr.metrics.ngrams import tokenize


def test_equals_nltk_on_150_real_ag_news_texts(ag_train: tuple[list[str], list[str]]) -> None:
    tokens = tokenize(ag_train[0][:150], "ws-lower")
    fast = self_bleu_scores(tokens, 5)
    ref = self_bleu_nltk(tokens, 5)
    assert fast.shape == ref.shape == (150, 5)
    assert np.max(np.abs(fast - ref)) <= 1e-9
    # the metric's mean is the mean of the per-text NLTK scores
    result = get_metric("self_bleu").compute(ag_train[0][:150])
    for n in range(1, 6):
        assert result.details[str(n)] == pytest.approx(ref[:, n - 1].mean(), abs=1e-9)
    assert result.value == result.details["5"]


@pytest.mark.parametrize("tokenizer", ["ws", "regex-lower"])
def test_equals_nltk_other_tokenizers(
    ag_train: tuple[list[str], list[str]], tokenizer: str
) -> None:
    tokens = tokenize(ag_train[0][200:260], tokenizer)
    assert np.max(np.abs(self_bleu_scores(tokens, 4) - self_bleu_nltk(tokens, 4))) <= 1e-9


def test_edge_cases_equal_nltk() -> None:
    # empty text, texts shorter than n, duplicates (a copy is a reference), repeated
    # n-grams (clipping), length ties in the brevity penalty (shorter wins)
    tokens = [
        [],
        ["a"],
        ["a"],
        ["b", "c"],
        ["a", "b", "a", "b", "a"],
        ["x", "y", "z", "w", "v", "u"],
        ["a", "b", "a"],
        ["a", "b", "a", "b", "a", "b", "a"],
        ["q"] * 9,
    ]
    fast = self_bleu_scores(tokens, 5)
    ref = self_bleu_nltk(tokens, 5)
    assert np.max(np.abs(fast - ref)) <= 1e-12
    assert fast[0].tolist() == [0.0] * 5  # no unigram match -> 0, as NLTK


def test_two_identical_texts_score_one() -> None:
    tokens = [["the", "cat", "sat", "on", "the", "mat"]] * 2
    assert self_bleu_scores(tokens, 5).tolist() == [[1.0] * 5, [1.0] * 5]


def test_sampled_mode_is_a_seeded_subset(ag_train: tuple[list[str], list[str]]) -> None:
    texts = ag_train[0][:120]
    full = self_bleu_scores(tokenize(texts), 5)
    settings = MetricsSettings(self_bleu_sample=30, seed=3)
    a = get_metric("self_bleu", settings).compute(texts)
    b = get_metric("self_bleu", settings).compute(texts)
    assert a == b
    assert a.details["n_hypotheses"] == 30
    idx = np.sort(np.random.default_rng(3).choice(120, size=30, replace=False))
    assert a.details["5"] == pytest.approx(full[idx, 4].mean(), abs=1e-12)
    assert a.signature == (
        "self_bleu|n:1-5|smooth:method1|tok:ws-lower|sample:30,seed:3|version:0.1.0"
    )


def test_single_text_is_skipped() -> None:
    result = get_metric("self_bleu").compute(["only one"])
    assert result.value is None
    assert result.details == {"skipped": "Self-BLEU needs at least 2 texts"}


def test_spacy_tokenizer_keeps_case_and_splits_like_spacy() -> None:
    text = "Don't stop, U.S. markets!  Wall St. rose 3.5% (AP)"
    assert tokenize([text], "spacy") == [
        ["Do", "n't", "stop", ",", "U.S.", "markets", "!", "Wall", "St.", "rose", "3.5", "%",
         "(", "AP", ")"]
    ]  # fmt: skip


def test_spacy_self_bleu_equals_nltk_on_the_same_tokens(
    ag_train: tuple[list[str], list[str]],
) -> None:
    texts = ag_train[0][300:360]
    tokens = tokenize(texts, "spacy")
    ref = self_bleu_nltk(tokens, 5)
    assert np.max(np.abs(self_bleu_scores(tokens, 5) - ref)) <= 1e-9
    result = get_metric("self_bleu", MetricsSettings(tokenizer="spacy")).compute(texts)
    assert result.value == pytest.approx(ref[:, 4].mean(), abs=1e-12)
    assert "|tok:spacy|" in result.signature
    # the protocols differ on the same texts: case and punctuation count under spaCy
    assert result.value != get_metric("self_bleu").compute(texts).value
