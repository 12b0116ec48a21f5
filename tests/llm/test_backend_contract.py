from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from synthesizrr.errors import BackendError, ConfigError
from synthesizrr.generation.engine import Prices
from synthesizrr.generation.estimate import estimate
from synthesizrr.llm import (
    LLMBackend,
    LLMRequest,
    LLMResponse,
    LLMSettings,
    Message,
    available_backends,
    get_backend,
    register_backend,
)
from synthesizrr.llm.retry import (
    RateLimiter,
    RetryableError,
    backoff_delay,
    parse_retry_after,
    with_retries,
)
from synthesizrr.testing import FakeLLM, default_text

CHAT = LLMRequest(
    messages=(Message(role="system", content="Be brief."), Message(role="user", content="Hi")),
    max_tokens=32,
)


def test_cache_key_is_sha256_of_canonical_json() -> None:
    canonical = (
        '{"max_tokens":32,"messages":[["system","Be brief."],["user","Hi"]],"model":"m",'
        '"prompt":null,"sample_index":0,"seed":null,"stop":[],"temperature":0.95,"top_p":0.9}'
    )
    assert CHAT.canonical_json("m") == canonical
    assert CHAT.cache_key("m") == hashlib.sha256(canonical.encode()).hexdigest()
    assert CHAT.cache_key("m") == "4dfea59e04e186e01400e9511c9ffa7a1f43809c8e81e9a61eceed103af9cf75"
    assert CHAT.effective_seed("m") == 1308534174
    assert CHAT.model_copy(update={"seed": 7}).effective_seed("m") == 7
    # Explicit top-k / min-p are part of the request; left unset, the key is the one above.
    explicit = LLMRequest.model_validate({**CHAT.model_dump(), "top_k": 0, "min_p": 0.0})
    assert explicit.canonical_json("m") == (
        '{"max_tokens":32,"messages":[["system","Be brief."],["user","Hi"]],"min_p":0.0,'
        '"model":"m","prompt":null,"sample_index":0,"seed":null,"stop":[],"temperature":0.95,'
        '"top_k":0,"top_p":0.9}'
    )


@pytest.mark.parametrize(
    "change",
    [
        {"sample_index": 1},
        {"temperature": 0.5},
        {"top_p": 1.0},
        {"stop": ("\n",)},
        {"seed": 1},
        {"top_k": 0},
        {"min_p": 0.0},
    ],
)
def test_cache_key_changes_with_sampling(change: dict[str, object]) -> None:
    assert CHAT.model_copy(update=change).cache_key("m") != CHAT.cache_key("m")


def test_request_needs_exactly_one_of_messages_or_prompt() -> None:
    with pytest.raises(ValidationError, match="exactly one of 'messages'"):
        LLMRequest(max_tokens=5)
    with pytest.raises(ValidationError, match="exactly one of 'messages'"):
        LLMRequest(prompt="x", messages=(Message(role="user", content="y"),), max_tokens=5)
    with pytest.raises(ValidationError):
        Message(role="robot", content="x")  # type: ignore[arg-type]


def test_settings_reject_unknown_keys_and_keep_no_secret() -> None:
    with pytest.raises(ValidationError, match="api_key"):
        LLMSettings(api_key="sk-123")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="n_gpu"):
        LLMSettings(llamacpp={"n_gpu": 1})  # type: ignore[arg-type]


def test_unknown_backend_names_choices() -> None:
    with pytest.raises(ConfigError) as info:
        get_backend(LLMSettings(backend="opena"))
    msg = str(info.value)
    assert "llm.backend 'opena' is not a known backend" in msg
    assert "Did you mean 'openai'?" in msg
    assert {"llamacpp", "openai", "litellm", "transformers", "vllm", "fake"} <= set(
        available_backends()
    )


def test_fake_via_registry_and_history() -> None:
    fake = get_backend(LLMSettings(backend="fake", chat=False, concurrency=3))
    assert isinstance(fake, FakeLLM)
    assert (fake.is_chat, fake.concurrency, fake.model_id) == (False, 3, "fake")
    out = fake.generate(CHAT)
    assert out.text == default_text(CHAT)
    assert fake.history == [CHAT]


def test_fake_queue_runs_out_with_backend_error() -> None:
    fake = FakeLLM(["one"])
    assert fake.generate(CHAT).text == "one"
    with pytest.raises(BackendError, match="ran out of queued responses at request 2"):
        fake.generate(CHAT)


def test_register_backend_and_plugin_options() -> None:
    from synthesizrr.settings_base import StrictModel

    class EchoOptions(StrictModel):
        suffix: str = "!"

    class Echo(LLMBackend):
        name = "echo-test"
        Options = EchoOptions
        model_id = "echo"
        is_chat = False

        def __init__(self, suffix: str) -> None:
            self.suffix = suffix

        @classmethod
        def from_settings(cls, settings: LLMSettings) -> Echo:
            opts = cls.plugin_options(settings)
            assert isinstance(opts, EchoOptions)
            return cls(opts.suffix)

        async def agenerate(self, request: LLMRequest) -> LLMResponse:
            return LLMResponse(text=(request.prompt or "") + self.suffix)

    register_backend("echo-test", Echo)
    b = get_backend(LLMSettings(backend="echo-test", plugin_options={"suffix": "?"}))
    assert b.generate(LLMRequest(prompt="hi", max_tokens=1)).text == "hi?"
    with pytest.raises(ConfigError, match=r"invalid \(sufix: Extra inputs.*valid options: suffix"):
        get_backend(LLMSettings(backend="echo-test", plugin_options={"sufix": "?"}))


def test_openai_key_comes_from_env_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MY_KEY_VAR", raising=False)
    with pytest.raises(ConfigError, match="'MY_KEY_VAR', which is not set.*export MY_KEY_VAR"):
        get_backend(LLMSettings(backend="openai", model="x", api_key_env="MY_KEY_VAR"))
    monkeypatch.setenv("MY_KEY_VAR", "sk-secret-123")
    b = get_backend(
        LLMSettings(backend="openai", model="x", api_key_env="MY_KEY_VAR", base_url="http://h:1/v1")
    )
    assert "sk-secret-123" not in repr(b.describe())
    assert b.describe()["base_url"] == "http://h:1/v1"


def test_litellm_missing_is_missing_dependency() -> None:
    pytest.importorskip("pytest")  # always present; litellm must be absent for this check
    try:
        import litellm  # noqa: F401
    except ImportError:
        from synthesizrr.errors import MissingDependencyError

        with pytest.raises(MissingDependencyError, match=r"pip install 'synthesizrr\[litellm\]'"):
            get_backend(LLMSettings(backend="litellm", model="anthropic/claude"))
    else:
        pytest.skip("litellm is installed here")


def test_parse_retry_after() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


def test_backoff_is_capped_full_jitter() -> None:
    rng = random.Random(0)
    delays = [backoff_delay(a, 1.0, 5.0, rng) for a in range(6)]
    caps = [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    assert all(0 <= d <= c for d, c in zip(delays, caps, strict=True))


def test_with_retries_honours_retry_after_and_gives_up() -> None:
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)

    calls = {"n": 0}

    async def call() -> str:
        calls["n"] += 1
        if calls["n"] < 3:
            raise RetryableError("HTTP 429", retry_after=2.5 if calls["n"] == 1 else None)
        return "ok"

    out = asyncio.run(
        with_retries(call, max_retries=5, base_s=1.0, max_s=60.0, what="t", sleep=sleep)
    )
    assert out == "ok" and calls["n"] == 3
    assert slept[0] == 2.5 and 0 <= slept[1] <= 2.0

    async def always() -> str:
        raise RetryableError("HTTP 503")

    with pytest.raises(BackendError, match="t failed after 3 attempts: HTTP 503"):
        asyncio.run(
            with_retries(always, max_retries=2, base_s=0.01, max_s=0.01, what="t", sleep=sleep)
        )


def test_rate_limiter_waits_for_window() -> None:
    now = {"t": 0.0}
    waits: list[float] = []

    async def sleep(s: float) -> None:
        waits.append(s)
        now["t"] += s

    async def main() -> list[float]:
        lim = RateLimiter(rpm=2, tpm=100, clock=lambda: now["t"], sleep=sleep)
        stamps = []
        for tokens in (10, 10, 10, 95):
            await lim.acquire(tokens)
            stamps.append(now["t"])
        return stamps

    # 3rd request waits for the first to leave the window; the 4th (95 tokens) waits until
    # the earlier requests' tokens have left too.
    assert asyncio.run(main()) == [0.0, 0.0, 60.0, 120.0]


def test_estimate_counts_and_prices(tmp_path: Path) -> None:
    reqs = [
        LLMRequest(prompt="x" * 40, max_tokens=10),
        LLMRequest(prompt="x" * 40, max_tokens=10),  # duplicate: counted once
        LLMRequest(messages=(Message(role="user", content="y" * 8),), max_tokens=20),
    ]
    est = estimate(reqs, prices=Prices(prompt_per_1k=1.0, completion_per_1k=2.0))
    assert est.to_dict() == {
        "requests": 3,
        "prompts": 2,
        "cached": 0,
        "prompt_tokens": 10 + (2 + 4),
        "evaluated_prompt_tokens": 10 + (2 + 4),
        "max_new_tokens": 30,
        "est_cost": round(16 / 1000 * 1.0 + 30 / 1000 * 2.0, 6),
        "tokenizer": "chars/4",
    }
    from synthesizrr.generation.engine import run_requests

    fake = FakeLLM()
    run_requests(fake, reqs[:1], cache_path=tmp_path / "c.sqlite")
    est2 = estimate(reqs, backend=fake, cache_path=tmp_path / "c.sqlite")
    assert (est2.prompts, est2.cached, est2.max_new_tokens, est2.est_cost) == (1, 1, 20, None)


def test_import_stays_light(heavy_after_import: Callable[[list[str], set[str]], list[str]]) -> None:
    modules = ["synthesizrr.llm", "synthesizrr.generation.engine", "synthesizrr.generation.parse",
               "synthesizrr.generation.estimate", "synthesizrr.testing"]  # fmt: skip
    heavy = {"torch", "llama_cpp", "faiss", "spacy", "ray", "sklearn", "transformers", "openai",
             "litellm", "vllm"}  # fmt: skip
    assert heavy_after_import(modules, heavy) == []
