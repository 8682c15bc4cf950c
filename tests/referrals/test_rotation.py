"""Rotating HUSTINGS_SECRET_KEY: old evidence packs still open and verify, new ones use the new
key, and `hustings rekey-packs` moves the old ones over so the old key can be retired."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hustings.auth.model import Role
from hustings.cli.main import app as cli
from hustings.clock import FixedClock
from hustings.errors import ConfigurationError
from hustings.referrals.pack import verify_pack
from hustings.referrals.vault import PackVault
from hustings.services import Services
from hustings.settings import Settings
from hustings.web.app import create_app
from hustings.web.deps import get_session
from tests.conftest import MakeUser, bearer
from tests.referrals.conftest import Seeded
from tests.referrals.test_pack import a_pack

OLD = hashlib.sha256(b"the key we had").hexdigest()
NEW = hashlib.sha256(b"the key we have").hexdigest()
runner = CliRunner()


def test_a_pack_made_under_the_old_key_opens_once_the_key_is_rotated(tmp_path: Path) -> None:
    pack = a_pack()
    PackVault(tmp_path, OLD).save("p_0000000000000001", pack)
    rotated = PackVault(tmp_path, NEW, previous=[OLD])
    assert rotated.load("p_0000000000000001") == pack
    rotated.save("p_0000000000000002", pack)
    with pytest.raises(ConfigurationError, match="HUSTINGS_SECRET_KEY_PREVIOUS"):
        PackVault(tmp_path, OLD).load("p_0000000000000002")  # new packs are under the new key only
    with pytest.raises(ConfigurationError, match="p_0000000000000001"):
        PackVault(tmp_path, NEW).load("p_0000000000000001")  # without the old key, the old pack is shut


def test_rekey_moves_every_pack_to_the_new_key(tmp_path: Path) -> None:
    pack = a_pack()
    PackVault(tmp_path, OLD).save("p_0000000000000001", pack)
    PackVault(tmp_path, NEW).save("p_0000000000000002", pack)
    assert PackVault(tmp_path, NEW, previous=[OLD]).rekey() == 2
    alone = PackVault(tmp_path, NEW)
    assert alone.load("p_0000000000000001") == alone.load("p_0000000000000002") == pack
    assert (tmp_path / "p_0000000000000001.pack").stat().st_mode & 0o777 == 0o600
    with pytest.raises(ConfigurationError, match="p_0000000000000001"):
        PackVault(tmp_path, "yet-another-key").rekey()  # nothing it cannot read is touched
    assert alone.load("p_0000000000000001") == pack


@contextmanager
def serving(settings: Settings, engine: Engine, session: Session, clock: FixedClock) -> Iterator[TestClient]:
    application = create_app(settings, engine=engine, clock=clock)

    def the_tests_session() -> Iterator[Session]:
        yield session

    application.dependency_overrides[get_session] = the_tests_session
    with TestClient(application) as client:
        yield client


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_after_rotation_the_api_serves_old_packs_that_verify_and_builds_new_ones_under_the_new_key(
    engine: Engine,
    session: Session,
    settings: Settings,
    clock: FixedClock,
    make_user: MakeUser,
    seeded: Seeded,
    services: Services,
) -> None:
    _, token = make_user(Role.POLICE_LIAISON)
    before = settings.model_copy(update={"secret_key": SecretStr(OLD)})
    with serving(before, engine, session, clock) as client:
        rid = client.post(
            "/v1/referrals", json={"message_ids": [seeded.threat], "force": "Fenshire"}, headers=bearer(token)
        ).json()["id"]
        old_pack = client.post(f"/v1/referrals/{rid}/packs", headers=bearer(token)).json()["pack_id"]
    clock.advance(hours=1)  # a later build is a different pack
    after = settings.model_copy(
        update={"secret_key": SecretStr(NEW), "secret_key_previous": [SecretStr(OLD)]}
    )
    with serving(after, engine, session, clock) as client:
        download = client.get(f"/v1/referrals/{rid}/packs/{old_pack}", headers=bearer(token))
        assert download.status_code == 200, download.text
        recorded = [str(e.payload["pack_sha256"]) for e in services.referrals.pack_built_events(old_pack)]
        assert verify_pack(download.content, recorded_sha256=recorded).ok
        new_pack = client.post(f"/v1/referrals/{rid}/packs", headers=bearer(token)).json()["pack_id"]
    assert new_pack != old_pack
    packs = settings.data_dir / "packs"
    assert PackVault(packs, NEW).load(new_pack).startswith(b"PK")
    with pytest.raises(ConfigurationError):
        PackVault(packs, OLD).load(new_pack)

    # With the old key dropped too soon, the old pack answers a clear error, not a traceback.
    forgotten = settings.model_copy(update={"secret_key": SecretStr(NEW)})
    with serving(forgotten, engine, session, clock) as client:
        refused = client.get(f"/v1/referrals/{rid}/packs/{old_pack}", headers=bearer(token))
    assert refused.status_code == 500 and "HUSTINGS_SECRET_KEY_PREVIOUS" in refused.json()["detail"]


def test_the_rekey_packs_command_retires_the_old_key(env: dict[str, str]) -> None:
    packs = Path(env["HUSTINGS_DATA_DIR"]) / "packs"
    pack = a_pack()
    PackVault(packs, OLD).save("p_0000000000000001", pack)
    rotated = env | {"HUSTINGS_SECRET_KEY": NEW, "HUSTINGS_SECRET_KEY_PREVIOUS": OLD}
    result = runner.invoke(cli, ["rekey-packs"], env=rotated)
    assert result.exit_code == 0, result.output
    assert "re-encrypted 1 evidence pack(s)" in result.stdout
    assert PackVault(packs, NEW).load("p_0000000000000001") == pack
    missing_key = runner.invoke(cli, ["rekey-packs"], env=env | {"HUSTINGS_SECRET_KEY": OLD})
    assert missing_key.exit_code == 2 and "HUSTINGS_SECRET_KEY_PREVIOUS" in missing_key.stderr
    assert "Traceback" not in missing_key.output
