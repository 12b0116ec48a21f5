"""Settings of the Ray executor (``executor: ray``): workers, their resources, outputs.

Imports nothing heavy; the run config composes :class:`RaySettings` as its ``ray`` section.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from synthesizrr.settings_base import StrictModel


class RaySettings(StrictModel):
    """How the Ray executor sizes its actors and where it streams results.

    Worker counts left at ``None`` fill the cluster: as many actors as the cluster's CPUs
    (or GPUs, where an actor asks for a GPU) allow.
    """

    num_cpus: int | None = Field(
        default=None,
        ge=1,
        description="CPUs of a Ray started by this process (no ray_address); None: all. "
        "Ignored when connecting to a running cluster.",
    )
    embed_workers: int | None = Field(
        default=None,
        ge=1,
        description="embedding actors, one model each; index shards are spread over them",
    )
    embed_block_rows: int | None = Field(
        default=None,
        ge=1,
        description="passages per embedding call on an actor; None: the local build's blocks "
        "(4,096), so the vectors are bit-identical to the local executor's; smaller blocks "
        "spread a small corpus over more actors (vectors then agree to ~1e-7)",
    )
    embed_num_cpus: float = Field(default=1.0, gt=0, description="CPUs per embedding actor")
    embed_num_gpus: float = Field(default=0.0, ge=0, description="GPUs per embedding actor")
    llm_workers: int | None = Field(
        default=None,
        ge=1,
        description="teacher actors: one engine each for in-process backends (llamacpp, "
        "transformers, vllm), one HTTP client each for servers (openai, litellm)",
    )
    llm_num_cpus: float = Field(default=1.0, gt=0, description="CPUs per teacher actor")
    llm_num_gpus: float = Field(
        default=0.0, ge=0, description="GPUs per teacher actor (1 for a vLLM replica)"
    )
    metrics_num_cpus: float = Field(
        default=1.0, gt=0, description="CPUs of the Ray task that computes the metrics"
    )
    output_uri: str | None = Field(
        default=None,
        description="where teacher responses are streamed as Parquet shards as they arrive: "
        "a local folder or an fsspec URL (s3://bucket/run, gs://...); None: "
        "'ray_responses/' beside the request cache in the run directory",
    )
    shard_rows: int = Field(default=1000, ge=1, description="responses per streamed Parquet shard")
    runtime_env: dict[str, Any] | None = Field(
        default=None,
        description="Ray runtime_env of the job (pip packages, env_vars, working_dir) for "
        "clusters whose nodes lack synthesizrr's dependencies",
    )
