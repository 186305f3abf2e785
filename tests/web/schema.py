"""Validate bodies against the schemas of the app's own OpenAPI document."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from velox.config import Settings
from velox.web.openapi import document_for

DOCUMENT = document_for(Settings(dev=True))


def check(schema: dict[str, Any], body: Any) -> None:
    """Raise jsonschema.ValidationError unless ``body`` matches ``schema`` (may be a $ref)."""
    root = {**schema, "components": DOCUMENT["components"]}
    Draft202012Validator(root).validate(body)


def check_named(name: str, body: Any) -> None:
    check({"$ref": f"#/components/schemas/{name}"}, body)


def response_schema(path: str, method: str, status: int) -> dict[str, Any] | None:
    """The documented schema of that response; AssertionError if the status is undocumented."""
    responses = DOCUMENT["paths"][path][method]["responses"]
    assert str(status) in responses, (method, path, status)
    content = responses[str(status)].get("content")
    return None if content is None else content["application/json"]["schema"]
