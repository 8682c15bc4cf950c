"""`hustings complaints-retention` erases closed cases past their period (and nothing else, and
nothing twice); `hustings rekey-complaint-keys` reseals the case keys after a key rotation;
`hustings complaints-encrypt-legacy` seals older cases' clear texts, once."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.complaints.model import Assessment, Complainant, Grounds, NewComplaint, Source, Viewer, Where
from tests.auth.test_cli import run, services_under
from tests.complaints.test_sealed_words import EVIDENCE, OBJECTION, REASON, legacy_case, raw_rows
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


def test_legacy_cases_are_sealed_once_by_the_command(env: dict[str, str]) -> None:
    env = env | {"HUSTINGS_SECRET_KEY": hashlib.sha256(b"a key").hexdigest()}
    assert run(env, "db", "upgrade")[0] == 0
    clock = FixedClock(T0)
    with services_under(env, clock) as services:
        services.complaints.enrol("officer", PARTY, by=ADMIN)
        legacy_case(services.complaints, "C-LEGACY", clock.now())
        assert REASON in raw_rows(services.session, "C-LEGACY")
    code, out, _ = run(env, "complaints-encrypt-legacy")
    assert code == 0, out
    assert "  C-LEGACY: sealed 4 event(s)" in out
    assert "sealed 4 event(s) in 1 of 1 complaint case(s); 1 new case key(s)" in out
    code, out, _ = run(env, "complaints-encrypt-legacy")
    assert code == 0 and "nothing to seal: all 1 complaint case(s) are already sealed" in out
    with services_under(env, clock) as services:
        for text in ("Ann Example", "M1001", REASON, EVIDENCE, OBJECTION):
            assert text not in raw_rows(services.session, "C-LEGACY")
        officer = services.complaints.viewer("officer", {Role.COMPLAINTS_OFFICER})
        case = services.complaints.open("C-LEGACY", officer)
        assert case.complaint.complainant == Complainant("Ann Example", "ann@example.org")
        assert case.objections[0].reason == OBJECTION
