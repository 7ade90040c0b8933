"""The ``[[situation]]`` tables: customer situations, their case types and expected steps."""

from __future__ import annotations

from dataclasses import dataclass, replace

from portal.standard.eventtypes import is_prefix

from .reading import ConfigError, _build


@dataclass(frozen=True)
class StepConfig:
    """One expected step of a situation: the case types that make it, and where it sits."""

    key: str
    name_sv: str
    name_en: str
    case_types: tuple[str, ...]
    optional: bool = False
    parent: str = ""  # key of the step this one belongs under ("" = top level)

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_sv


@dataclass(frozen=True)
class SituationConfig:
    slug: str
    name_sv: str
    name_en: str
    case_types: tuple[str, ...]
    steps: tuple[StepConfig, ...] = ()
    # The situation applies to a party only when it has a case of one of these types (none given: any case
    # of the situation's or its steps' types).
    defining_case_types: tuple[str, ...] = ()

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_sv

    @property
    def defining(self) -> tuple[str, ...]:
        return self.defining_case_types or self.case_types + tuple(p for s in self.steps for p in s.case_types)


def _situation(index: int, table) -> SituationConfig:
    where = f"[[situation]] #{index + 1}"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    table = dict(table)
    raw_steps = table.pop("step", [])
    if not isinstance(raw_steps, list):
        raise ConfigError(f"{where} step must be an array of tables ([[situation.step]])")
    situation = _build(SituationConfig, table, where)
    bad = [c for c in situation.case_types if not is_prefix(c)]
    if bad or not situation.case_types:
        raise ConfigError(f"{where} case_types must be type prefixes such as LST.VATTENBRUK")
    if not all(is_prefix(c) for c in situation.defining_case_types):
        raise ConfigError(f"{where} defining_case_types must be type prefixes such as LST.VATTENBRUK")
    steps = tuple(_build(StepConfig, step, f"{where} step #{i + 1}") for i, step in enumerate(raw_steps))
    keys = [st.key for st in steps]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"{where}: two steps share a key")
    for i, step in enumerate(steps):
        if not step.case_types or not all(is_prefix(c) for c in step.case_types):
            raise ConfigError(f"{where} step #{i + 1} case_types must be type prefixes such as LST.VATTENBRUK")
        if step.parent and step.parent not in keys[:i]:
            raise ConfigError(f"{where} step #{i + 1} parent must name an earlier step's key")
    return replace(situation, steps=steps)
