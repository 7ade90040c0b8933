"""schemas: the shipped JSON Schemas and readable, non-leaking problem messages."""

from __future__ import annotations

import json

import pytest
from builders import ANVANDARE, ORGNR12, PNR, SAMNR, arende_json, event_json, fraga_body, kund_json
from hypothesis import given
from hypothesis import strategies as st

from portal.standard import schemas
from portal.standard.schemas import json_path, problems

# An event in an answer carries no part (the group says whom it is about); a producer's data file requires it.
REQUIRED = [
    "kundhandelseId", "rubrik", "producent", "tidpunkt", "kundhandelseTyp",
    "producentarendetKraverKundatgard", "producentarendetKlart", "version",
]


def test_every_shipped_schema_loads_with_its_id():
    for name in schemas.NAMES:
        doc = schemas.schema(name)
        assert doc["$id"] == schemas.BASE_URI + f"{name}.json"
    with pytest.raises(KeyError):
        schemas.schema("nonexistent")


def test_full_valid_event_passes():
    assert problems("kundhandelse", event_json()) == []


def test_minimal_valid_event_passes():
    minimal = {k: v for k, v in event_json().items() if k in REQUIRED}
    assert problems("kundhandelse", minimal) == []


@pytest.mark.parametrize("part", [
    {"kund": kund_json()},
    {"arende": arende_json()},
    {"kund": kund_json(SAMNR, "Samordningsnummer")},
    {"kund": kund_json(ORGNR12, "Organisationsnummer", tillagg="2")},
    {"arende": arende_json("K-1", "Kvittensnummer")},
])
def test_valid_parts(part):
    assert problems("kundhandelse", event_json(part=part)) == []


@pytest.mark.parametrize("field", REQUIRED)
def test_each_missing_required_field_is_named(field):
    found = problems("kundhandelse", event_json(**{field: ...}))
    assert found == [f"$: '{field}' is required"]


def test_an_event_in_an_answer_needs_no_part_and_no_taggar():
    assert problems("kundhandelse", event_json(part=..., taggar=...)) == []


def test_a_producers_data_file_requires_part_on_every_event():
    doc = {"producent": {"namn": "Referenskommunen", "orgnr": "2120000001", "prefix": "REFKOM"},
           "kundhandelser": [event_json(part=...)]}
    assert problems("producentfil", doc) == ["$.kundhandelser[0]: 'part' is required"]
    doc["kundhandelser"] = [event_json()]
    assert problems("producentfil", doc) == []


@pytest.mark.parametrize("sprak", ["sv", "en", "fi", "fit", "smj", "sv-SE", "se-Latn-NO"])
def test_real_language_tags_are_accepted(sprak):
    assert problems("kundhandelse", event_json(sprak=sprak)) == []


@pytest.mark.parametrize("version", ["6.1", "6.2", "7.0", "7", "6.1.3"])
def test_later_versions_are_accepted(version):
    assert problems("kundhandelse", event_json(version=version)) == []


@pytest.mark.parametrize("value", [[], "text", 7, None, {"senastDatum": 3}])
def test_utokad_information_and_referenser_may_be_any_json(value):
    assert problems("kundhandelse", event_json(utokadInformation=value, referenser=value)) == []


def test_unknown_field_is_named():
    found = problems("kundhandelse", event_json(status="OPEN"))
    assert found == ["$: unknown field(s): status"]
    found = problems("kundhandelse", event_json(part={"kund": {**kund_json(), "namn": "Anna"}}))
    assert found == ["$.part.kund: unknown field(s): namn"]


@pytest.mark.parametrize("typ", ["refkom.bygglov.beslut", "REFKOM.BYGGLOV", "REFKOM.BYGGLOV.BESLUT_ÅTER", "", 7])
def test_bad_event_type_is_reported_with_its_path(typ):
    found = problems("kundhandelse", event_json(kundhandelseTyp=typ))
    assert len(found) == 1 and found[0].startswith("$.kundhandelseTyp: ")


@pytest.mark.parametrize(
    "bad",
    [
        PNR[:-1],  # 11 digits
        PNR + "4",  # 13 digits
        PNR[:-1] + "X",
        "19900909-1233",
        199009091233,
    ],
)
def test_bad_identifierare_is_reported_without_echoing_the_number(bad):
    found = problems("kundhandelse", event_json(part={"kund": kund_json(bad)}))
    assert len(found) == 1
    assert found[0].startswith("$.part.kund.identifierare: ")
    text = " ".join(found)
    assert str(bad) not in text
    assert PNR[:8] not in text


def test_bad_anvandare_and_parter_in_a_fraga_are_reported_without_numbers():
    body = fraga_body([{"kund": kund_json("19900909123X")}], anvandare="9009091233")
    found = problems("fraga", body)
    assert {f.split(":")[0] for f in found} == {"$.anvandare", "$.fraga.parter[0].kund.identifierare"}
    text = " ".join(found)
    assert "9009091233" not in text and "19900909123" not in text


def test_other_field_errors_name_their_paths():
    found = problems("kundhandelse", event_json(part={"kund": kund_json(typ="Gdnr")}, rubrik="x" * 256,
                                                sprak="svenska", version="v6", producentarendetKlart="true"))
    assert [f.split(":")[0] for f in found] == [
        "$.part.kund.typ", "$.producentarendetKlart", "$.rubrik", "$.sprak", "$.version",
    ]
    assert "x" * 50 not in " ".join(found)  # long values are not echoed


def test_part_needs_kund_or_arende():
    assert problems("kundhandelse", event_json(part={})) == ["$.part: violates minProperties 1"]


def test_kundhandelse_id_length():
    assert problems("kundhandelse", event_json(kundhandelseId="x" * 100)) == []
    assert problems("kundhandelse", event_json(kundhandelseId="x" * 101)) == ["$.kundhandelseId: violates maxLength 100"]


def test_taggar_limit_on_events():
    assert problems("kundhandelse", event_json(taggar=["t"] * 100)) == []
    assert problems("kundhandelse", event_json(taggar=["t"] * 101)) == ["$.taggar: violates maxItems 100"]


@pytest.mark.parametrize("tidpunkt", ["2026-09-14T10:12:00+02:00", "2026-09-14T08:12:00Z", "2026-09-14 10:12:00"])
def test_both_tidpunkt_forms_pass_the_schema(tidpunkt):
    assert problems("kundhandelse", event_json(tidpunkt=tidpunkt)) == []


@pytest.mark.parametrize("tidpunkt", ["2026-09-14", "14 sep 2026", "2026-09-14T10:12:00"])
def test_bad_tidpunkt_fails_the_schema(tidpunkt):
    assert [f.split(":")[0] for f in problems("kundhandelse", event_json(tidpunkt=tidpunkt))] == ["$.tidpunkt"]


# --- fraga -----------------------------------------------------------------


def test_full_valid_fraga_passes():
    body = fraga_body(
        [{"kund": kund_json(), "arende": arende_json()}],
        kundhandelseTyper=["REFKOM.BYGGLOV", "SKV"],
        taggar=["bygglov"],
        startDatum="2026-08-01",
        slutDatum="2026-09-30",
        behandling={"sortering": [{"attribut": "TIDPUNKT", "stigande": False}],
                    "paginering": {"offset": 0, "limit": 1000}},
    )
    assert problems("fraga", body) == []


@pytest.mark.parametrize(
    "fields,path,message",
    [
        ({"behandling": {"sortering": [{"attribut": "TIDPUNKT"}], "paginering": {"offset": 0, "limit": 1001}}},
         "$.fraga.behandling.paginering.limit", "violates maximum 1000"),
        ({"behandling": {"sortering": [{"attribut": "TIDPUNKT"}], "paginering": {"offset": 0, "limit": 0}}},
         "$.fraga.behandling.paginering.limit", "violates minimum 1"),
        ({"behandling": {"sortering": [{"attribut": "TIDPUNKT"}], "paginering": {"offset": -1, "limit": 5}}},
         "$.fraga.behandling.paginering.offset", "violates minimum 0"),
        ({"taggar": ["t"] * 101}, "$.fraga.taggar", "violates maxItems 100"),
        ({"kundhandelseTyper": ["SKV"] * 101}, "$.fraga.kundhandelseTyper", "violates maxItems 100"),
        ({"behandling": {"sortering": [{"attribut": "STATUS"}]}}, "$.fraga.behandling.sortering[0].attribut", None),
        ({"startDatum": "1 aug 2026"}, "$.fraga.startDatum", None),
        ({"kundhandelseTyper": ["skv"]}, "$.fraga.kundhandelseTyper[0]", None),
    ],
)
def test_fraga_limits(fields, path, message):
    found = problems("fraga", fraga_body(**fields))
    assert len(found) == 1
    assert found[0].startswith(path + ": ")
    if message:
        assert found[0] == f"{path}: {message}"


def test_fraga_limit_1000_and_100_parter_are_fine_101_are_not():
    assert problems("fraga", fraga_body([{"kund": kund_json()}] * 100)) == []
    assert problems("fraga", fraga_body([{"kund": kund_json()}] * 101)) == ["$.fraga.parter: violates maxItems 100"]
    assert problems("fraga", fraga_body([])) == ["$.fraga.parter: violates minItems 1"]


def test_fraga_requires_anvandare_and_fraga():
    assert problems("fraga", {"fraga": {"parter": [{"kund": kund_json()}]}}) == ["$: 'anvandare' is required"]
    assert problems("fraga", {"anvandare": ANVANDARE}) == ["$: 'fraga' is required"]


def test_json_path():
    assert json_path([]) == "$"
    assert json_path(["fraga", "parter", 0, "kund"]) == "$.fraga.parter[0].kund"


def test_delfraga_definition():
    assert problems("svar", {"producent": "SKV", "status": "OK"}, "Delfraga") == []
    assert [p.split(":")[0] for p in problems("svar", {"producent": "SKV", "status": "KANSKE"}, "Delfraga")] == [
        "$.status"
    ]


def test_ombud_fullmakt_definition_checks_dates():
    from builders import fullmakt

    assert problems("ombud", fullmakt(), "Fullmakt") == []
    found = problems("ombud", fullmakt(giltig_tom="2026-02-30"), "Fullmakt")
    assert [f.split(":")[0] for f in found] == ["$.giltigTom"]


def test_the_quick_check_leaves_the_shared_schemas_untouched():
    from portal.standard import openapi, schemas
    before = json.dumps(schemas.schema("kundhandelse"), sort_keys=True)
    assert schemas.is_valid("kundhandelse", event_json())
    assert json.dumps(schemas.schema("kundhandelse"), sort_keys=True) == before
    assert openapi.document("X", "/x")["components"]["schemas"]["Kundhandelse"]


def test_the_quick_check_and_the_full_validator_agree_on_the_unit_cases():
    from portal.standard import schemas
    good = event_json()
    bad = [{k: v for k, v in good.items() if k != "rubrik"}, {**good, "kundhandelseTyp": "skv.x.y"},
           {**good, "extra": 1}, {**good, "taggar": ["x"] * 101}, {**good, "part": {}}, "not an event"]
    assert schemas.is_valid("kundhandelse", good)
    for instance in bad:
        assert not schemas.is_valid("kundhandelse", instance)
        assert schemas.problems("kundhandelse", instance)


# The envelope of every answer: each group's part and each delfraga. The quick check (fastjsonschema) answers a
# "yes"; jsonschema alone decides a "no" and words it, so problems() says exactly what jsonschema says.
ENVELOPE_CASES = [
    ("part", {"kund": kund_json()}, True),
    ("part", {"arende": arende_json()}, True),
    ("part", {"kund": kund_json(ORGNR12, "Organisationsnummer", tillagg="2"), "arende": arende_json()}, True),
    ("part", {"kund": kund_json(PNR + "\n")}, True),  # jsonschema's "$" allows a final newline; the quick one not
    ("part", {}, False),
    ("part", None, False),
    ("part", "kund", False),
    ("part", {"kund": kund_json(PNR[:-1])}, False),
    ("part", {"kund": kund_json(typ="Gdnr")}, False),
    ("part", {"kund": {**kund_json(), "namn": "Anna"}}, False),
    ("part", {"kund": kund_json(tillagg="1234")}, False),
    ("part", {"arende": arende_json("")}, False),
    ("part", {"arende": arende_json("x" * 101)}, False),
    ("part", {"person": kund_json()}, False),
    ("Delfraga", {"producent": "Skatteverket", "status": "OK"}, True),
    ("Delfraga", {"producent": "Tanum", "status": "FEL", "message": "timeout", "httpCode": 504}, True),
    ("Delfraga", {"producent": "Tanum", "status": "FEL", "httpCode": 504.0}, True),  # an integral number
    ("Delfraga", {"producent": "Tanum", "status": "OK", "part": {"kund": kund_json()}, "annat": 1}, True),
    ("Delfraga", {"status": "OK"}, False),
    ("Delfraga", {"producent": 7, "status": "OK"}, False),
    ("Delfraga", {"producent": "Tanum", "status": "KANSKE"}, False),
    ("Delfraga", {"producent": "Tanum", "status": "FEL", "httpCode": True}, False),
    ("Delfraga", {"producent": "Tanum", "status": "FEL", "httpCode": "504"}, False),
    ("Delfraga", {"producent": "Tanum", "status": "OK", "part": {}}, False),
    ("Delfraga", {"producent": "Tanum", "status": "OK", "part": {"kund": kund_json(PNR[:-1])}}, False),
    ("Delfraga", [], False),
    ("Delfraga", None, False),
]


@pytest.mark.parametrize("what, instance, valid", ENVELOPE_CASES)
def test_the_quick_path_gives_jsonschemas_answer_for_the_envelope(what, instance, valid):
    name, definition = ("part", None) if what == "part" else ("svar", "Delfraga")
    found = problems(name, instance, definition)
    assert found == schemas.explain(name, instance, definition)
    assert (found == []) == valid
    if not valid:
        assert all(message.startswith("$") for message in found)


_KUND_FIELDS = st.fixed_dictionaries(
    {"identifierare": st.one_of(st.from_regex(r"[0-9]{12}", fullmatch=True), st.text(max_size=14), st.integers())},
    optional={"typ": st.sampled_from(["Personnummer", "Organisationsnummer", "Samordningsnummer", "Gdnr", None]),
              "tillagg": st.one_of(st.from_regex(r"[0-9]{1,4}", fullmatch=True), st.integers()),
              "namn": st.text(max_size=3)})
_PARTS = st.dictionaries(st.sampled_from(["kund", "arende", "annat"]),
                         st.one_of(_KUND_FIELDS, st.builds(arende_json, st.text(max_size=101))), max_size=3)


@given(part=_PARTS, status=st.sampled_from(["OK", "FEL", "ok", 1]),
       http_code=st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.booleans(), st.text(max_size=3)))
def test_the_quick_path_and_jsonschema_agree_on_near_valid_envelopes(part, status, http_code):
    assert problems("part", part) == schemas.explain("part", part)
    delfraga = {"producent": "Tanum", "status": status, "part": part}
    if http_code is not None:
        delfraga["httpCode"] = http_code
    assert problems("svar", delfraga, "Delfraga") == schemas.explain("svar", delfraga, "Delfraga")
