"""The standard's JSON Schemas, shipped as package data, and validation against them.

Schemas refer to each other by relative ``$ref`` (``part.json``); a
``referencing.Registry`` resolves those without any network access. Each schema is
also compiled to Python (fastjsonschema) for a quick yes/no; jsonschema, slower,
words the problems of an instance the quick check refused.
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources

import fastjsonschema
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

BASE_URI = "https://schemas.mina-arenden.invalid/6.1/"
NAMES = ("part", "kundhandelse", "fraga", "svar", "fel", "katalog", "producentfil", "ombud")


@functools.cache
def schema(name: str) -> dict:
    """The schema document ``name`` (one of NAMES), as parsed JSON."""
    if name not in NAMES:
        raise KeyError(name)
    text = resources.files(__package__).joinpath("schemas", f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


@functools.cache
def registry() -> Registry:
    """A registry holding every shipped schema under its ``$id``."""
    resources_ = [(schema(n)["$id"], Resource.from_contents(schema(n))) for n in NAMES]
    return Registry().with_resources(resources_)


@functools.cache
def validator(name: str, definition: str | None = None) -> Draft202012Validator:
    """A validator for schema ``name``, or for its ``$defs/<definition>``."""
    target: dict = {"$ref": schema(name)["$id"] + (f"#/$defs/{definition}" if definition else "")}
    return Draft202012Validator(target, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)


@functools.cache
def _fast(name: str, definition: str | None = None):
    """Schema ``name`` (or its ``$defs/<definition>``) compiled to Python by fastjsonschema (about 30 times
    quicker than jsonschema)."""
    # Copies: fastjsonschema rewrites the $refs of what it is given, and schema() hands out shared documents.
    def load(uri: str) -> dict:
        return copy.deepcopy(schema(uri.rsplit("/", 1)[-1].removesuffix(".json")))
    target = {"$ref": schema(name)["$id"] + f"#/$defs/{definition}"} if definition else copy.deepcopy(schema(name))
    # jsonschema's own format checks: a "yes" here must be a "yes" there, whatever formats a schema comes to use.
    checker = Draft202012Validator.FORMAT_CHECKER
    formats = {f: functools.partial(_conforms, checker, f) for f in checker.checkers}
    return fastjsonschema.compile(target, handlers={"https": load}, formats=formats)


def _conforms(checker, format_: str, value) -> bool:
    return checker.conforms(value, format_)


def is_valid(name: str, instance, definition: str | None = None) -> bool:
    """Quick yes/no for schema ``name`` (or its ``$defs/<definition>``): the hot path for every event and
    envelope a producer sends.

    Only a "no" needs :func:`explain` (jsonschema) to say why; both read the same schema files.
    """
    try:
        _fast(name, definition)(instance)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def problems(name: str, instance, definition: str | None = None) -> list[str]:
    """Readable problems with ``instance``, each naming the field path; empty when valid.

    The quick check answers a "yes"; jsonschema, which words the messages, only looks at a "no".
    """
    if is_valid(name, instance, definition):
        return []
    return explain(name, instance, definition)


def explain(name: str, instance, definition: str | None = None) -> list[str]:
    """What jsonschema finds wrong with ``instance`` (slow: for an instance the quick check refused)."""
    found = []
    for error in sorted(validator(name, definition).iter_errors(instance), key=lambda e: list(map(str, e.path))):
        found.append(f"{json_path(error.absolute_path)}: {short_message(error)}")
    return found


def json_path(path) -> str:
    """``$.fraga.parter[0].kund`` style path for an error location."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def short_message(error) -> str:
    """An error message that does not echo large or sensitive values back."""
    if error.validator == "required":
        return error.message.replace(" is a required property", " is required")
    if error.validator == "additionalProperties":
        return "unknown field(s): " + ", ".join(sorted(set(error.instance) - set(error.schema.get("properties", {}))))
    if error.validator in ("pattern", "enum", "type", "format", "const"):
        expected = error.schema.get(error.validator)
        return f"does not match {error.validator} {expected!r}"
    if error.validator in ("maxItems", "minItems", "maxLength", "minLength", "minimum", "maximum", "minProperties"):
        return f"violates {error.validator} {error.validator_value}"
    return error.message if len(error.message) < 200 else error.message[:200] + "…"
