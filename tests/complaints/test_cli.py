"""`hustings complaints-retention` erases closed cases past their period (and nothing else, and
nothing twice); `hustings rekey-complaint-keys` reseals the case keys after a key rotation."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.complaints.model import Assessment, Complainant, Grounds, NewComplaint, Source, Viewer, Where
from tests.auth.test_cli import run, services_under
from tests.conftest import T0

PARTY = "example-party"
ADMIN = Viewer("admin", frozenset({Role.ADMIN}), None)


def file_one(env: dict[str, str], clock: FixedClock, *, close: bool) -> str:
    with services_under(env, clock) as services:
        complaints = services.complaints
        complaints.enrol("officer", PARTY, by=ADMIN)
        officer = complaints.viewer("officer", {Role.COMPLAINTS_OFFICER})
        case = complaints.file(
            NewComplaint(
                party=PARTY,
                category="harassment",
                what="Abusive replies.",
                where=Where(online=True),
                when=None,
                source=Source.EMAIL,
                complainant=Complainant("Ann Example", "ann@example.org"),
            ),
            actor="cli",
        )
        if close:
            complaints.acknowledge(case.reference, officer)
            complaints.assess(
                case.reference,
                officer,
                Assessment.NO_FURTHER_ACTION,
                Grounds("No breach.", ("1.2",), "the posts"),
            )
        return case.reference


def test_the_retention_sweep_erases_closed_cases_past_their_period_once(env: dict[str, str]) -> None:
    key = hashlib.sha256(b"a key").hexdigest()
    env = env | {"HUSTINGS_SECRET_KEY": key}
    assert run(env, "db", "upgrade")[0] == 0
    clock = FixedClock(T0 - timedelta(days=400))
    closed = file_one(env, clock, close=True)
    open_ = file_one(env, clock, close=False)
    code, out, _ = run(env, "complaints-retention")
    assert code == 0 and f"erased the personal data of 1 case(s)\n  {closed}" in out
    assert "erased the personal data of 0 case(s)" in run(env, "complaints-retention")[1]
    with services_under(env, FixedClock(T0)) as services:
        officer = services.complaints.viewer("officer", {Role.COMPLAINTS_OFFICER})
        assert services.complaints.open(closed, officer).erased
        assert services.complaints.open(open_, officer).complaint.complainant is not None


def test_case_keys_are_resealed_after_a_key_rotation(env: dict[str, str]) -> None:
    old, new = hashlib.sha256(b"the key we had").hexdigest(), hashlib.sha256(b"the key we have").hexdigest()
    clock = FixedClock(T0)
    assert run(env | {"HUSTINGS_SECRET_KEY": old}, "db", "upgrade")[0] == 0
    reference = file_one(env | {"HUSTINGS_SECRET_KEY": old}, clock, close=False)
    code, out, _ = run(
        env | {"HUSTINGS_SECRET_KEY": new, "HUSTINGS_SECRET_KEY_PREVIOUS": old}, "rekey-complaint-keys"
    )
    assert code == 0 and "resealed 1 complaint case key(s)" in out
    with services_under(env | {"HUSTINGS_SECRET_KEY": new}, clock) as services:
        officer = services.complaints.viewer("officer", {Role.COMPLAINTS_OFFICER})
        assert services.complaints.open(reference, officer).complaint.complainant == Complainant(
            "Ann Example", "ann@example.org"
        )
