"""What the real OpenAI API refuses, with its status codes and error bodies (API reference, "Error codes";
guide "Structured Outputs" → "Supported schemas": in strict mode every object must set
`"additionalProperties": false` and list every property in `required`, and the root must be an object)."""

from __future__ import annotations

import functools
import json
from typing import Any

import jsonschema
from aiohttp import web

API_KEY = "sk-test-key-for-fake"


def error(status: int, message: str, type_: str, code: str | None = None, param: str | None = None,
          headers: dict[str, str] | None = None) -> web.Response:
    """An error the way the API answers it: {"error": {"message", "type", "param", "code"}}."""
    return web.json_response({"error": {"message": message, "type": type_, "param": param, "code": code}},
                             status=status, headers=headers)


def refused_key(request: web.Request) -> web.Response | None:
    """401 invalid_api_key unless the request carries API_KEY as its bearer token."""
    given = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if given == API_KEY:
        return None
    shown = f"{given[:3]}*{given[-4:]}" if len(given) > 8 else "***"
    return error(401, f"Incorrect API key provided: {shown}. You can find your API key at "
                      "https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key")


def rate_limited(model: str, retry_after: float | None) -> web.Response:
    """429 rate_limit_exceeded; with `retry_after`, the Retry-After header (seconds) the SDK waits for."""
    headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else None
    return error(429, f"Rate limit reached for {model} on requests per min (RPM): Limit 3, Used 3, Requested 1. "
                      "Please try again in 20s.", "requests", "rate_limit_exceeded", headers=headers)


def strict_schema_problem(schema: Any, context: tuple[str, ...] = ()) -> str | None:
    """Why strict mode refuses this JSON schema, in the API's words; None when it is accepted."""
    if not isinstance(schema, dict):
        return None
    if not context and schema.get("type") != "object":
        return "In context=(), schema must be a JSON Schema of 'type: \"object\"', got 'type: \"" \
               f"{schema.get('type')}\"'."
    types = schema.get("type") if isinstance(schema.get("type"), list) else [schema.get("type")]
    if "object" in types:
        if schema.get("additionalProperties") is not False:
            return f"In context={context}, 'additionalProperties' is required to be supplied and to be false."
        properties = schema.get("properties") or {}
        missing = [name for name in properties if name not in (schema.get("required") or [])]
        if missing:
            return (f"In context={context}, 'required' is required to be supplied and to be an array including "
                    f"every key in properties. Missing '{missing[0]}'.")
        for name, sub in properties.items():
            problem = strict_schema_problem(sub, (*context, "properties", name))
            if problem:
                return problem
    for key in ("items",):
        problem = strict_schema_problem(schema.get(key), (*context, key))
        if problem:
            return problem
    for i, sub in enumerate(schema.get("anyOf") or []):
        problem = strict_schema_problem(sub, (*context, "anyOf", str(i)))
        if problem:
            return problem
    return None


def refused_format(body: dict[str, Any]) -> web.Response | None:
    """400 when the request asks for strict structured output with a schema strict mode does not accept."""
    response_format = body.get("response_format") or {}
    spec = response_format.get("json_schema") or {}
    if response_format.get("type") != "json_schema" or not spec.get("strict"):
        return None
    problem = strict_schema_problem(spec.get("schema"))
    if problem is None:
        return None
    return error(400, f"Invalid schema for response_format '{spec.get('name')}': {problem}",
                 "invalid_request_error", "invalid_json_schema", "response_format")


def schema_mismatch(body: dict[str, Any], content: Any) -> str | None:
    """Why a scripted answer could not come from the real API: in strict mode the model's JSON always matches the
    request's json_schema (OpenAI, Structured Outputs), so a JSON answer that does not is a script the product was
    never going to see; None when it matches, or when the request is not strict or the answer is plain text."""
    spec = (body.get("response_format") or {}).get("json_schema") or {}
    if not spec.get("strict") or not isinstance(content, str) or content.strip()[:1] not in ("{", "["):
        return None
    try:
        error = jsonschema.exceptions.best_match(
            _validator(json.dumps(spec["schema"], sort_keys=True)).iter_errors(json.loads(content)))
    except json.JSONDecodeError as exc:
        error = exc
    if error is None:
        return None
    return f"the answer does not match the json_schema '{spec.get('name')}': {str(error).splitlines()[0]}"


@functools.lru_cache(maxsize=64)
def _validator(schema: str) -> Any:
    """A validator for the JSON `schema`, the schema itself checked once (SchemaError when it is not one): what
    `jsonschema.validate` does on every call, the check of the schema against its metaschema being most of the cost
    (a benchmark's fake model spent most of a CPU core on it)."""
    loaded = json.loads(schema)
    cls = jsonschema.validators.validator_for(loaded)
    cls.check_schema(loaded)
    return cls(loaded)
