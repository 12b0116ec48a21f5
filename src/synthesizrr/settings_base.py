"""Base class of every typed settings model: unknown keys are rejected."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Settings value object: ``extra="forbid"``, validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)

    #: Fields that do not change what a stage produces (transport limits, budgets): left
    #: out of :meth:`fingerprint_dump`, so changing them reruns nothing.
    not_fingerprinted: ClassVar[frozenset[str]] = frozenset()

    #: Fields added after run directories existed: in the fingerprint only when set to
    #: something other than their default, so old runs still resume (every stage skipped).
    fingerprinted_when_set: ClassVar[frozenset[str]] = frozenset()

    #: Fields whose being set, not only their value, changes behaviour (retrieval's cosine
    #: bounds: unset, a measured percentile band applies). :meth:`dump_as_given` leaves them
    #: out while unset, so the dump loads back to the same settings.
    set_matters: ClassVar[frozenset[str]] = frozenset()

    def dump_as_given(self) -> dict[str, Any]:
        """The settings as JSON with every default filled in, less ``set_matters`` fields
        that were not set (in nested settings too): YAML of it loads back to these settings."""
        out = self.model_dump(mode="json", exclude=set(self.set_matters - self.model_fields_set))
        for name in out:
            value = getattr(self, name)
            if isinstance(value, StrictModel):
                out[name] = value.dump_as_given()
        return out

    def fingerprint_dump(self) -> dict[str, Any]:
        """The settings as JSON, less ``not_fingerprinted`` fields and ``fingerprinted_when_set``
        fields at their default (in nested settings too): what a stage's fingerprint covers."""
        at_default = {
            name
            for name in self.fingerprinted_when_set
            if getattr(self, name)
            == type(self).model_fields[name].get_default(call_default_factory=True)
        }
        out = self.model_dump(mode="json", exclude=set(self.not_fingerprinted) | at_default)
        for name in out:
            value = getattr(self, name)
            if isinstance(value, StrictModel):
                out[name] = value.fingerprint_dump()
        return out
