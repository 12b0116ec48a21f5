from __future__ import annotations

import csv
import gzip
import itertools
from pathlib import Path

import numpy as np
import pytest

from synthesizrr.errors import ModelNotAvailableError
from synthesizrr.metrics import MetricsSettings, get_metric, mauve_from_features
from synthesizrr.testing import FakeEmbedder


def ms(**kw: object) -> MetricsSettings:
    """Settings with MiniLM features, so the tests' fake encoder (a MiniLM cache) is used."""
    return MetricsSettings(**{"mauve_features": "minilm", **kw})  # type: ignore[arg-type]


def gaussian(text: str) -> np.ndarray:
    """'p...' and 'q...' texts: standard normal; 'far...' texts: mean shifted by 8."""
    rng = np.random.default_rng(int(text.split("-")[1]) + (10_000 if text[0] == "q" else 0))
    return rng.normal(size=12) + (8.0 if text.startswith("far") else 0.0)


def _rows(texts: list[str]) -> np.ndarray:
    return np.asarray([gaussian(t) for t in texts], dtype=np.float32)


def gaussian_embedder() -> FakeEmbedder:
    return FakeEmbedder(12, name="minilm", features=gaussian)


def test_identical_distributions_score_high_disjoint_low() -> None:
    rng = np.random.default_rng(0)
    p = rng.normal(size=(300, 12))
    same = mauve_from_features(p, rng.normal(size=(300, 12)))
    far = mauve_from_features(p, rng.normal(size=(300, 12)) + 8.0)
    assert same > 0.9
    assert far < 0.1


def test_metric_overall_and_per_label_with_equal_sizes() -> None:
    real = [f"p-{i}" for i in range(200)]
    real_labels = ["a", "b"] * 100
    synth = [f"q-{i}" for i in range(60)] + [f"far-{i}" for i in range(60)]
    labels = ["a"] * 60 + ["b"] * 60
    cache = gaussian_embedder().cached()
    # scaling 5 spreads disjoint labels far apart (with the default 1 the 'b' label scores 0.56)
    result = get_metric("mauve", ms(seed=1, mauve_scaling=5.0), cache=cache).compute(
        synth, labels, real_texts=real, real_labels=real_labels
    )
    assert result.details["n_samples"] == 120
    assert result.details["per_label_n"] == {"a": 60, "b": 60}
    assert result.details["per_label"]["a"] > 0.9
    assert result.details["per_label"]["b"] < 0.1
    assert result.details["skipped_labels"] == {}
    again = get_metric("mauve", ms(seed=1, mauve_scaling=5.0), cache=cache).compute(
        synth, labels, real_texts=real, real_labels=real_labels
    )
    assert again == result  # seeded


def test_small_labels_are_listed_not_scored() -> None:
    cache = gaussian_embedder().cached()
    result = get_metric("mauve", ms(mauve_min_samples=10), cache=cache).compute(
        [f"q-{i}" for i in range(25)],
        ["a"] * 20 + ["b"] * 5,
        real_texts=[f"p-{i}" for i in range(40)],
        real_labels=["a", "b"] * 20,
    )
    assert set(result.details["per_label"]) == {"a"}
    assert result.details["skipped_labels"] == {"b": "20 real, 5 synthetic texts"}


def test_too_few_texts_overall_is_skipped_by_default() -> None:
    cache = gaussian_embedder().cached()
    result = get_metric("mauve", ms(), cache=cache).compute(
        [f"q-{i}" for i in range(21)], ["a"] * 21,
        real_texts=[f"p-{i}" for i in range(40)], real_labels=["a"] * 40,
    )  # fmt: skip
    assert result.value is None
    assert "MAUVE needs >= 50 texts per side" in result.details["skipped"]


def test_gpt2_features_offline_fail_with_model_not_available(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    metric = get_metric(
        "mauve", MetricsSettings(mauve_features="gpt2-not-cached-anywhere", mauve_min_samples=10)
    )
    with pytest.raises(ModelNotAvailableError, match="gpt2-not-cached-anywhere"):
        metric.compute(["a text"] * 12, real_texts=["b text"] * 12)


@pytest.mark.slow
def test_real_minilm_news_vs_news_and_reviews(shared_data: Path) -> None:
    """About 1-2 minutes on 2 busy cores (300 MiniLM embeddings)."""
    with (shared_data / "ag_news" / "test.csv").open(newline="") as fh:
        news = [r["text"] for r in csv.DictReader(fh)][:200]
    with gzip.open(shared_data / "imdb" / "test.csv.gz", "rt", newline="") as fh:
        reviews = [r["text"][:600] for r in itertools.islice(csv.DictReader(fh), 100)]
    metric = get_metric("mauve", ms())
    same = metric.compute(news[100:], real_texts=news[:100]).value
    other = metric.compute(reviews, real_texts=news[:100]).value
    assert same is not None and other is not None
    assert same > 0.9
    # At the paper's scaling 1 the scores are closer together than at mauve-text's 5.
    assert other < 0.6


def test_real_side_is_one_pool_of_max_samples() -> None:
    fake = gaussian_embedder()
    cache = fake.cached()
    settings = ms(mauve_max_samples=40, mauve_min_samples=10)
    result = get_metric("mauve", settings, cache=cache).compute(
        [f"q-{i}" for i in range(100)],
        ["a", "b"] * 50,
        real_texts=[f"p-{i}" for i in range(500)],
        real_labels=["a", "b"] * 250,
    )
    real_sent = [t for t in fake.texts if t.startswith("p-")]
    assert len(real_sent) == len(set(real_sent)) == 40
    assert result.details["real_pool"] == 40
    assert result.details["n_samples"] == 40
    assert sum(result.details["per_label_n"].values()) == 40


def test_label_matched_references_and_kmeans_seeds() -> None:
    fake = gaussian_embedder()
    cache = fake.cached()
    real = [f"p-{i}" for i in range(300)]
    real_labels = ["a", "b", "c"] * 100
    synth = [f"q-{i}" for i in range(80)]
    labels = ["a"] * 60 + ["b"] * 20  # no 'c': the overall reference has none either
    settings = ms(mauve_min_samples=10, mauve_kmeans_seeds=5, seed=2)
    metric = get_metric("mauve", settings, cache=cache)
    result = metric.compute(synth, labels, real_texts=real, real_labels=real_labels)
    assert result.details["reference"] == "label-matched"
    assert result.details["n_samples"] == 80
    # the 80 real references: 60 of label a, 20 of b (re-derive the draw to check)
    rng = np.random.default_rng(2)
    pool = np.sort(rng.choice(300, size=300, replace=False))
    pool_texts = [real[i] for i in pool]
    by_a = [t for t in pool_texts if real_labels[int(t[2:])] == "a"]
    by_b = [t for t in pool_texts if real_labels[int(t[2:])] == "b"]
    p = [by_a[i] for i in np.sort(rng.choice(len(by_a), 60, replace=False))]
    q = [synth[i] for i in np.sort(rng.choice(60, 60, replace=False))]
    p += [by_b[i] for i in np.sort(rng.choice(len(by_b), 20, replace=False))]
    q += [synth[60:][i] for i in np.sort(rng.choice(20, 20, replace=False))]
    runs = [mauve_from_features(_rows(p), _rows(q), scaling=1.0, seed=2 + k)
            for k in range(5)]  # fmt: skip
    assert result.details["per_kmeans_seed"] == pytest.approx(runs, abs=1e-12)
    assert result.value == pytest.approx(np.mean(runs), abs=1e-12)
    assert result.details["std"] == pytest.approx(np.std(runs), abs=1e-12)
    assert len(set(fake.texts)) == len(
        fake.texts
    )  # every text embedded once, shared across comparisons


def test_default_signature_names_features_scaling_references_and_seeds() -> None:
    from synthesizrr import __version__

    assert get_metric("mauve").signature() == (
        "mauve|feat:smollm2-last|max:1000|scale:1|buckets:auto|ref:label-matched|kmeans:5"
        f"|seed:0|version:{__version__}"
    )
    gpt2 = get_metric("mauve", MetricsSettings(mauve_features="gpt2-large"))
    assert "|feat:gpt2-large-last|" in gpt2.signature()
    assert "|feat:minilm|" in get_metric("mauve", ms()).signature()


TEXTS = ["Stocks fell on Tuesday.", "The team won the cup after a long season.", "", "Oil."]


def test_teacher_features_are_last_token_hidden_states_batching_does_not_change_them() -> None:
    pytest.importorskip("gguf")
    from synthesizrr.metrics.lm_features import last_token_features

    feats = last_token_features("smollm2", TEXTS, batch_size=4)
    assert feats.shape == (4, 576) and feats.dtype == np.float32  # SmolLM2-135M hidden size
    one_by_one = np.stack([last_token_features("smollm2", [t])[0] for t in TEXTS])
    np.testing.assert_allclose(feats, one_by_one, rtol=0, atol=2e-3)
    cos = (
        (feats * one_by_one).sum(1)
        / np.linalg.norm(feats, axis=1)
        / np.linalg.norm(one_by_one, axis=1)
    )
    assert cos.min() > 0.99999
    assert not np.allclose(feats[0], feats[1], atol=1.0)
    np.testing.assert_array_equal(one_by_one[2], last_token_features("smollm2", [" "])[0])


def test_teacher_features_match_llama_cpp_reference() -> None:
    """The reference implementation: llama.cpp's own last-token pooling of the same GGUF."""
    pytest.importorskip("gguf")
    llama_cpp = pytest.importorskip("llama_cpp")
    from synthesizrr.metrics.lm_features import last_token_features
    from synthesizrr.models import resolve_llm_path

    llm = llama_cpp.Llama(
        model_path=str(resolve_llm_path("smollm2")), embedding=True, n_ctx=128, n_batch=128,
        pooling_type=llama_cpp.LLAMA_POOLING_TYPE_LAST, n_threads=1, verbose=False,
    )  # fmt: skip
    ref = np.asarray([llm.embed(t) for t in TEXTS[:2]], dtype=np.float32)
    llm.close()
    ours = last_token_features("smollm2", TEXTS[:2])
    cos = (ref * ours).sum(1) / np.linalg.norm(ref, axis=1) / np.linalg.norm(ours, axis=1)
    assert cos.min() > 0.999  # llama.cpp multiplies with 4-bit weights and 8-bit activations


def test_converted_teacher_is_reused_from_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("gguf")
    import transformers

    from synthesizrr.metrics import lm_features
    from synthesizrr.models import resolve_llm_path

    lm_features.last_token_features("smollm2", ["warm the cache"])
    folder = lm_features.converted_dir(resolve_llm_path("smollm2"), transformers.__version__)
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {
        p.name for p in folder.iterdir()
    }

    def no_conversion(*args: object) -> None:
        raise AssertionError("converted again")

    monkeypatch.setattr(lm_features, "_convert", no_conversion)
    lm_features.load_lm.cache_clear()
    assert lm_features.last_token_features("smollm2", ["again"]).shape == (1, 576)


def test_signature_says_unmatched_without_labels() -> None:
    cache = gaussian_embedder().cached()
    metric = get_metric("mauve", ms(mauve_min_samples=10, mauve_kmeans_seeds=1), cache=cache)
    result = metric.compute([f"q-{i}" for i in range(30)], real_texts=[f"p-{i}" for i in range(30)])
    assert result.details["reference"] == "unmatched"
    assert "|ref:unmatched|" in result.signature


def test_bootstrap_resamples_each_side_within_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    from synthesizrr.distill.bootstrap import stratified_resample
    from synthesizrr.metrics import mauve_score
    from synthesizrr.metrics.intervals import Z95

    calls: list[tuple[np.ndarray, np.ndarray, int]] = []

    def fake_mauve(p: np.ndarray, q: np.ndarray, **kw: object) -> float:
        calls.append((p, q, int(kw["seed"])))  # type: ignore[call-overload]
        return float(q[:, 0].mean() - p[:, 0].mean())

    monkeypatch.setattr(mauve_score, "mauve_from_features", fake_mauve)
    real = [f"p-{i}" for i in range(40)]
    synth = [f"q-{i}" for i in range(30)]
    labels = ["a"] * 20 + ["b"] * 10
    metric = get_metric("mauve", ms(mauve_bootstrap=4, mauve_kmeans_seeds=1, mauve_min_samples=5,
                                    seed=2), cache=gaussian_embedder().cached())  # fmt: skip
    result = metric.compute(synth, labels, real_texts=real, real_labels=["a", "b"] * 20)
    (p0, q0, _), boots = calls[0], calls[-4:]
    strata = np.repeat([0, 1], [20, 10])  # label-matched: 20 'a' and 10 'b' on each side
    rng = np.random.default_rng(2)
    expected = []
    for b, (p, q, seed) in enumerate(boots):
        ip, iq = stratified_resample(strata, rng), stratified_resample(strata, rng)
        assert seed == 2 + b
        assert np.array_equal(p, p0[ip]) and np.array_equal(q, q0[iq])
        expected.append(float(q0[iq][:, 0].mean() - p0[ip][:, 0].mean()))
    sd = float(np.std(expected, ddof=1))
    assert result.details["bootstrap"] == {"resamples": 4, "sd": pytest.approx(sd)}
    assert result.ci == pytest.approx([result.value - Z95 * sd, result.value + Z95 * sd])
    off = get_metric("mauve", ms(mauve_kmeans_seeds=1, mauve_min_samples=5),
                     cache=gaussian_embedder().cached())  # fmt: skip
    assert off.compute(synth, labels, real_texts=real, real_labels=["a", "b"] * 20).ci is None
