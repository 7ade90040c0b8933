"""The producer API as an OpenAPI 3.1 document, built from the shipped JSON Schemas.

Each schema file and each of its ``$defs`` becomes one entry of
``components.schemas`` and every ``$ref`` is rewritten to point there, so the
document stands alone (tools such as schemathesis resolve nothing outside it).
Our extensions are marked ``x-extension: true``.
"""

from __future__ import annotations

import copy

from . import schemas

# Schema file -> component name.
_ROOTS = {"part": "Part", "kundhandelse": "Kundhandelse", "fraga": "KundhandelseFraga",
          "svar": "KundhandelseSvar", "fel": "Fel", "katalog": "Katalog"}


def _rewrite(node, file_name: str):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("$schema", "$id", "$defs"):
                continue
            if key == "$ref":
                out[key] = _ref_target(value, file_name)
            else:
                out[key] = _rewrite(value, file_name)
        return out
    if isinstance(node, list):
        return [_rewrite(v, file_name) for v in node]
    return node


def _ref_target(ref: str, file_name: str) -> str:
    target_file, _, fragment = ref.partition("#")
    target = target_file.removesuffix(".json") or file_name
    if fragment.startswith("/$defs/"):
        return "#/components/schemas/" + fragment[len("/$defs/"):]
    return "#/components/schemas/" + _ROOTS[target]


def components() -> dict:
    """Every producer-facing schema and definition, refs rewritten to components."""
    out: dict = {}
    for file_name, component in _ROOTS.items():
        doc = schemas.schema(file_name)
        out[component] = _rewrite(copy.deepcopy(doc), file_name)
        for name, definition in doc.get("$defs", {}).items():
            out[name] = _rewrite(copy.deepcopy(definition), file_name)
    return out


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Fel"}}}}


PROBLEM = {"type": "object", "description": "RFC 9457 problem details",
           "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                          "detail": {"type": "string"}, "instance": {"type": "string"}}}


def _problem(description: str) -> dict:
    return {"description": description, "content": {"application/problem+json": {"schema": PROBLEM}}}


def security_schemes(key_header: str = "X-API-Key", client_headers: bool = False) -> dict:
    """How this producer authenticates consumers: a key in one header, or the client_id/client_secret pair."""
    if client_headers:
        return {"clientId": {"type": "apiKey", "in": "header", "name": "client_id"},
                "clientSecret": {"type": "apiKey", "in": "header", "name": "client_secret"}}
    return {"apiKey": {"type": "apiKey", "in": "header", "name": key_header}}


def document(title: str, server_url: str, *, key_header: str = "X-API-Key", client_headers: bool = False) -> dict:
    """The OpenAPI 3.1 document for one producer served at ``server_url``.

    Errors on the query path are the standard's ``{"message"}``; elsewhere (the catalog) RFC 9457 problems,
    as the reference producer answers off the query path.
    """
    answer = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/KundhandelseSvar"}}}}
    schemes = security_schemes(key_header, client_headers)
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{title}: kundhändelser (Mina ärenden 6.1)", "version": "6.1"},
        "servers": [{"url": server_url}],
        "security": [{name: [] for name in schemes}],
        "paths": {
            "/kundhandelseFragaSynkron": {
                "post": {
                    "operationId": "kundhandelseFragaSynkron",
                    "summary": "Fetch customer events for one or more parts",
                    "parameters": [
                        {"name": "skv_client_correlation_id", "in": "header", "required": True,
                         "schema": {"type": "string", "pattern": "^[\\x20-\\x7E]{1,200}$"}},
                        {"name": "Accept-Language", "in": "header", "required": False, "schema": {"type": "string"}},
                    ],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/KundhandelseFraga"}}}},
                    "responses": {
                        "200": {"description": "The events", **answer},
                        "206": {"description": "Some producer behind a forwarder failed; delfragor says which",
                                **answer},
                        "400": _error("Invalid request"),
                        "401": _error("Missing or wrong credentials"),
                        "403": _error("anvandare may not see this customer (our extension: defence in depth)"),
                        "404": _error("Unknown path"),
                        "405": _error("Method not allowed"),
                        "415": _error("Body is not application/json"),
                        "500": _error("Producer error"),
                    },
                }
            },
            "/kundhandelsetyper": {
                "get": {
                    "operationId": "kundhandelsetyper",
                    "summary": "The producer's event-type catalog",
                    "x-extension": True,
                    "responses": {
                        "200": {"description": "The catalog", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Katalog"}}}},
                        "401": _problem("Missing or wrong credentials"),
                        "404": _problem("This producer publishes no catalog"),
                    },
                }
            },
        },
        "components": {
            "schemas": components(),
            "securitySchemes": schemes,
        },
    }
