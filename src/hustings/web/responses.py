"""Responses that are not JSON, named by media type so the published schema says what a route sends."""

from __future__ import annotations

from starlette.responses import Response


class CsvResponse(Response):
    media_type = "text/csv"


class ZipResponse(Response):
    media_type = "application/zip"
