"""Several requests decoded together as parallel sequences of one llama.cpp context.

``llm.llamacpp.parallel: P`` (> 1) gives the llamacpp backend a second context on the same
weights with ``n_seq_max = P`` and a KV stream of its own per sequence (``kv_unified`` off;
``P * n_ctx`` cells, ``n_ctx`` per sequence, so every sequence has room for a whole
request). One buffer shared by all sequences (``kv_unified`` on) was measured and left:
in llama-cpp-python 0.3.36 two identical sequences of one batch got logits up to 0.3
apart there, while separate streams give bit for bit the logits of ``parallel: 1``. A batch of
up to P requests (consecutive requests of the engine's prefix-ordered todo list) runs as:

1. each request shares leading segments (whole messages or paragraphs, never its last
   one) with the request before it, or, for the first, with the previous batch's last
   request, whose prompt stays in its sequence; it gets their KV by
   ``llama_memory_seq_cp`` (a copy of cells, no evaluation) and evaluates only the rest;
2. the prompts go in waves: every request whose shared segments are in place by then,
   several sequences' tokens per ``llama_decode`` (FewGen shot groups: the group's first
   prompt, then the others' last segments together with the next group's first prompt);
3. all sequences decode in lockstep, one token each per ``llama_decode``; a finished one
   (end of generation, a stop string, ``max_tokens``) drops out and frees its cells.

Each sequence samples with its own llama.cpp sampler chain, built as llama-cpp-python
builds it for ``create_completion`` (top_k, typical 1.0, top_p, min_p, temperature,
``dist(seed)``; greedy at temperature 0) and seeded with the request's seed; stop strings,
``max_tokens`` and the usage counts follow ``create_completion`` too. A batch's texts are
a function of its requests (a rerun gives the same texts); next to ``parallel: 1`` a text
can differ only where batched kernels round differently (bench/generation/RESULTS.md
counts how often).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from synthesizrr.errors import BackendError
from synthesizrr.llm.kv_reuse import PrefixSlot, Segment
from synthesizrr.llm.types import LLMRequest, LLMResponse


@dataclass
class SeqJob:
    """One request of a batch while it decodes."""

    request: LLMRequest
    segments: list[Segment]
    seed: int
    max_tokens: int
    seq: int = 0
    #: Leading segments shared with the job before it (or the kept prefix), not evaluated.
    shared: int = 0
    pos: int = 0
    sampler: Any = None
    completion: list[int] = field(default_factory=list)
    text: bytes = b""
    finish: str | None = None

    @property
    def prompt(self) -> list[int]:
        return [t for s in self.segments for t in s]

    @property
    def n_shared(self) -> int:
        return sum(len(s) for s in self.segments[: self.shared])


def shared_segments(held: Sequence[Segment], segments: Sequence[Segment]) -> int:
    """How many leading segments of ``segments`` ``held`` has, never the last one (its
    logits are this request's own)."""
    k = 0
    while k < min(len(held), len(segments) - 1) and held[k] == segments[k]:
        k += 1
    return k


class ParallelDecoder:
    """A multi-sequence llama.cpp context beside a loaded ``Llama`` (same weights)."""

    def __init__(self, slot: PrefixSlot, *, n_seq: int, n_ctx: int) -> None:
        import llama_cpp

        self._lc = llama_cpp
        self.slot = slot
        self.llm = slot.llm
        self.n_seq = n_seq
        params = type(self.llm.context_params).from_buffer_copy(self.llm.context_params)
        params.n_ctx = n_ctx * n_seq
        params.n_seq_max = n_seq
        params.kv_unified = False
        self.n_batch = int(params.n_batch)
        self.ctx = llama_cpp.llama_init_from_model(self.llm._model.model, params)
        if not self.ctx:
            raise BackendError(
                f"llama.cpp could not make a context of {n_seq} sequences x {n_ctx} tokens",
                fix="lower llm.llamacpp.parallel or llm.n_ctx",
            )
        self.mem = llama_cpp.llama_get_memory(self.ctx)
        self.vocab = self.llm._model.vocab
        self.batch = llama_cpp.llama_batch_init(self.n_batch, 0, 1)
        #: The sequence of the previous batch's last request and its prompt (KV kept).
        self.kept: tuple[int, list[Segment]] | None = None

    def close(self) -> None:
        if self.ctx:
            self._lc.llama_batch_free(self.batch)
            self._lc.llama_free(self.ctx)
            self.ctx = None

    # -- batch building ----------------------------------------------------------------

    def _decode(self, items: Sequence[tuple[int, int, int, bool]]) -> None:
        """One ``llama_decode`` of (token, position, sequence, wants logits) items."""
        b = self.batch
        for i, (tok, pos, seq, logits) in enumerate(items):
            b.token[i], b.pos[i], b.n_seq_id[i] = tok, pos, 1
            b.seq_id[i][0] = seq
            b.logits[i] = logits
        b.n_tokens = len(items)
        rc = self._lc.llama_decode(self.ctx, b)
        if rc != 0:
            self.kept = None
            raise BackendError(
                f"llama_decode returned {rc} for a batch of {len(items)} tokens",
                fix="lower llm.llamacpp.parallel or raise llm.n_ctx",
            )

    # -- sampling ------------------------------------------------------------------------

    def _sampler(self, req: LLMRequest, seed: int) -> Any:
        lc = self._lc
        chain = lc.llama_sampler_chain_init(lc.llama_sampler_chain_default_params())
        if req.temperature == 0.0:
            lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_greedy())
            return chain
        # llama-cpp-python's defaults when a request leaves them unset: top_k 40, min_p 0.05.
        top_k = 40 if req.top_k is None else req.top_k
        min_p = 0.05 if req.min_p is None else req.min_p
        for smpl in (
            lc.llama_sampler_init_top_k(top_k),
            lc.llama_sampler_init_typical(1.0, 1),
            lc.llama_sampler_init_top_p(req.top_p, 1),
            lc.llama_sampler_init_min_p(min_p, 1),
            lc.llama_sampler_init_temp(req.temperature),
            lc.llama_sampler_init_dist(seed & 0xFFFFFFFF),
        ):
            lc.llama_sampler_chain_add(chain, smpl)
        return chain

    def _take(self, job: SeqJob, out_index: int, stops: list[bytes]) -> None:
        """Sample ``job``'s next token from output ``out_index`` of the last decode."""
        token = self._lc.llama_sampler_sample(job.sampler, self.ctx, out_index)
        if self._lc.llama_vocab_is_eog(self.vocab, token):
            job.finish = "stop"
            return
        job.completion.append(token)
        job.text = self.llm.detokenize(job.completion, prev_tokens=job.prompt)
        hit = [s for s in stops if s in job.text]
        if hit:  # the first stop string listed that occurs, as create_completion cuts
            job.text = job.text[: job.text.index(hit[0])]
            job.finish = "stop"
        elif len(job.completion) >= job.max_tokens:
            job.finish = "length"

    # -- one batch -----------------------------------------------------------------------

    def _start(self, jobs: list[SeqJob]) -> None:
        """Give the jobs their sequences and what each shares with the one before it.

        The first job takes the sequence kept from the previous batch (its prompt's KV);
        every other sequence is emptied."""
        lc, mem = self._lc, self.mem
        base, held = self.kept if self.kept is not None else (0, [])
        self.kept = None
        for i, job in enumerate(jobs):
            job.seq = (base + i) % self.n_seq
            before = held if i == 0 else jobs[i - 1].segments
            job.shared = shared_segments(before, job.segments)
        if not held:
            lc.llama_memory_clear(mem, True)
            return
        for seq in range(self.n_seq):
            if seq != base:
                lc.llama_memory_seq_rm(mem, seq, -1, -1)
        lc.llama_memory_seq_rm(mem, base, jobs[0].n_shared, -1)

    def _prefill(self, jobs: list[SeqJob], stops: dict[int, list[bytes]]) -> int:
        """Evaluate every job's prompt and sample its first token; returns tokens evaluated.

        In waves: a job joins a wave when the segments it shares with the job before it
        are in that job's sequence by then (evaluated in an earlier wave, or themselves
        copied); it gets them by ``llama_memory_seq_cp`` and evaluates only its own
        segments, all the wave's jobs together."""
        lc, mem = self._lc, self.mem
        done, evaluated = 0, 0
        while done < len(jobs):
            wave: list[SeqJob] = []
            for i in range(done, len(jobs)):
                job = jobs[i]
                if i > 0:  # the first job finds its shared segments kept in its sequence
                    prev = jobs[i - 1]
                    # What prev's sequence holds now: its whole prompt if an earlier wave
                    # evaluated it, else only what it got by its own copy.
                    have = len(prev.segments) if i == done else prev.shared
                    if job.shared > have:
                        break
                    lc.llama_memory_seq_cp(mem, prev.seq, job.seq, -1, -1)
                    lc.llama_memory_seq_rm(mem, job.seq, job.n_shared, -1)
                wave.append(job)
            items: list[tuple[int, int, int, bool]] = []
            owners: list[SeqJob | None] = []
            for job in wave:
                rest = job.prompt[job.n_shared :]
                for i, t in enumerate(rest):
                    last = i == len(rest) - 1
                    items.append((t, job.n_shared + i, job.seq, last))
                    owners.append(job if last else None)
                job.pos = len(job.prompt)
                evaluated += len(rest)
            for start in range(0, len(items), self.n_batch):
                self._decode(items[start : start + self.n_batch])
                for i, owner in enumerate(owners[start : start + self.n_batch]):
                    if owner is not None:
                        self._take(owner, i, stops[id(owner)])
            done += len(wave)
        return evaluated

    def run(self, jobs: list[SeqJob]) -> list[LLMResponse]:
        """Decode ``jobs`` (at most ``n_seq``, in prefix order, prompts checked against
        ``n_ctx``)."""
        assert 0 < len(jobs) <= self.n_seq
        lc = self._lc
        stops = {id(j): [s.encode("utf-8") for s in j.request.stop] for j in jobs}
        last = jobs[-1]
        try:
            for job in jobs:
                job.sampler = self._sampler(job.request, job.seed)
            self._start(jobs)
            evaluated = self._prefill(jobs, stops)
            self.slot.evaluated_tokens += evaluated
            self.slot.prompt_tokens += sum(len(j.prompt) for j in jobs)

            def release(job: SeqJob) -> None:  # the last job's prompt stays for the next batch
                lc.llama_memory_seq_rm(
                    self.mem, job.seq, len(job.prompt) if job is last else -1, -1
                )

            for job in jobs:
                if job.finish is not None:
                    release(job)
            # Lockstep decoding: one token of every unfinished sequence per llama_decode.
            while active := [j for j in jobs if j.finish is None]:
                self._decode([(j.completion[-1], j.pos, j.seq, True) for j in active])
                for i, job in enumerate(active):
                    job.pos += 1
                    self._take(job, i, stops[id(job)])
                    if job.finish is not None:
                        release(job)
            self.kept = (last.seq, last.segments)
        except BaseException:
            self.kept = None
            raise
        finally:
            for job in jobs:
                if job.sampler is not None:
                    lc.llama_sampler_free(job.sampler)
                    job.sampler = None
        return [
            LLMResponse(
                text=j.text.decode("utf-8", errors="ignore"),
                finish_reason=j.finish or "length",
                prompt_tokens=len(j.prompt),
                completion_tokens=len(j.completion),
                model="",
            )
            for j in jobs
        ]
