"""The published contracts the kit judges by, where they differ from our own schemas.

- An event in an *answer* is the reference producer's ``Kundhandelse`` DTO: no
  ``part`` and no ``taggar`` (the party is said once per group), null fields
  left out; ``sprak`` is a language tag, ``version`` digits and dots, and
  ``utokadInformation``/``referenser`` any JSON. Derived from our
  ``kundhandelse.json`` so the two cannot drift apart elsewhere.
- Errors off the query path may be RFC 9457 ``application/problem+json``.
- Mina ombud's consumer API (Bolagsverket, ``dfm_konsument_v1_eng.yaml``):
  the OAuth2 token answer, ``HamtaBehorigheterResponse`` and
  ``FullmaktMetadataResponse``, transcribed with the spec's required fields.
"""

from __future__ import annotations

import copy
import functools

from jsonschema import Draft202012Validator
from referencing import Resource

from portal.standard import schemas

LANGUAGE_TAG = r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$"
VERSION = r"^[0-9]+(\.[0-9]+)*$"
ANSWER_EVENT_ID = schemas.BASE_URI + "konformans-svarshandelse.json"


@functools.cache
def _answer_event_validator() -> Draft202012Validator:
    schema = copy.deepcopy(schemas.schema("kundhandelse"))
    schema["$id"] = ANSWER_EVENT_ID  # same folder: its relative "part.json" still resolves
    schema["title"] = "Kundhandelse in an answer"
    schema["required"] = [f for f in schema["required"] if f not in ("part", "taggar")]
    props = schema["properties"]
    props["sprak"] = {"type": "string", "pattern": LANGUAGE_TAG}
    props["version"] = {"type": "string", "pattern": VERSION}
    props["utokadInformation"] = {}
    props["referenser"] = {}
    registry = schemas.registry().with_resource(ANSWER_EVENT_ID, Resource.from_contents(schema))
    return Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def answer_event_problems(event) -> list[str]:
    """Problems with one event of an answer (``part`` and ``taggar`` optional), each naming the field."""
    return _problems(_answer_event_validator(), event)


def _problems(validator: Draft202012Validator, instance) -> list[str]:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{schemas.json_path(e.absolute_path)}: {schemas.short_message(e)}" for e in errors]


# -- errors ----------------------------------------------------------------------------------------------------

def media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def message_problems(content_type: str, body) -> list[str]:
    """Why an error is not the query path's ``application/json`` ``{"message": "..."}`` (empty when it is)."""
    if media_type(content_type) != "application/json":
        return [f"Content-Type {content_type!r}, expected application/json"]
    return [f"body is not {{\"message\": \"...\"}} ({p})" for p in schemas.problems("fel", body)]


def problem_json_problems(content_type: str, body, status: int) -> list[str]:
    """Why an error is not an RFC 9457 problem document (empty when it is)."""
    if media_type(content_type) != "application/problem+json":
        return [f"Content-Type {content_type!r}, expected application/problem+json"]
    if not isinstance(body, dict):
        return ["body is not a JSON object"]
    found = [f"{name} is not a string" for name in ("type", "title", "detail", "instance")
             if name in body and not isinstance(body[name], str)]
    if "status" in body and body["status"] != status:
        found.append(f"status {body['status']!r} differs from the HTTP status {status}")
    return found


# -- Mina ombud's consumer API ---------------------------------------------------------------------------------

_ORGNR = {"type": "string", "pattern": r"^\d{10}$"}
_IDENTITET = {"type": "object", "properties": {"id": {"type": "string", "minLength": 1}, "typ": {"type": "string"}},
              "required": ["id", "typ"]}
_NAMNGIVEN = {"type": "object", "properties": {"fornamn": {"type": "string", "minLength": 1, "maxLength": 255},
                                               "namn": {"type": "string", "minLength": 1, "maxLength": 255}},
              "required": ["namn"]}
_NAMN_IDENTITET = {"allOf": [_IDENTITET, _NAMNGIVEN]}
_FULLMAKTSGIVARE = {"allOf": [_IDENTITET, _NAMNGIVEN, {
    "type": "object", "properties": {"roll": {"enum": ["PRIVAT", "ORGANISATION"]}}, "required": ["roll"]}]}
_BEHORIGHET_TYP = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[a-zA-Z0-9_.-]*$"}
_BEHORIGHET_KOD = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\u0021-\u007e\u00a1-\u00ff]*$"}
_JWS_SIG = {"type": "object", "properties": {"protected": {"type": "string"}, "header": {"type": "object"},
                                             "signature": {"type": "string"}}, "required": ["signature"]}
_PAGE = {"type": "object", "properties": {n: {"type": "integer"} for n in ("size", "number", "totalElements",
                                                                            "totalPages")}}

HAMTA_BEHORIGHETER_RESPONSE = {
    "type": "object",
    "properties": {
        "fullmaktsgivare": {"type": "array", "items": {
            "type": "object",
            "properties": {
                "fullmaktsgivare": _FULLMAKTSGIVARE,
                "fullmaktshavare": {"type": "array", "items": _IDENTITET, "minItems": 1},
                "tredjeman": _ORGNR,
                "behorigheter": {"type": "array", "minItems": 1, "items": {
                    "type": "object",
                    "properties": {"kod": _BEHORIGHET_KOD, "typ": _BEHORIGHET_TYP, "fullmakt": {"type": "string"}},
                    "required": ["kod", "typ", "fullmakt"]}},
                "_sig": _JWS_SIG,
            },
            "required": ["fullmaktsgivare", "fullmaktshavare", "tredjeman", "behorigheter", "_sig"]}},
        "page": _PAGE,
    },
    "required": ["fullmaktsgivare", "page"],
}

_FULLMAKT = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "ursprung": {"type": "object", "properties": {"mall": {"type": "string"}, "fullmakt": {"type": "string"}},
                     "required": ["mall"]},
        "rubrik": {"type": "string", "minLength": 1, "maxLength": 100},
        "beskrivning": {"type": "string", "minLength": 1, "maxLength": 500},
        "giltigFrom": {"type": "string", "format": "date"},
        "giltigTom": {"type": "string", "format": "date"},
        "skapare": _NAMN_IDENTITET,
        "skapadTidpunkt": {"type": "string"},
        "transportfullmakt": {"type": "boolean"},
        "fullmaktsgivare": _FULLMAKTSGIVARE,
        "fullmaktshavare": {"type": "array", "items": _NAMN_IDENTITET},
        "tredjeman": {"type": "object", "properties": {"id": _ORGNR, "namn": {"type": "string", "minLength": 1}},
                      "required": ["id", "namn"]},
        "signatarer": {"type": "array", "items": {"type": "object"}},
        "behorigheter": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "properties": {"behorighetsobjekt": {
                "type": "object",
                "properties": {
                    "kod": _BEHORIGHET_KOD,
                    "rubrik": {"type": "string", "minLength": 1, "maxLength": 100},
                    "typer": {"type": "array", "minItems": 1, "items": {
                        "type": "object",
                        "properties": {"typ": _BEHORIGHET_TYP, "rubrik": {"type": "string"},
                                       "vald": {"type": "boolean"}, "niva": {"type": "integer"}},
                        "required": ["typ", "rubrik", "vald", "niva"]}},
                },
                "required": ["kod", "typer"]}},
            "required": ["behorighetsobjekt"]}},
        "_sig": _JWS_SIG,
    },
    "required": ["id", "ursprung", "rubrik", "beskrivning", "giltigFrom", "transportfullmakt", "fullmaktsgivare",
                 "fullmaktshavare", "tredjeman", "behorigheter", "signatarer", "skapare", "skapadTidpunkt"],
}

FULLMAKT_METADATA_RESPONSE = {
    "type": "object",
    "properties": {"fullmakt": _FULLMAKT, "metadata": {"type": "object"}, "logg": {"type": "array"}},
    "required": ["fullmakt", "metadata"],
}

TOKEN_RESPONSE = {  # RFC 6749 section 5.1
    "type": "object",
    "properties": {"access_token": {"type": "string", "minLength": 1}, "token_type": {"type": "string"},
                   "expires_in": {"type": "integer", "minimum": 1}, "scope": {"type": "string"}},
    "required": ["access_token", "token_type"],
}


@functools.cache
def _validator(name: str) -> Draft202012Validator:
    schema = {"HamtaBehorigheterResponse": HAMTA_BEHORIGHETER_RESPONSE,
              "FullmaktMetadataResponse": FULLMAKT_METADATA_RESPONSE, "token": TOKEN_RESPONSE}[name]
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def registry_problems(name: str, instance) -> list[str]:
    """Problems with a registry answer against the published schema ``name``
    (``HamtaBehorigheterResponse``, ``FullmaktMetadataResponse`` or ``token``)."""
    return _problems(_validator(name), instance)
