"""Students on real AG News: 200 balanced train rows, the first 1,000 test rows."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest

from synthesizrr.distill import StudentSettings, sample_like, train_and_evaluate
from synthesizrr.errors import ModelNotAvailableError

LABELS = ["World", "Sports", "Business", "Sci/Tech"]


def read(path: Path) -> tuple[list[str], list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["label"] for r in rows]


@pytest.fixture(scope="module")
def ag(shared_data: Path) -> dict[str, list[str]]:
    tx, ty = read(shared_data / "ag_news" / "train.csv")
    x, y = sample_like(tx, ty, {lab: 50 for lab in LABELS}, seed=0)
    ex, ey = read(shared_data / "ag_news" / "test.csv")
    return {"x": x, "y": y, "tx": ex[:1000], "ty": ey[:1000]}


def test_tfidf_lr_beats_chance(ag: dict[str, list[str]]) -> None:
    rep = train_and_evaluate(
        StudentSettings(kind="tfidf_lr"), ag["x"], ag["y"], ag["tx"], ag["ty"], labels=LABELS
    )
    assert (rep.n_train, rep.n_test, len(rep.per_seed), rep.bootstrap) == (200, 1000, 1, 100)
    assert rep.accuracy_ci is not None and rep.accuracy_ci[0] < rep.accuracy_ci[1]
    assert rep.train_label_counts == {lab: 50 for lab in LABELS}
    assert sum(map(sum, rep.confusion)) == 1000
    assert rep.accuracy_mean > 0.6  # chance is 0.25; measured 0.696
    assert rep.macro_f1_mean > 0.6


def test_embed_lr_beats_chance_and_caches_test_embeddings(
    ag: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = StudentSettings(kind="embed_lr")
    rep = train_and_evaluate(settings, ag["x"], ag["y"], ag["tx"], ag["ty"], labels=LABELS)
    assert rep.accuracy_mean > 0.75  # measured 0.834
    assert rep.macro_f1_mean > 0.75
    assert rep.labels == LABELS and len(rep.confusion) == 4

    from synthesizrr.embeddings import Embedder

    calls: list[int] = []
    real = Embedder.encode

    def counting(self, texts, **kw):  # type: ignore[no-untyped-def]
        calls.append(len(texts))
        return real(self, texts, **kw)

    monkeypatch.setattr(Embedder, "encode", counting)
    again = train_and_evaluate(
        settings, ag["x"][:100], ag["y"][:100], ag["tx"], ag["ty"], labels=LABELS
    )
    assert calls == []  # every train and test text came from the cache
    assert again.n_train == 100


def test_transformer_tiny_run(ag: dict[str, list[str]]) -> None:
    x, y = sample_like(ag["x"], ag["y"], {lab: 16 for lab in LABELS}, seed=1)
    settings = StudentSettings(kind="transformer", seeds=[0], epochs=1, max_length=64)
    rep = train_and_evaluate(settings, x, y, ag["tx"][:100], ag["ty"][:100], labels=LABELS)
    assert (rep.kind, rep.model, rep.n_train, rep.n_test) == ("transformer", "minilm", 64, 100)
    assert 0.0 <= rep.accuracy_mean <= 1.0 and rep.accuracy_std == 0.0
    assert sum(map(sum, rep.confusion)) == 100
    assert rep.signature.startswith("kind:transformer|model:minilm|lr:2e-05|bs:32|ep:1|")


def test_hub_name_fails_fast_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings = StudentSettings(kind="transformer", model="microsoft/deberta-v3-large", seeds=[0])
    t0 = time.perf_counter()
    with pytest.raises(ModelNotAvailableError, match="'microsoft/deberta-v3-large'.*not reachable"):
        train_and_evaluate(
            settings, ["a b c", "d e f"], ["x", "y"], ["a"], ["x"], labels=["x", "y"]
        )
    assert time.perf_counter() - t0 < 30


def test_missing_local_folder_is_not_available(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    settings = StudentSettings(kind="transformer", model=str(tmp_path), seeds=[0])
    with pytest.raises(ModelNotAvailableError, match="local folder .* failed to load"):
        train_and_evaluate(
            settings, ["a b c", "d e f"], ["x", "y"], ["a"], ["x"], labels=["x", "y"]
        )
