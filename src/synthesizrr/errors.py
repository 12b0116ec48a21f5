"""One exception hierarchy for everything synthesizrr raises on purpose.

Every message names the bad value, where it came from (file, line, field), the valid
choices where there are any, and the fix. The CLI prints ``str(error)`` on one line and
exits with ``error.exit_code``; users never see a traceback for their own mistakes.

    SynthesizrrError                    exit 1   base class
    ├── ConfigError                     exit 2   bad YAML, unknown key, bad value
    ├── InputDataError                  exit 3   seeds / corpus / test files
    ├── MissingDependencyError          exit 4   an optional extra is not installed
    ├── ModelNotAvailableError          exit 5   a model name cannot be loaded offline
    │   └── HubError                    exit 5   the Hub is offline, unreachable or refused
    ├── BackendError                    exit 6   the LLM backend failed after retries
    │   └── BudgetExceededError         exit 7   max_cost / max_requests reached
    ├── RunDirError                     exit 8   run directory locked, read-only, foreign
    └── StageError                      exit 9   a stage failed for another reason

Usage errors (unknown command or option) exit 2 and Ctrl-C exits 130
(:mod:`synthesizrr.interrupt`).
"""

from __future__ import annotations


class SynthesizrrError(Exception):
    """Base class. ``exit_code`` is what the CLI exits with."""

    exit_code = 1

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.message = message
        self.fix = fix
        super().__init__(message if not fix else f"{message} Fix: {fix}")


class ConfigError(SynthesizrrError):
    exit_code = 2


class InputDataError(SynthesizrrError):
    exit_code = 3


class MissingDependencyError(SynthesizrrError):
    exit_code = 4

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(
            f"{purpose} needs the Python package '{package}', which is not installed.",
            fix=f"pip install 'synthesizrr[{extra}]'",
        )


class ModelNotAvailableError(SynthesizrrError):
    exit_code = 5


class HubError(ModelNotAvailableError):
    """The Hugging Face Hub is offline, unreachable, or refused a request (``publish``)."""


class BackendError(SynthesizrrError):
    exit_code = 6


class BudgetExceededError(BackendError):
    exit_code = 7


class RunDirError(SynthesizrrError):
    exit_code = 8


class StageError(SynthesizrrError):
    exit_code = 9


EXIT_CODES: dict[str, int] = {
    cls.__name__: cls.exit_code
    for cls in (
        SynthesizrrError,
        ConfigError,
        InputDataError,
        MissingDependencyError,
        ModelNotAvailableError,
        HubError,
        BackendError,
        BudgetExceededError,
        RunDirError,
        StageError,
    )
}


def require(module: str, extra: str, purpose: str):  # noqa: ANN201 - returns a module
    """Import an optional heavy module lazily; fail with the exact pip line if absent."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(module.split(".")[0], extra, purpose) from exc
