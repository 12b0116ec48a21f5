"""Typed settings of the teacher LLM: which backend, which model, how to call it.

Each built-in backend declares its own options as a nested model (``llm.llamacpp``,
``llm.openai`` ...); a plugin backend validates ``llm.plugin_options`` with its own
``Options`` model, so a typo fails with the field name either way.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from synthesizrr.settings_base import StrictModel


class LlamaCppOptions(StrictModel):
    """In-process llama.cpp (GGUF) options."""

    # How many requests decode at once, not what they ask for (never in a cache key).
    not_fingerprinted: ClassVar[frozenset[str]] = frozenset({"parallel"})

    n_gpu_layers: int = Field(
        default=0, description="layers offloaded to a GPU (0: CPU only, -1: all)"
    )
    n_batch: int = Field(default=512, gt=0, description="prompt-processing batch size")
    chat_format: str | None = Field(
        default=None, description="llama-cpp-python chat format; None: the GGUF's own chat template"
    )
    verbose: bool = Field(default=False, description="let llama.cpp print its own logs to stderr")
    parallel: int = Field(
        default=1,
        ge=1,
        le=64,
        description="requests decoded together as sequences of one llama.cpp batch, sharing "
        "their common prompt prefix (1: one request at a time); memory: parallel x n_ctx "
        "KV cells",
    )


class OpenAIOptions(StrictModel):
    """OpenAI-compatible server options (OpenAI, vLLM, Ollama, llama.cpp server, TGI)."""

    backoff_base_s: float = Field(
        default=1.0, gt=0, description="first retry waits up to this long"
    )
    backoff_max_s: float = Field(default=60.0, gt=0, description="cap on one retry wait")
    organization_env: str | None = Field(
        default=None,
        description="name of the environment variable holding an OpenAI organization id",
    )


class LiteLLMOptions(StrictModel):
    """litellm (hosted providers) options; keys come from the provider's environment vars."""

    backoff_base_s: float = Field(
        default=1.0, gt=0, description="first retry waits up to this long"
    )
    backoff_max_s: float = Field(default=60.0, gt=0, description="cap on one retry wait")
    drop_params: bool = Field(
        default=True, description="drop sampling parameters a provider rejects"
    )


class TransformersOptions(StrictModel):
    """A local Hugging Face model through ``transformers`` (extra: transformers)."""

    device: str = Field(default="cpu", description="torch device: cpu, cuda, cuda:1, mps")
    dtype: str = Field(
        default="auto", description="torch dtype name (auto, float32, bfloat16, float16)"
    )
    batch_size: int = Field(default=8, gt=0, description="requests generated together")


class VLLMOptions(StrictModel):
    """Offline batched generation with vLLM on a GPU (extra: vllm)."""

    tensor_parallel_size: int = Field(default=1, gt=0, description="GPUs per model replica")
    gpu_memory_utilization: float = Field(
        default=0.9, gt=0, le=1, description="fraction of GPU memory"
    )
    batch_size: int = Field(
        default=256, gt=0, description="requests gathered into one generate() call"
    )
    max_model_len: int | None = Field(
        default=None, gt=0, description="context length; None: model's"
    )


class LLMSettings(StrictModel):
    """The teacher LLM."""

    # How fast and how patiently requests are sent, not what is generated.
    not_fingerprinted: ClassVar[frozenset[str]] = frozenset(
        {"concurrency", "timeout_s", "max_retries", "rpm", "tpm"}
    )

    backend: str = Field(
        default="llamacpp",
        description="backend name: llamacpp, openai, litellm, transformers, vllm, fake, "
        "or a plugin registered under the 'synthesizrr.backends' entry-point group",
    )
    model: str = Field(
        default="smollm2",
        description="model: an embedded name (smollm2, gemma3-270m, qwen2.5-coder-0.5b) or GGUF path "
        "for llamacpp; "
        "the served model name for openai/litellm; a local folder or hub id for transformers/vllm",
    )
    base_url: str | None = Field(
        default=None, description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1"
    )
    api_key_env: str | None = Field(
        default=None,
        description="NAME of the environment variable that holds the API key (never the key)",
    )
    chat: bool | None = Field(
        default=None,
        description="chat (messages) or raw completion; None: the backend decides "
        "(instruct/chat models True, the gemma3-270m base model False)",
    )
    concurrency: int = Field(default=4, ge=1, description="requests in flight at once")
    timeout_s: float = Field(default=120.0, gt=0, description="per-request timeout in seconds")
    max_retries: int = Field(
        default=5, ge=0, description="retries of a failed call (exponential backoff)"
    )
    rpm: int | None = Field(default=None, gt=0, description="requests-per-minute limit")
    tpm: int | None = Field(
        default=None, gt=0, description="tokens-per-minute limit (prompt + max new)"
    )
    n_ctx: int = Field(default=2048, gt=0, description="context window for local models")
    n_threads: int | None = Field(default=None, gt=0, description="CPU threads for local models")
    llamacpp: LlamaCppOptions = LlamaCppOptions()
    openai: OpenAIOptions = OpenAIOptions()
    litellm: LiteLLMOptions = LiteLLMOptions()
    transformers: TransformersOptions = TransformersOptions()
    vllm: VLLMOptions = VLLMOptions()
    plugin_options: dict[str, Any] = Field(
        default_factory=dict,
        description="options of a plugin backend, validated by that backend's Options model",
    )
