"""Posting the login form as a browser would: with whatever CSRF token the form carries."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response


def csrf(html: str) -> str | None:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return found.group(1) if found else None


def post_login(client: TestClient, name: str, password: str, next_path: str = "/") -> Response:
    form = {"name": name, "password": password, "next": next_path}
    token = csrf(client.get("/login").text)
    if token:
        form["csrf_token"] = token
    return client.post("/login", data=form, follow_redirects=False)
