"""Protection through ingest, on SQLite and PostgreSQL: incidents open from a pile-on, the shield
holds and releases, controls hide, the sweep closes incidents and ends shields with a recap, and
every protection status can be rebuilt from the log."""

from __future__ import annotations

from datetime import timedelta

from hustings.clock import FixedClock
from hustings.events import fold, user_actor
from hustings.events.registry import default_reducers
from hustings.protection import events as ev
from hustings.protection.controls import account_ref
from hustings.services import Services
from tests.conftest import T0
from tests.protection.conftest import WordDetector, make_target, message, pile_on

ALICE = user_actor("u_alice")


def delivery(services: Services, target_id: str, external_id: str) -> str:
    from hustings.messages.model import message_id

    status = services.events.status(ev.DELIVERY, ev.delivery_id(target_id, message_id("x", external_id)))
    assert status is not None
    return status.state


def test_a_pile_on_opens_an_incident_and_suggests_the_shield(protected: Services, clock: FixedClock) -> None:
    target = make_target(protected)
    ordinary = [
        message(
            f"o{i}",
            f"Your housing plan is weak, point {i}",
            at=T0 - timedelta(hours=6, minutes=-7 * i),
            author=f"v{i}",
        )
        for i in range(40)
    ]
    protected.ingest(ordinary, actor=ALICE)
    protected.ingest(pile_on(T0, 30), actor=ALICE)
    protected.session.commit()
    (incident,) = protected.protection.incidents([target.id])
    assert incident.state == "open" and incident.target_id == target.id
    assert 0 < incident.priority <= 1
    assert len(incident.data["message_ids"]) == 30 and len(incident.data["author_keys"]) == 30
    assert [entry["kind"] for entry in incident.data["timeline"]][:1] == [ev.INCIDENT_OPENED]
    shield = protected.protection.shield(target.id)
    assert shield.state == "suggested" and shield.suggested_by == incident.subject_id
    assert delivery(protected, target.id, "p29") == "delivered"  # suggested, not on


def test_the_standing_choice_switches_the_shield_on_and_later_messages_are_held(
    protected: Services, clock: FixedClock
) -> None:
    target = make_target(protected)
    protection = protected.protection
    protection.change_settings(target.id, actor=ALICE, auto_shield=True)
    protected.ingest(pile_on(T0, 40), actor=ALICE)
    protected.session.commit()
    shield = protected.protection.shield(target.id)
    assert shield.is_on(clock.now()) and shield.incident_id is not None
    assert shield.until == clock.now() + timedelta(days=7)
    assert delivery(protected, target.id, "p0") == "delivered"  # before the incident opened
    assert delivery(protected, target.id, "p39") == "held"


def test_the_shield_holds_new_unknown_and_hostile_and_releases_on_review(
    protected: Services, clock: FixedClock
) -> None:
    target = make_target(protected)
    old = T0 - timedelta(days=30)
    protected.ingest(
        [
            message("k1", "Good luck Thursday", at=old, author="friend"),
            message("k2", "Thanks for the leaflet", at=old, author="neighbour"),
        ],
        actor=ALICE,
    )
    protection = protected.protection
    protection.enable_shield(target.id, actor=ALICE)
    protected.ingest(
        [
            message("a", "See you at the hustings", at=T0, author="friend"),
            message("b", "You vermin", at=T0, author="neighbour"),
            message("c", "Who are you anyway", at=T0, author="stranger"),
            message("d", "Hello", at=T0, author="brandnew", new=True),
        ],
        actor=ALICE,
    )
    protected.session.commit()
    assert [delivery(protected, target.id, x) for x in "abcd"] == ["delivered", "held", "held", "held"]
    held = protected.protection.inbox(target.id, "held")
    assert {item.message.external_id for item in held} == {"b", "c", "d"}
    why = {item.message.external_id: {r["code"] for r in item.delivery.data["why"]} for item in held}
    assert why == {
        "b": {"shield_hostile"},
        "c": {"shield_unknown_account"},
        "d": {"shield_new_account", "shield_unknown_account"},
    }
    protection.release(target.id, held[0].message.id, actor=ALICE)
    inbox = protected.protection.inbox(target.id, "inbox")
    assert held[0].message.id in {item.message.id for item in inbox}
    clock.advance(hours=1)
    shield = protection.disable_shield(target.id, actor=ALICE)
    assert shield.state == "off"
    assert shield.last_recap is not None
    assert shield.last_recap["held"] == 3 and shield.last_recap["released"] == 1
    assert shield.last_recap["reasons"]["shield_unknown_account"] == 2


def test_block_and_mute_lists_and_hidden_words_hide_messages(protected: Services) -> None:
    target = make_target(protected)
    protection = protected.protection
    protection.add_accounts(target.id, "blocked", [account_ref("x", "@Troll")], actor=ALICE)
    protection.add_accounts(target.id, "muted", [account_ref("x", "bore")], actor=ALICE)
    protection.add_hidden_word(target.id, "parasite", actor=ALICE)
    protected.ingest(
        [
            message("1", "hello", at=T0, author="troll"),
            message("2", "hello again", at=T0, author="bore"),
            message("3", "you p4r4s1te", at=T0, author="other"),
            message("4", "you are p a r a s i t e", at=T0, author="other2"),
            message("5", "fine policy", at=T0, author="other3"),
        ],
        actor=ALICE,
    )
    assert [delivery(protected, target.id, x) for x in "12345"] == ["hidden"] * 4 + ["delivered"]
    counts = protected.protection.folder_counts(target.id)
    assert counts["hidden"] == 4 and counts["delivered"] == 1


def test_only_accounts_i_know_holds_strangers(protected: Services) -> None:
    target = make_target(protected)
    protected.protection.change_settings(target.id, actor=ALICE, only_known=True)
    protected.ingest([message("old", "hi", at=T0 - timedelta(days=10), author="friend")], actor=ALICE)
    protected.ingest(
        [message("n1", "hi", at=T0, author="friend"), message("n2", "hi", at=T0, author="stranger")],
        actor=ALICE,
    )
    assert [delivery(protected, target.id, x) for x in ("n1", "n2")] == ["delivered", "held"]


def test_the_sweep_closes_quiet_incidents_and_ends_shields_with_a_recap(
    protected: Services, clock: FixedClock
) -> None:
    target = make_target(protected)
    protection = protected.protection
    protection.change_settings(target.id, actor=ALICE, auto_shield=True)
    protected.ingest(pile_on(T0, 40), actor=ALICE)
    clock.advance(hours=3)
    assert protected.protection.sweep()["incidents_closed"] == 1
    (incident,) = protected.protection.incidents([target.id])
    assert incident.state == "closed" and incident.data["closed_at"] is not None
    clock.advance(days=7)
    assert protected.protection.sweep() == {"incidents_closed": 0, "shields_expired": 1}
    shield = protected.protection.shield(target.id)
    assert shield.state == "off" and shield.last_recap is not None and shield.last_recap["held"] > 0
    assert shield.last_recap["incidents"] == [incident.subject_id]


def test_protection_statuses_rebuild_from_the_log(protected: Services, clock: FixedClock) -> None:
    target = make_target(protected)
    protection = protected.protection
    protection.change_settings(target.id, actor=ALICE, auto_shield=True)
    protection.add_hidden_word(target.id, "vermin", actor=ALICE)
    protected.ingest(pile_on(T0, 30), actor=ALICE)
    protection.add_to_bundle(target.id, [_id("p3")], actor=ALICE)
    protection.change_viewing("u_priya", actor=ALICE, greyscale=True, show_all=(target.id, "inbox", True))
    clock.advance(minutes=5)
    protection.add_accounts(target.id, "blocked", [account_ref("x", "pacct1")], actor=ALICE)
    assert delivery(protected, target.id, "p1") == "hidden"  # moved there by an event of its own
    clock.advance(hours=3)
    protection.sweep()
    events = list(protected.events.iter_events())
    rebuilt = fold(default_reducers(), events)
    stored = protected.events.all_statuses()
    mine = {key for key in stored if key[0] in ev.REDUCERS}
    assert {k[0] for k in mine} == set(ev.REDUCERS)
    for key in mine:
        assert rebuilt[key] == stored[key], key


def _id(external_id: str) -> str:
    from hustings.messages.model import message_id

    return message_id("x", external_id)


def test_a_suggestion_nobody_took_up_is_withdrawn_when_the_incident_closes(
    protected: Services, clock: FixedClock
) -> None:
    target = make_target(protected)
    protected.ingest(pile_on(T0, 30), actor=ALICE)
    assert protected.protection.shield(target.id).state == "suggested"
    clock.advance(hours=3)
    protected.protection.sweep()
    assert protected.protection.shield(target.id).state == "off"


def test_an_ingests_sweep_touches_only_the_targets_in_its_scope(
    protected: Services, clock: FixedClock
) -> None:
    """A worker's batch sweeps only its own partition's targets (`Services.target_scope`), so two
    workers never lock one target's pile-on state; the scheduled sweep still reaches every one."""
    priya = make_target(protected)
    sam = make_target(protected, name="Sam Hale", handle="sam")
    protected.ingest(pile_on(T0, 40) + pile_on(T0, 40, prefix="s", handle="sam"), actor=ALICE)
    assert {i.target_id for i in protected.protection.incidents(None, state="open")} == {priya.id, sam.id}
    clock.advance(hours=3)
    scoped = Services(
        session=protected.session,
        settings=protected.settings,
        clock=clock,
        detector_provider=WordDetector,
        target_scope=lambda target_id: target_id == sam.id,
    )
    scoped.ingest(
        [message("later", "A fair question on buses", at=clock.now(), author="v1", handle="noone")],
        actor=ALICE,
    )
    open_now = {i.target_id for i in protected.protection.incidents(None, state="open")}
    assert open_now == {priya.id}, "the scoped sweep closed Sam's quiet incident and left Priya's"
    assert protected.protection.sweep()["incidents_closed"] == 1
    assert protected.protection.incidents(None, state="open") == []
