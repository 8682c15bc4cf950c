"""One password policy at every place a password is set: `hustings users add`, the admin page,
the delegate API and page, and the store's `set_password` that password changes go through."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hustings.auth.model import Role
from hustings.cli.main import app
from hustings.errors import InvalidInput
from hustings.services import Services
from hustings.targets.model import Target, TargetRole
from tests.conftest import MakeUser, bearer

on_sqlite = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
runner = CliRunner()
WEAK = {"a": "must be at least 12 characters", "admin": "must be at least 12 characters",
        "password1234": "too easy to guess"}  # fmt: skip


def a_target(services: Services) -> Target:
    target = services.targets.create(
        name="Aisha Okafor",
        role=TargetRole.COUNCILLOR,
        party=None,
        constituency=None,
        handles=[("x", "@aisha")],
        now=services.clock.now(),
    )
    services.session.commit()
    return target


@pytest.mark.parametrize(("password", "problem"), WEAK.items())
def test_users_add_refuses_a_weak_password_and_creates_nobody(
    env: dict[str, str], password: str, problem: str
) -> None:
    refused = runner.invoke(
        app, ["users", "add", "sam", "--role", "moderator", "--password", password], env=env
    )
    assert refused.exit_code == 2
    assert f"password: {problem}" in refused.stderr and "Traceback" not in refused.output
    assert "sam" not in runner.invoke(app, ["users", "list"], env=env).stdout
    accepted = runner.invoke(
        app, ["users", "add", "sam", "--role", "moderator", "--password", "a long passphrase"], env=env
    )
    assert accepted.exit_code == 0, accepted.output


@on_sqlite
@pytest.mark.parametrize(("password", "problem"), WEAK.items())
def test_the_admin_page_refuses_a_weak_password_naming_the_field(
    client: TestClient, make_user: MakeUser, services: Services, password: str, problem: str
) -> None:
    _, token = make_user(Role.ADMIN)
    form = {"name": "sam", "roles": "moderator", "password": password}
    refused = client.post("/admin/users", data=form, headers=bearer(token))
    assert refused.status_code == 422
    assert f"password: {problem}" in refused.text
    assert services.users.by_name("sam") is None
    accepted = client.post(
        "/admin/users", data=form | {"password": "a long passphrase"}, headers=bearer(token)
    )
    assert accepted.status_code == 201
    assert services.users.check_password("sam", "a long passphrase") is not None


@on_sqlite
def test_the_admin_page_still_makes_api_only_users_without_a_password(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    _, token = make_user(Role.ADMIN)
    made = client.post("/admin/users", data={"name": "feed", "roles": "triage"}, headers=bearer(token))
    assert made.status_code == 201 and services.users.by_name("feed") is not None


@on_sqlite
@pytest.mark.parametrize(("password", "problem"), WEAK.items())
def test_the_delegate_api_refuses_a_weak_password(
    client: TestClient, make_user: MakeUser, services: Services, password: str, problem: str
) -> None:
    _, token = make_user(Role.ADMIN)
    target = a_target(services)
    path = f"/v1/targets/{target.id}/delegates"
    refused = client.post(path, json={"name": "dan", "password": password}, headers=bearer(token))
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith(f"password: {problem}")
    assert services.users.by_name("dan") is None
    made = client.post(path, json={"name": "dan", "password": "a long passphrase"}, headers=bearer(token))
    assert made.status_code == 201, made.text


@on_sqlite
def test_the_delegate_page_refuses_a_weak_password(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    _, token = make_user(Role.ADMIN)
    target = a_target(services)
    answer = client.post(
        f"/targets/{target.id}/delegates",
        data={"name": "dan", "password": "admin"},
        headers=bearer(token),
        follow_redirects=False,
    )
    assert answer.status_code == 303
    error = parse_qs(urlparse(answer.headers["location"]).query)["error"][0]
    assert error.startswith("password: must be at least 12 characters")
    assert services.users.by_name("dan") is None


@on_sqlite
def test_setting_a_new_password_follows_the_same_policy(make_user: MakeUser, services: Services) -> None:
    user, _ = make_user(Role.MODERATOR, password="a long passphrase", name="sam")
    with pytest.raises(InvalidInput, match=r"^password: too easy to guess"):
        services.users.set_password(user.id, "sam-sam-sam-sam")
    assert services.users.check_password("sam", "a long passphrase") is not None
    services.users.set_password(user.id, "another long passphrase")
    assert services.users.check_password("sam", "another long passphrase") is not None
