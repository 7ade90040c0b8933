"""config: a situation's expected steps ([[situation.step]]) and the errors that name a bad one."""

from __future__ import annotations

import pytest
from portal_builders import config_doc

from portal.config import DEMO_CONFIG, ConfigError, StepConfig, load, parse


def with_steps(*steps, **situation) -> dict:
    doc = config_doc()
    doc["situation"][0].update(situation)
    doc["situation"][0]["step"] = list(steps)
    return doc


def st(key: str, *case_types: str, **extra) -> dict:
    table = {"key": key, "name_sv": f"Steg {key}", "name_en": f"Step {key}",
             "case_types": list(case_types) or ["LST.VATTENBRUK"]}
    table.update(extra)
    return table


def error(doc) -> str:
    with pytest.raises(ConfigError) as info:
        parse(doc, {}, testing=True)
    return str(info.value)


# --- parsing -----------------------------------------------------------------------------


def test_steps_parse_in_order_with_parents_and_optional_flags():
    doc = with_steps(
        st("foretag", "BV.AKTIEBOLAG", "SKV.FSKATT"),
        st("bolag", "BV.AKTIEBOLAG", parent="foretag"),
        st("fskatt", "SKV.FSKATT", parent="foretag", optional=True),
        st("tillstand", "LST.VATTENBRUK"),
    )
    steps = parse(doc, {}, testing=True).situations[0].steps
    assert [s.key for s in steps] == ["foretag", "bolag", "fskatt", "tillstand"]
    assert steps[0] == StepConfig("foretag", "Steg foretag", "Step foretag", ("BV.AKTIEBOLAG", "SKV.FSKATT"))
    assert steps[0].parent == "" and steps[0].optional is False
    assert steps[1].parent == "foretag"
    assert steps[2].optional is True
    assert isinstance(steps[0].case_types, tuple)
    assert steps[3].name("sv") == "Steg tillstand" and steps[3].name("en") == "Step tillstand"


def test_a_situation_without_steps_has_none():
    assert parse(config_doc(), {}, testing=True).situations[0].steps == ()


def test_an_empty_step_list_is_allowed():
    assert parse(with_steps(), {}, testing=True).situations[0].steps == ()


def test_the_demo_config_has_the_aquaculture_pilots_steps():
    situation = next(s for s in load(DEMO_CONFIG, {}, testing=True).situations if s.slug == "starta-vattenbruk")
    steps = {s.key: s for s in situation.steps}
    assert len(situation.steps) == 15
    top = [s for s in situation.steps if not s.parent]
    assert [s.key for s in top] == ["foretag", "strandskydd", "vattenverksamhet", "miljofarlig", "tillstand",
                                    "anlaggning", "livsmedel", "rapportering"]
    assert not any(s.optional for s in top)  # the pilot's eight steps are all required
    assert {k for k, s in steps.items() if s.optional} == {"utsattning", "livsmedelsanlaggning", "rening"}
    assert {k: s.parent for k, s in steps.items() if s.parent} == {
        "bolag": "foretag", "fskatt": "foretag", "moms": "foretag", "utsattning": "tillstand",
        "primarproducent": "livsmedel", "livsmedelsanlaggning": "livsmedel", "rening": "livsmedel"}
    assert steps["strandskydd"].case_types == ("LST.STRANDSKYDD", "TANUM.STRANDSKYDD")
    assert all(s.name_sv and s.name_en and s.name_sv != s.name_en for s in situation.steps)


# --- errors ---------------------------------------------------------------------------------


def test_two_steps_with_the_same_key():
    message = error(with_steps(st("a"), st("b"), st("a")))
    assert "[[situation]] #1" in message and "two steps share a key" in message


def test_a_parent_that_names_no_step():
    message = error(with_steps(st("a"), st("b", parent="nowhere")))
    assert "[[situation]] #1 step #2" in message and "parent" in message and "earlier step" in message


def test_a_parent_that_comes_later():
    message = error(with_steps(st("child", parent="later"), st("later")))
    assert "[[situation]] #1 step #1" in message and "parent" in message


def test_a_step_cannot_be_its_own_parent():
    message = error(with_steps(st("a", parent="a")))
    assert "step #1" in message and "parent" in message


@pytest.mark.parametrize("case_types", [
    ["lst.vattenbruk"], ["LST.VATTENBRUK."], ["LST..VATTENBRUK"], ["LST VATTENBRUK"], ["LST.STRÄNDER"], [""],
    ["LST.VATTENBRUK", "bad"], [],
], ids=["lowercase", "trailing-dot", "empty-segment", "space", "non-ascii", "empty-string", "one-bad", "none"])
def test_bad_step_prefixes_are_named(case_types):
    message = error(with_steps(st("a"), st("b", case_types=case_types)))
    assert "step #2" in message and "case_types" in message


def test_step_case_types_must_be_a_list_of_strings():
    message = error(with_steps(st("a", case_types="LST.VATTENBRUK")))
    assert "step #1 case_types" in message and "list of strings" in message


def test_step_not_a_list():
    doc = config_doc()
    doc["situation"][0]["step"] = st("a")  # [situation.step] (a table), not [[situation.step]]
    message = error(doc)
    assert "[[situation]] #1 step" in message and "array of tables" in message


def test_a_step_entry_that_is_not_a_table():
    message = error(with_steps("foretag"))
    assert "step #1" in message and "must be a table" in message


def test_unknown_key_in_a_step_is_named():
    message = error(with_steps(st("a", state="done")))
    assert "step #1" in message and "state" in message


@pytest.mark.parametrize("missing", ["key", "name_sv", "name_en", "case_types"])
def test_missing_step_fields_are_named(missing):
    table = st("a")
    del table[missing]
    message = error(with_steps(table))
    assert "step #1" in message and missing in message


def test_optional_must_be_a_boolean():
    message = error(with_steps(st("a", optional="yes")))
    assert "step #1 optional" in message and "true or false" in message


def test_step_names_must_be_non_empty():
    message = error(with_steps(st("a", name_sv="")))
    assert "step #1 name_sv" in message


def test_errors_name_the_right_situation():
    doc = config_doc()
    doc["situation"].append({"slug": "bygga-hus", "name_sv": "Bygga hus", "name_en": "Building a house",
                             "case_types": ["TANUM.BYGGLOV"], "step": [st("a"), st("a")]})
    assert "[[situation]] #2" in error(doc)
