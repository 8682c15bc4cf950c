"""How the app answers an error, and which errors each route documents.

Every error answer is JSON with a `detail`: the message, fit to show to a user, or for a request
that does not match its schema the fields at fault (`body.note`, `query.offset`, `path`); a 500
adds the `request_id` the server log has it under. The handlers in `hustings.web.app` and the
guards in `hustings.web.middleware` build their bodies from the models here, and the published
OpenAPI schema declares them on every operation, from what its route declares: its role gate
(401, 403), its path parameters and body (404, and 400 for a body that cannot be decoded), its
method (409 and 413 for writes), and 422 and 500 for all (any URL can carry a NUL character, any
request can meet a fault).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from hustings.web.deps import UNSAFE_METHODS, route_gates

REF_TEMPLATE = "#/components/schemas/{model}"


class FieldError(BaseModel):
    field: str = Field(description="Where the input is at fault: `body.note`, `query.offset`, `path`...")
    error: str


class ErrorPublic(BaseModel):
    """An expected failure: not authenticated, forbidden, not found, a conflict, too large."""

    detail: str


class InvalidPublic(BaseModel):
    """Input the app refuses: the fields at fault, or one message naming the field or value."""

    detail: str | list[FieldError]


class InternalErrorPublic(BaseModel):
    """A fault on the server; the log has it, without the input, under `request_id`."""

    detail: str
    request_id: str


def error_body(message: str) -> dict[str, Any]:
    return ErrorPublic(detail=message).model_dump()


def invalid_body(detail: str | list[FieldError]) -> dict[str, Any]:
    return InvalidPublic(detail=detail).model_dump()


def internal_error_body(message: str, request_id: str) -> dict[str, Any]:
    return InternalErrorPublic(detail=message, request_id=request_id).model_dump()


_ANSWERS: dict[int, tuple[type[BaseModel], str]] = {
    400: (ErrorPublic, "The body could not be read at all (it is not UTF-8, say)."),
    401: (
        ErrorPublic,
        "No valid credentials: a missing, unknown, expired or revoked token, or a disabled account.",
    ),
    403: (ErrorPublic, "The caller's roles or scope do not admit this (or a session sent no CSRF token)."),
    404: (ErrorPublic, "A subject the path or body names does not exist, or is not visible to the caller."),
    409: (
        ErrorPublic,
        "The action clashes with the subject's state, or someone else acted on it at the same moment.",
    ),
    413: (ErrorPublic, "The body is over the size limit; it was not read."),
    422: (InvalidPublic, "The request does not match its schema, or holds a value the app cannot use."),
    500: (InternalErrorPublic, "A fault on the server, logged under the request id."),
}


BROKER_UNAVAILABLE: dict[str, Any] = {
    "model": InternalErrorPublic,
    "description": "The message broker (HUSTINGS_BROKER_URL) did not acknowledge; nothing was stored. "
    "Send the batch again after `Retry-After` seconds (a retried message is stored once).",
    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}},
}
"""The answer of a route that publishes to the broker, for its `responses`."""


def error_statuses(route: APIRoute, method: str) -> list[int]:
    """The error statuses `route` can answer `method` with, read from what the route declares."""
    statuses = {422, 500}
    if not all(gate.public for gate in route_gates(route.dependant)):
        statuses |= {401, 403}
    if route.body_field is not None:
        statuses.add(400)  # FastAPI's own answer to a body it cannot decode (not UTF-8, say)
    if route.dependant.path_params or route.body_field is not None:
        statuses.add(404)
    if method in UNSAFE_METHODS:
        statuses |= {409, 413}
    return sorted(statuses)


def _response(status: int) -> dict[str, Any]:
    model, description = _ANSWERS[status]
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF_TEMPLATE.format(model=model.__name__)}}},
    }
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}}
    return response


def document_errors(schema: dict[str, Any], routers: Iterable[APIRouter]) -> None:
    """Declare on each operation of `schema` the error answers of its route, with their bodies.

    FastAPI's own 422 body (`HTTPValidationError`), which this app never sends, goes.
    """
    components: dict[str, Any] = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorPublic, InvalidPublic, InternalErrorPublic):
        definition = model.model_json_schema(ref_template=REF_TEMPLATE)
        components.update(definition.pop("$defs", {}))
        components[model.__name__] = definition
    for route in (route for router in routers for route in router.routes if isinstance(route, APIRoute)):
        for method in route.methods or ():
            operation = schema.get("paths", {}).get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in error_statuses(route, method):
                responses[str(status)] = _response(status)
            operation["responses"] = dict(sorted(responses.items()))
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
