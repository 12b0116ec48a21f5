"""``--set KEY=VALUE`` overrides: parsed as YAML values and applied to the raw config.

Every mistake is a :class:`~synthesizrr.errors.ConfigError` (exit 2) naming the override.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from synthesizrr.errors import ConfigError

_EXAMPLE = "--set generation.per_label=10"


def parse_overrides(pairs: Sequence[str] | None) -> dict[str, Any]:
    """``{"a.b": value}`` from ``["a.b=value", ...]``; each value is read as YAML."""
    import yaml

    result: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep:
            raise ConfigError(f"--set '{pair}' is not KEY=VALUE.", fix=f"write {_EXAMPLE}")
        if not key or not all(part.strip() for part in key.split(".")):
            raise ConfigError(
                f"--set '{pair}': '{key}' is not a field name such as generation.per_label.",
                fix=f"write {_EXAMPLE}",
            )
        try:
            result[key] = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ConfigError(
                f"--set '{pair}': the value {text!r} is not valid YAML ({problem}).",
                fix="fix the brackets or quotes, or quote the whole value as text: "
                f"--set '{key}=\"{text}\"'",
            ) from None
    return result


def apply_overrides(data: Any, overrides: dict[str, Any]) -> None:
    """Set each dotted key in ``data`` (a config mapping), creating missing sections.

    A config that is not a mapping is left alone; validation reports it.
    """
    if not isinstance(data, dict):
        return
    for dotted, value in overrides.items():
        keys = [k.strip() for k in dotted.split(".")]
        cur: dict[str, Any] = data
        for i, k in enumerate(keys[:-1]):
            if cur.get(k) is None:
                cur[k] = {}
            nxt = cur[k]
            if not isinstance(nxt, dict):
                where = ".".join(keys[: i + 1])
                raise ConfigError(
                    f"--set {dotted}: '{where}' is a {type(nxt).__name__} ({nxt!r:.40}), not a "
                    f"section, so it has no field '{keys[i + 1]}'.",
                    fix=f"set '{where}' itself, e.g. --set {where}=VALUE",
                )
            cur = nxt
        cur[keys[-1]] = value
