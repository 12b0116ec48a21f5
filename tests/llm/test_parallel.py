"""``llm.llamacpp.parallel``: requests decoded together as sequences of one llama.cpp batch,
on the real embedded SmolLM2."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from synthesizrr.generation.engine import run_requests
from synthesizrr.llm import LLMRequest, LLMResponse, LLMSettings, Message, get_backend
from synthesizrr.llm.llamacpp import LlamaCppBackend
from synthesizrr.llm.parallel import shared_segments
from synthesizrr.llm.settings import LlamaCppOptions

pytest.importorskip("llama_cpp")

SYSTEM = Message(role="system", content="You write one short news headline.\n\nBe concise.")


@pytest.fixture(scope="module")
def backends() -> tuple[LlamaCppBackend, LlamaCppBackend]:
    from synthesizrr.errors import ModelNotAvailableError
    from synthesizrr.models import resolve_llm_path

    try:
        resolve_llm_path("smollm2")
    except ModelNotAvailableError as exc:
        pytest.skip(str(exc))

    def make(parallel: int) -> LlamaCppBackend:
        options = LlamaCppOptions(parallel=parallel)
        settings = LLMSettings(backend="llamacpp", n_ctx=512, n_threads=1, llamacpp=options)
        backend = get_backend(settings)
        assert isinstance(backend, LlamaCppBackend)
        return backend

    return make(1), make(3)


def _req(topic: str, **kw: object) -> LLMRequest:
    user = Message(role="user", content=f"Write a headline about {topic}.")
    fields: dict[str, object] = {"max_tokens": 10, "seed": 7, **kw}
    return LLMRequest(messages=(SYSTEM, user), **fields)  # type: ignore[arg-type]


def _many(backend: LlamaCppBackend, reqs: list[LLMRequest]) -> list[LLMResponse | Exception]:
    return asyncio.run(backend.agenerate_many(reqs))


def test_a_batch_answers_each_request_like_create_completion(
    backends: tuple[LlamaCppBackend, LlamaCppBackend],
) -> None:
    one, par = backends
    reqs = [_req("rain", stop=("e",)), _req("football", max_tokens=3), _req("markets")]
    out = _many(par, reqs)
    assert par.batch_size == 3 and one.batch_size == 1
    assert all(isinstance(r, LLMResponse) for r in out)
    stopped, short, plain = out
    assert isinstance(stopped, LLMResponse) and isinstance(short, LLMResponse)
    assert isinstance(plain, LLMResponse)
    # A stop string cuts the text before it; max_tokens caps the completion.
    assert "e" not in stopped.text and stopped.finish_reason == "stop"
    assert (short.completion_tokens, short.finish_reason) == (3, "length")
    assert plain.completion_tokens <= 10
    for req, resp in zip(reqs, out, strict=True):
        assert isinstance(resp, LLMResponse)
        assert resp.prompt_tokens == len(par.prompt_tokens(req) or [])
        assert resp.model == "llamacpp:SmolLM2-135M-Instruct.Q4_1.gguf"
    # Greedy, one request alone: the parallel: 1 answer (the sampler chain is llama.cpp's,
    # built as llama-cpp-python builds it; bench/generation counts seeded texts that differ).
    greedy = _req("markets", temperature=0.0)
    assert _many(par, [greedy]) == [one.generate(greedy)]


def test_a_rerun_of_a_batch_gives_the_same_texts(
    backends: tuple[LlamaCppBackend, LlamaCppBackend],
) -> None:
    _, par = backends
    reqs = [_req("rain"), _req("rain", seed=8), _req("elections")]
    first = _many(par, reqs)
    _many(par, [_req("something else")])  # another batch in between changes nothing
    assert _many(par, reqs) == first
    # Identical requests in one batch get identical texts (each sequence its own KV stream).
    twins = _many(par, [_req("rain")] * 3)
    assert twins[0] == twins[1] == twins[2] == first[0]


def _tokens(segments: list[tuple[int, ...]], skip: int = 0) -> int:
    return sum(len(seg) for seg in segments[skip:])


def test_each_shared_prefix_is_evaluated_once_and_the_last_is_kept(
    backends: tuple[LlamaCppBackend, LlamaCppBackend],
) -> None:
    _, par = backends
    other = Message(role="system", content="You write one long news story.\n\nBe vivid.")
    # Two groups in one batch: each group's system turn, then each request's own turn.
    reqs = [_req("ships"), _req("trains"), _req("ships").model_copy(update={"seed": 9})]
    reqs.append(LLMRequest(messages=(other, reqs[0].messages[1]), max_tokens=4))  # type: ignore[index]
    segs = [par.prompt_segments(r) or [] for r in reqs]
    assert [shared_segments(segs[i - 1], segs[i]) for i in (1, 2, 3)] == [3, 3, 1]
    _many(par, [LLMRequest(prompt="Once upon a time", max_tokens=2)])  # keeps nothing shared
    before = par.evaluated_tokens
    first = _many(par, reqs)
    own = _tokens(segs[0]) + _tokens(segs[1], 3) + _tokens(segs[2], 3) + _tokens(segs[3], 1)
    assert par.evaluated_tokens - before == own
    # The last request's prompt stays: the same batch again evaluates less, same texts.
    before = par.evaluated_tokens
    assert _many(par, reqs) == first
    assert par.evaluated_tokens - before == own - _tokens(segs[0]) + _tokens(segs[0], 1)


def test_a_request_too_long_fails_alone(
    backends: tuple[LlamaCppBackend, LlamaCppBackend], tmp_path: Path
) -> None:
    _, par = backends
    long = LLMRequest(messages=(Message(role="user", content="word " * 600),), max_tokens=4)
    reqs = [_req("rain"), long, _req("snow")]
    out = run_requests(par, reqs, cache_path=tmp_path / "c.sqlite")
    assert out[1].response is None
    assert out[1].error == (
        "llama.cpp rejected the request for SmolLM2-135M-Instruct.Q4_1.gguf: Requested tokens "
        f"({len(par.prompt_tokens(long) or [])}) exceed context window of 512 (fix: raise "
        "llm.n_ctx (now 512) or shorten the prompt (fewer shots, shorter documents))"
    )
    assert [o.response for o in (out[0], out[2])] == _many(par, [reqs[0], reqs[2]])


def test_parallel_stays_out_of_cache_keys_and_fingerprints(
    backends: tuple[LlamaCppBackend, LlamaCppBackend],
) -> None:
    one, par = backends
    assert one.model_id == par.model_id
    assert _req("x").cache_key(par.model_id) == _req("x").cache_key(one.model_id)
    assert (
        LLMSettings(llamacpp=LlamaCppOptions(parallel=8)).fingerprint_dump()
        == LLMSettings().fingerprint_dump()
    )


def test_the_in_process_backend_has_one_call_in_flight(
    backends: tuple[LlamaCppBackend, LlamaCppBackend],
) -> None:
    # Calls share one model lock; with two in flight their threads could take it out of
    # plan order, and the prefix a request reuses would depend on timing.
    assert LLMSettings().concurrency == 4
    assert [b.concurrency for b in backends] == [1, 1]
