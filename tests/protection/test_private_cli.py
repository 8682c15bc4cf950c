"""`hustings rekey-private-details`: after a key rotation the details are sealed under the new key."""

from __future__ import annotations

import hashlib

import pytest

from hustings.clock import FixedClock
from hustings.errors import ConfigurationError
from hustings.protection.private import DetailKind
from hustings.targets.model import TargetRole
from tests.auth.test_cli import run, services_under
from tests.conftest import T0


def test_rekey_private_details_reseals_them_under_the_new_key(env: dict[str, str]) -> None:
    old, new = hashlib.sha256(b"the key we had").hexdigest(), hashlib.sha256(b"the key we have").hexdigest()
    clock = FixedClock(T0)
    assert run(env | {"HUSTINGS_SECRET_KEY": old}, "db", "upgrade")[0] == 0
    with services_under(env | {"HUSTINGS_SECRET_KEY": old}, clock) as services:
        target = services.targets.create(
            name="Priya Raman", role=TargetRole.CANDIDATE, party=None, constituency=None, handles=[], now=T0
        )
        services.private_details.add(target.id, DetailKind.POSTCODE, "KB1 2XY", actor="cli")

    code, out, _ = run(
        env | {"HUSTINGS_SECRET_KEY": new, "HUSTINGS_SECRET_KEY_PREVIOUS": old}, "rekey-private-details"
    )
    assert code == 0 and "resealed 1 private detail(s)" in out

    with services_under(env | {"HUSTINGS_SECRET_KEY": new}, clock) as services:
        assert [d.value for d in services.private_details.details(target.id)] == ["KB1 2XY"]
    with (
        pytest.raises(ConfigurationError),
        services_under(env | {"HUSTINGS_SECRET_KEY": old}, clock) as services,
    ):
        services.private_details.details(target.id)
