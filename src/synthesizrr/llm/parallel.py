"""Several requests decoded together as parallel sequences of one llama.cpp context.

``llm.llamacpp.parallel: P`` (> 1) gives the llamacpp backend a second context on the same
weights with ``n_seq_max = P`` and a KV stream of its own per sequence (``kv_unified`` off;
``P * n_ctx`` cells, ``n_ctx`` per sequence, so every sequence has room for a whole
request). One buffer shared by all sequences (``kv_unified`` on) was measured and left:
in llama-cpp-python 0.3.36 two identical sequences of one batch got logits up to 0.3
apart there, while separate streams give bit for bit the logits of ``parallel: 1``. A batch of
up to P requests (consecutive requests of the engine's prefix-ordered todo list) runs as:

1. the segments every request of the batch shares (never a request's last one) are
   evaluated once on sequence 0, each segment in its own ``llama_decode`` calls; those
   kept from the previous batch (:mod:`.kv_reuse`'s rule, on whole segments) are not
   evaluated again;
2. that prefix is copied to the other sequences (``llama_memory_seq_cp``, a copy of KV
   cells, no evaluation);
3. each request's own remaining segments go in together, several sequences' tokens per
   ``llama_decode``;
4. all sequences decode in lockstep, one token each per ``llama_decode``; a finished one
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
    pos: int = 0
    sampler: Any = None
    completion: list[int] = field(default_factory=list)
    text: bytes = b""
    finish: str | None = None

    @property
    def prompt(self) -> list[int]:
        return [t for s in self.segments for t in s]


def common_segments(jobs: Sequence[SeqJob]) -> list[Segment]:
    """The leading segments every job shares, never a job's last segment."""
    limit = min(len(j.segments) for j in jobs) - 1
    out: list[Segment] = []
    for k in range(limit):
        seg = jobs[0].segments[k]
        if any(j.segments[k] != seg for j in jobs[1:]):
            break
        out.append(seg)
    return out


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
        #: Segments of sequence 0 kept from the previous batch.
        self.held: list[Segment] = []

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
            self.held = []
            raise BackendError(
                f"llama_decode returned {rc} for a batch of {len(items)} tokens",
                fix="lower llm.llamacpp.parallel or raise llm.n_ctx",
            )

    def _prefill_shared(self, shared: list[Segment]) -> int:
        """Sequence 0 holds exactly ``shared`` (others emptied); returns tokens evaluated."""
        lc, mem = self._lc, self.mem
        keep = 0
        while keep < min(len(shared), len(self.held)) and self.held[keep] == shared[keep]:
            keep += 1
        n_keep = sum(len(s) for s in shared[:keep])
        if n_keep == 0:
            lc.llama_memory_clear(mem, True)
        else:
            for seq in range(1, self.n_seq):
                lc.llama_memory_seq_rm(mem, seq, -1, -1)
            lc.llama_memory_seq_rm(mem, 0, n_keep, -1)
        self.held = list(shared[:keep])
        pos, evaluated = n_keep, 0
        for seg in shared[keep:]:
            for start in range(0, len(seg), self.n_batch):
                chunk = seg[start : start + self.n_batch]
                self._decode([(t, pos + i, 0, False) for i, t in enumerate(chunk)])
                pos += len(chunk)
            self.held.append(seg)
            evaluated += len(seg)
        return evaluated

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

    def run(self, jobs: list[SeqJob]) -> list[LLMResponse]:
        """Decode ``jobs`` (at most ``n_seq``, prompts already checked against ``n_ctx``)."""
        assert 0 < len(jobs) <= self.n_seq
        lc = self._lc
        stops = {id(j): [s.encode("utf-8") for s in j.request.stop] for j in jobs}
        shared = common_segments(jobs)
        n_shared = sum(len(s) for s in shared)
        try:
            evaluated = self._prefill_shared(shared)
            for seq, job in enumerate(jobs):
                job.seq, job.sampler = seq, self._sampler(job.request, job.seed)
                if seq:
                    lc.llama_memory_seq_cp(self.mem, 0, seq, -1, -1)
            # Every job's own segments, several sequences per llama_decode.
            items: list[tuple[int, int, int, bool]] = []
            owners: list[SeqJob | None] = []
            for job in jobs:
                rest = job.prompt[n_shared:]
                for i, t in enumerate(rest):
                    last = i == len(rest) - 1
                    items.append((t, n_shared + i, job.seq, last))
                    owners.append(job if last else None)
                job.pos = n_shared + len(rest)
                evaluated += len(rest)
            for start in range(0, len(items), self.n_batch):
                self._decode(items[start : start + self.n_batch])
                for i, owner in enumerate(owners[start : start + self.n_batch]):
                    if owner is not None:
                        self._take(owner, i, stops[id(owner)])
            self.slot.evaluated_tokens += evaluated
            self.slot.prompt_tokens += sum(len(j.prompt) for j in jobs)
            # Lockstep decoding: one token of every unfinished sequence per llama_decode.
            while active := [j for j in jobs if j.finish is None]:
                self._decode([(j.completion[-1], j.pos, j.seq, True) for j in active])
                for i, job in enumerate(active):
                    job.pos += 1
                    self._take(job, i, stops[id(job)])
                    if job.finish is not None:  # free its cells (sequence 0 keeps the prefix)
                        lc.llama_memory_seq_rm(
                            self.mem, job.seq, n_shared if job.seq == 0 else -1, -1
                        )
        except BaseException:
            self.held = []
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
