"""`hustings verify-pack`: any flipped byte is caught and named; `--against-log` catches a forgery."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hustings.cli.common import unit_of_work
from hustings.cli.main import app
from hustings.events import user_actor
from hustings.referrals.pack import MANIFEST, pack_digest, read_item, sha256, verify_pack
from hustings.settings import Settings
from tests.referrals.conftest import seed
from tests.referrals.test_pack import a_pack, pdf_text, rewrite

ITEMS = ("evidence.pdf", "messages.json", "hints.json", "custody.json")
runner = CliRunner()


@cache
def pack() -> bytes:
    return a_pack()


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(ITEMS),
    where=st.floats(min_value=0, max_value=1, exclude_max=True),
    bit=st.integers(0, 7),
)
def test_any_flipped_bit_in_any_item_is_caught_and_the_item_named(name: str, where: float, bit: int) -> None:
    original = read_item(pack(), name)
    position = int(where * len(original))
    altered = bytearray(original)
    altered[position] ^= 1 << bit
    result = verify_pack(rewrite(pack(), {name: bytes(altered)}))
    assert [problem.split(":")[0] for problem in result.problems] == [name]


def test_against_the_log_a_consistent_forgery_fails(env: dict[str, str], tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", assess_on_ingest=False)
    with unit_of_work(settings) as services:
        seeded = seed(services)
        referral = services.referrals.create(actor=user_actor("u1"), message_ids=[seeded.threat])
        built = services.referrals.build_pack(referral.subject_id, actor=user_actor("u1"))
    genuine = tmp_path / "genuine.zip"
    genuine.write_bytes(built.data)
    result = runner.invoke(app, ["verify-pack", str(genuine), "--against-log"], env=env)
    assert result.exit_code == 0, result.output
    assert "matches the event log" in result.stdout

    text = read_item(built.data, "messages.json").replace(b"tonight", b"someday")
    manifest = json.loads(read_item(built.data, MANIFEST))
    for entry in manifest["items"]:
        if entry["name"] == "messages.json":
            entry["sha256"] = sha256(text)
    manifest["pack_sha256"] = pack_digest({e["name"]: e["sha256"] for e in manifest["items"]})
    forged = tmp_path / "forged.zip"
    forged.write_bytes(rewrite(built.data, {"messages.json": text, MANIFEST: json.dumps(manifest).encode()}))
    assert runner.invoke(app, ["verify-pack", str(forged)], env=env).exit_code == 0  # self-consistent
    result = runner.invoke(app, ["verify-pack", str(forged), "--against-log"], env=env)
    assert result.exit_code == 1
    assert "manifest.json: pack_sha256" in result.stderr and "event log" in result.stderr


def test_referrals_pack_builds_a_pack_that_verifies_against_the_log(
    env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", assess_on_ingest=False)
    with unit_of_work(settings) as services:
        seeded = seed(services)
        referral = services.referrals.create(actor=user_actor("u1"), message_ids=[seeded.threat])
    written = tmp_path / "pack.zip"
    result = runner.invoke(app, ["referrals", "pack", referral.subject_id, "-o", str(written)], env=env)
    assert result.exit_code == 0, result.output
    assert verify_pack(written.read_bytes()).ok
    checked = runner.invoke(app, ["verify-pack", str(written), "--against-log"], env=env)
    assert checked.exit_code == 0, checked.output
    with unit_of_work(settings) as services:
        actions = [e.kind for e in services.referrals.store.referral_events(referral.subject_id)]
    assert actions[-2:] == ["referral.pack_built", "referral.exported"]
    unknown = runner.invoke(app, ["referrals", "pack", "r_nope"], env=env)
    assert unknown.exit_code != 0 and "r_nope" in unknown.stderr and "Traceback" not in unknown.output


def test_the_chain_of_custody_names_people_by_name_role_and_organisation(tmp_path: Path) -> None:
    from hustings.auth.model import Role
    from hustings.referrals.pack import CUSTODY

    settings = Settings(data_dir=tmp_path / "data", assess_on_ingest=False, organisation="Fenshire Council")
    with unit_of_work(settings) as services:
        seeded = seed(services)
        liaison = services.users.create(
            "sokafor", {Role.POLICE_LIAISON}, now=services.clock.now(), display_name="Sam Okafor"
        )
        referral = services.referrals.create(actor=user_actor(liaison.id), message_ids=[seeded.threat])
        built = services.referrals.build_pack(referral.subject_id, actor=user_actor(liaison.id))
    custody = json.loads(read_item(built.data, CUSTODY))
    assert [link["who"] for link in custody] == ["Sam Okafor (police_liaison, Fenshire Council)"] * 2
    assert all(link["actor"] == user_actor(liaison.id) for link in custody)  # the id stays, for audit
    text = " ".join(pdf_text(built.data).split())
    assert "Sam Okafor (police_liaison, Fenshire Council)" in text and "user:u_" not in text


def test_an_actor_no_longer_known_is_shown_by_id_not_hidden() -> None:
    from hustings.referrals.model import describe_actor

    assert describe_actor("user:u_gone", {}) == "user:u_gone (no longer a user)"
    assert describe_actor("cli:ops", {}, "Fenshire Council") == "ops (command line, Fenshire Council)"
    assert describe_actor("system", {}) == "Hustings, automatically"


def test_each_user_is_named_with_their_own_organisation_set_from_the_command_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    from hustings.referrals.pack import CUSTODY

    settings = Settings(data_dir=tmp_path / "data", assess_on_ingest=False, organisation="Fenshire Council")
    added = runner.invoke(
        app,
        ["users", "add", "sokafor", "--role", "police_liaison", "--organisation", "Fenmarsh Police"],
        env=env,
    )
    assert added.exit_code == 0, added.output
    runner.invoke(app, ["users", "add", "ppatel", "--role", "moderator"], env=env)
    listed = runner.invoke(app, ["users", "list"], env=env)
    (line,) = [line for line in listed.stdout.splitlines() if line.startswith("sokafor")]
    assert line.endswith(" Fenmarsh Police")
    with unit_of_work(settings) as services:
        seeded = seed(services)
        liaison, moderator = services.users.by_name("sokafor"), services.users.by_name("ppatel")
        assert liaison is not None and moderator is not None
        referral = services.referrals.create(actor=user_actor(moderator.id), message_ids=[seeded.threat])
        built = services.referrals.build_pack(referral.subject_id, actor=user_actor(liaison.id))
    custody = json.loads(read_item(built.data, CUSTODY))
    # Each by their own organisation; one without is named with the installation's.
    assert [link["who"] for link in custody] == [
        "ppatel (moderator, Fenshire Council)",
        "sokafor (police_liaison, Fenmarsh Police)",
    ]
    assert "sokafor (police_liaison, Fenmarsh Police)" in " ".join(pdf_text(built.data).split())

    moved = runner.invoke(app, ["users", "organisation", "ppatel", "Fenmarsh Victim Support"], env=env)
    assert moved.exit_code == 0, moved.output
    with unit_of_work(settings) as services:
        custody_now = services.referrals.custody(referral.subject_id)
    assert custody_now[0].who == "ppatel (moderator, Fenmarsh Victim Support)"
    too_long = runner.invoke(app, ["users", "organisation", "ppatel", "x" * 201], env=env)
    assert too_long.exit_code != 0 and "organisation: at most 200 characters" in too_long.output
