"""The run configuration: one YAML file, one typed section per pipeline stage.

Loading happens at the edge (``load_config``); everything inward receives typed settings.
Errors name the file, the field path, the valid choices and the fix, on one line.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from synthesizrr.corpus import CorpusSettings
from synthesizrr.distill import StudentSettings
from synthesizrr.distill.baselines import DEFAULT_SYNTHETIC_WEIGHT
from synthesizrr.errors import ConfigError
from synthesizrr.executors.ray_settings import RaySettings
from synthesizrr.generation.settings import GenerationSettings
from synthesizrr.metrics import MetricsSettings
from synthesizrr.overrides import apply_overrides
from synthesizrr.prompts import PromptMode, TaskSettings
from synthesizrr.refine import RefineSettings
from synthesizrr.report.settings import CardSettings
from synthesizrr.retrieval import RetrievalSettings
from synthesizrr.settings_base import StrictModel


class SeedSettings(StrictModel):
    """The few real labeled examples."""

    path: str = Field(..., description="CSV/JSONL/Parquet file with text and label columns")
    text_field: str = "text"
    label_field: str = "label"
    per_label: int = Field(
        50, gt=0, description="seeds drawn per label with the run seed (paper: 50, binary 100)"
    )


class EvaluationSettings(StrictModel):
    """Scoring against real data: metrics, the student and the gold reference."""

    # The leakage check is its own stage, fingerprinted on these; evaluate never reads them.
    not_fingerprinted: ClassVar[frozenset[str]] = frozenset({"leakage_check", "leakage_ngram"})
    # Added after run directories existed: old runs keep their evaluate fingerprint.
    fingerprinted_when_set: ClassVar[frozenset[str]] = frozenset({"size", "real_ceiling"})

    test_path: str | None = Field(None, description="real labeled test set")
    train_path: str | None = Field(
        None, description="real labeled train set (oracle, gold reference); default: seeds.path"
    )
    text_field: str = "text"
    label_field: str | None = Field(None, description="default: seeds.label_field")
    max_test: int | None = Field(None, gt=0, description="score on a seeded sample of the test set")
    size: int | None = Field(
        None,
        gt=0,
        description="score (and train the student and gold on) a seeded sample of this many "
        "rows with the dataset's label proportions, so the methods of a comparison meet at "
        "one N (Self-BLEU and entity entropy grow with N); None: every row",
    )
    gold: bool = Field(True, description="train the same student on as many real rows")
    leakage_check: bool = Field(
        True,
        description="before generation, check the seeds and corpus passages against the test "
        "set (equal normalized text, or a shared run of leakage_ngram words); needs test_path",
    )
    leakage_ngram: int = Field(13, ge=4, description="words in a shared run that counts as leakage")
    seeds_baseline: bool = Field(
        True,
        description="train the same student on the seeds alone and on seeds + synthetic rows, "
        "and report the uplift of the synthetic rows over the seeds alone (metrics.json "
        "'seeds_baseline')",
    )
    real_ceiling: bool = Field(
        True,
        description="with gold and seeds_baseline: also train the same student on the seeds + "
        "as many real train rows as synthetic ones (never the seeds; same label mix and "
        "weight), so the uplift can be read against what real rows would add (metrics.json "
        "'seeds_baseline.real_uplift_vs_seeds_only'; runs evaluated before it existed show "
        "it after `synthesizrr run CONFIG --force evaluate`)",
    )
    synthetic_weight: float | Literal["auto"] = Field(
        DEFAULT_SYNTHETIC_WEIGHT,
        description="weight of each synthetic row in the seeds + synthetic student (each seed "
        "weighs 1; 0.5 measured in bench/distill/SYNTHETIC_WEIGHT.md): a number > 0, or "
        "'auto' to pick it from 0.1, 0.25, 0.5, 1 by cross-validation on the seeds alone "
        "(never the test set)",
    )
    student: StudentSettings = Field(default_factory=StudentSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)

    @field_validator("synthetic_weight")
    @classmethod
    def _weight_positive(cls, value: float | str) -> float | str:
        if not isinstance(value, str) and not (0 < value < float("inf")):
            raise ValueError(f"synthetic_weight must be 'auto' or a number > 0, got {value}")
        return value


class RunConfig(StrictModel):
    """A task and a run."""

    name: str = Field(..., pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="run folder name")
    run_dir: str = Field("runs", description="parent folder of runs/<name>/")
    seed: int = Field(0, description="every sampling step derives from this seed")
    executor: Literal["local", "ray"] = "local"
    ray_address: str | None = Field(
        None, description="Ray cluster to join (executor: ray); None starts a local Ray"
    )
    ray: RaySettings = Field(default_factory=RaySettings, description="Ray executor sizing")
    task: TaskSettings
    seeds: SeedSettings
    corpus: CorpusSettings | None = None
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    generation: GenerationSettings = Field(default_factory=GenerationSettings)
    refine: RefineSettings = Field(default_factory=RefineSettings)
    evaluation: EvaluationSettings = Field(default_factory=EvaluationSettings)
    card: CardSettings = Field(default_factory=CardSettings, description="dataset card metadata")
    paths_relative_to: str | None = Field(
        None,
        description="folder the relative paths of this config resolve against (None: the "
        "YAML file's folder); the copy a run keeps as <run>/config.yaml sets it, so "
        "`synthesizrr refine runs/<name>/config.yaml` reads the same files and skips the "
        "finished stages",
    )

    @model_validator(mode="after")
    def _needs_corpus(self) -> RunConfig:
        if self.generation.prompt.mode in (PromptMode.RETRICL, PromptMode.NON_RETRICL) and (
            self.corpus is None
        ):
            raise ValueError(
                f"generation.prompt.mode '{self.generation.prompt.mode.value}' retrieves "
                "documents, so a 'corpus' section is required (or use mode fewgen/zerogen)"
            )
        return self

    # Paths in the YAML are relative to the YAML file's folder.
    _base_dir: Path = Path(".")

    @property
    def base_dir(self) -> Path:
        return self._base_dir

    def resolve(self, path: str) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self._base_dir / p)

    @property
    def run_path(self) -> Path:
        return self.resolve(self.run_dir) / self.name


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise ConfigError(
                f"duplicate key '{key}' at line {key_node.start_mark.line + 1} "
                f"(first at line {seen[key] + 1}).",
                fix="keep one entry per key (each label must appear once)",
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _allowed_keys(model: type[StrictModel] | None, loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model at ``loc`` (to suggest valid keys)."""
    current: Any = model
    for part in loc[:-1]:
        if current is None or not hasattr(current, "model_fields"):
            return []
        field = current.model_fields.get(str(part))
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ()) or (ann,)
        current = next((a for a in args if hasattr(a, "model_fields")), None)
    if current is None or not hasattr(current, "model_fields"):
        return []
    return list(current.model_fields)


def format_validation_error(exc: ValidationError, source: str, model: type[StrictModel]) -> str:
    """One line per problem: ``file: field.path: what is wrong (got X). Fix: ...``."""
    lines = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        path = ".".join(str(p) for p in loc) or "(top level)"
        kind = err["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(model, loc)
            near = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = f" Did you mean '{near[0]}'?" if near else ""
            lines.append(
                f"{source}: {path}: unknown key.{hint} Valid keys here: {', '.join(allowed)}."
            )
        elif kind == "missing":
            lines.append(f"{source}: {path}: required field is missing.")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            got = err.get("input")
            shown = repr(got) if not isinstance(got, dict | list) else type(got).__name__
            lines.append(f"{source}: {path}: {msg} (got {shown[:80]}).")
    return " | ".join(lines)


def config_from_dict(
    data: Any, *, source: str = "<config>", base_dir: Path | None = None
) -> RunConfig:
    if data is None:
        raise ConfigError(
            f"{source}: the config is empty; it must be a YAML mapping of sections.",
            fix="start from examples/ag_news.yaml",
        )
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: the config must be a YAML mapping of sections, got {type(data).__name__}.",
            fix="start from examples/ag_news.yaml",
        )
    try:
        cfg = RunConfig.model_validate(data)
    except ValidationError as exc:
        missing = [e["loc"][-1] for e in exc.errors() if e["type"] == "missing"]
        fix = "see `synthesizrr validate --help` and examples/"
        if missing and len(missing) == len(exc.errors()):
            keys = ", ".join(f"'{m}:'" for m in missing)
            fix = f"add {keys} (see examples/ag_news.yaml)"
        raise ConfigError(format_validation_error(exc, source, RunConfig), fix=fix) from None
    base = (base_dir or Path(".")).resolve()
    if cfg.paths_relative_to is not None:
        given = Path(cfg.paths_relative_to).expanduser()
        base = given if given.is_absolute() else (base / given).resolve()
    cfg._base_dir = base
    return cfg


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> RunConfig:
    """Read and validate a YAML config; relative paths resolve against its folder."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file '{p}' does not exist.", fix="pass the path of a YAML file")
    try:
        data = yaml.load(p.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not UTF-8 text.", fix="save the config as UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(
            f"{p}:{where}: invalid YAML: {problem}.", fix="fix the YAML syntax"
        ) from None
    apply_overrides(data, overrides or {})
    return config_from_dict(data, source=str(p), base_dir=p.parent)


def dump_run_config(cfg: RunConfig) -> str:
    """The config as the run folder keeps it: the values exactly as given (the stage
    fingerprints hash them as written) and ``paths_relative_to`` set to the folder they resolved
    against, so loading the copy from the run folder resolves every relative path to the
    same file."""
    data = cfg.dump_as_given()
    data["paths_relative_to"] = str(cfg.base_dir)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
