"""The private-details register through ingest, on SQLite and PostgreSQL: the database holds
ciphertext, the log holds no detail, a matching message gets a doxxing report due within the
hour and alerts the target's delegates, and the safe inbox serves it redacted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, text

from hustings.auth.model import Role
from hustings.events import user_actor
from hustings.messages.model import message_id
from hustings.protection.private import DETAIL_MATCHED, DetailKind
from hustings.services import Services
from hustings.storage.private_tables import PrivateDetailRow
from tests.conftest import T0, MakeUser, bearer
from tests.protection.conftest import make_target, message
from tests.protection.test_api import delegate_for, register

ALICE = user_actor("u_alice")
SCHOOL = "Kelbridge Academy"


def test_the_database_holds_ciphertext_and_the_log_no_detail(protected: Services) -> None:
    target = make_target(protected)
    protected.private_details.add(target.id, DetailKind.SCHOOL, SCHOOL, actor=ALICE)
    protected.private_details.add(target.id, DetailKind.PHONE, "07700 900123", actor=ALICE)
    protected.ingest([message("d1", "her kids go to kelbridge acad emy", at=T0, author="a1")], actor=ALICE)
    protected.session.commit()
    sealed = protected.session.scalars(select(PrivateDetailRow.sealed)).all()
    assert len(sealed) == 2 and not any("Kelbridge" in s or "07700" in s for s in sealed)
    logged = protected.session.execute(text("SELECT payload, reason FROM events")).all()
    dump = repr(logged)
    assert "Kelbridge" not in dump and "kelbridge" not in dump and "900123" not in dump
    assert sorted(d.value for d in protected.private_details.details(target.id)) == ["07700 900123", SCHOOL]


def test_a_matched_message_is_reported_due_within_the_hour_and_alerts(protected: Services) -> None:
    target = make_target(protected)
    protected.private_details.add(target.id, DetailKind.SCHOOL, SCHOOL, actor=ALICE)
    protected.ingest(
        [
            message("d1", "Her kids go to KELBR1DGE ACADEMY, wait at the gates", at=T0, author="a1"),
            message("d2", "Your housing plan is weak", at=T0, author="a2"),
        ],
        actor=ALICE,
    )
    protected.session.commit()
    matched = protected.events.status("message", message_id("x", "d1"))
    assert matched is not None and matched.category == "doxxing" and matched.state == "reported"
    assert matched.due_at is not None and matched.due_at - protected.clock.now() == timedelta(hours=1)
    # ...and it is in the priority lane, due the same hour, like a trusted flagger's threat.
    assert matched.data["lane_due_at"] == matched.due_at.isoformat()
    calm = protected.events.status("message", message_id("x", "d2"))
    assert calm is not None and calm.due_at is None and "lane_due_at" not in calm.data
    (alert,) = protected.private_details.alerts(target.id)
    assert alert["message_id"] == message_id("x", "d1") and alert["kinds"] == ["school"]
    (item,) = [
        i for i in protected.protection.inbox(target.id, "inbox") if i.message.id == message_id("x", "d1")
    ]
    assert item.message.text == "Her kids go to [school removed], wait at the gates"
    # The moderator's view is the message as sent.
    assert protected.moderation.item_context(message_id("x", "d1")).message.text.startswith(
        "Her kids go to KELBR1DGE"
    )


def test_a_message_for_a_target_with_no_register_files_nothing(protected: Services) -> None:
    make_target(protected)
    protected.ingest([message("d1", "Her kids go to Kelbridge Academy", at=T0, author="a1")], actor=ALICE)
    protected.session.commit()
    kinds = protected.session.execute(text("SELECT kind FROM events")).scalars().all()
    assert DETAIL_MATCHED not in kinds


def test_the_inbox_api_serves_the_text_redacted_and_the_digest_the_alert(
    protected_client: Any, make_user: MakeUser
) -> None:
    _, admin = make_user(Role.ADMIN)
    _, ingester = make_user(Role.MODERATOR)
    aisha = register(protected_client, admin, "Aisha Okafor", "aisha")
    h = bearer(delegate_for(protected_client, admin, aisha["id"], "dan"))
    base = f"/v1/targets/{aisha['id']}"
    page = protected_client.post(
        f"/private-details/{aisha['id']}",
        data={"kind": "postcode", "value": "KB1 2XY"},
        headers=h,
        follow_redirects=False,
    )
    assert page.status_code == 303 and "error" not in page.headers["location"]
    batch = [message("1", "Come round, kb12xy, ring 07700 900123", at=T0, author="a1", handle="aisha")]
    protected_client.post("/v1/messages", json={"messages": batch}, headers=bearer(ingester))
    (item,) = protected_client.get(f"{base}/inbox", headers=h).json()["messages"]
    assert item["text"] == "Come round, [postcode removed], ring [phone number removed]"
    (alert,) = protected_client.get(f"{base}/digest", headers=h).json()["private_detail_alerts"]
    assert alert["kinds"] == ["postcode"] and alert["message_id"] == message_id("x", "1")
    assert "KB1" not in repr(protected_client.get(f"{base}/digest", headers=h).json())
