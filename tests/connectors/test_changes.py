"""Edits and deletions at the source are events on the message, on SQLite and PostgreSQL: the
text as received is never overwritten, an edit is assessed again (the new assessment an event
of its own), the same edit read twice is logged once, an edit that changes nothing is not
logged, and the status rebuilt from the log equals the one kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.events.log import fold
from hustings.events.registry import default_reducers
from hustings.messages.changes import SourceChange
from hustings.messages.events import MESSAGE_DELETED_AT_SOURCE, MESSAGE_EDITED, SUBJECT
from hustings.messages.model import message_id
from hustings.referrals.pack import MESSAGES, build_pack, read_item
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.referrals import SqlReferralStore
from tests.conftest import MakeUser, bearer, sample_message
from tests.moderation.test_intake import assessing
from tests.referrals.builders import content
from tests.referrals.test_pack import pdf_text
from tests.sources.samples import TROLL_DID
from tests.sources.test_cli import _run, _services

EDITED_AT = datetime(2026, 5, 6, 19, 0, tzinfo=UTC)
CALM = "Your housing policy is a disgrace."
THREAT = "Your housing policy is a disgrace. We will hurt you for it."


def test_an_edit_is_logged_and_reassessed_and_the_text_received_is_kept(
    session: Session, settings: Settings, clock: FixedClock
) -> None:
    services = assessing(session, settings, clock)
    (held,) = services.ingest([sample_message("e1", text=CALM)], actor="system").ids
    source = sample_message("e1")["source"]
    edit = SourceChange(source, "e1", THREAT, EDITED_AT)
    result = services.record_changes(
        [
            edit,
            edit,  # read twice (a replayed stream): once in the log
            SourceChange(source, "e1", THREAT),  # the text it already reads: nothing to log
            SourceChange(source, "never-held", "anything"),
            SourceChange(source, "e1", None, EDITED_AT),
        ],
        actor="system",
    )
    assert (result.edits, result.deletions, result.duplicates, result.not_held) == (1, 1, 2, 1)

    message = services.messages.get(held)
    assert message is not None and message.text == CALM  # as received, never overwritten
    events = services.events.events_for(SUBJECT, held)
    kinds = [event.kind for event in events]
    assert kinds == [
        "message.ingested",
        "message.assessed",
        MESSAGE_EDITED,
        MESSAGE_DELETED_AT_SOURCE,
        "message.assessed",
        "report.filed",  # what the edit now says is reported, as a new message's would be
    ]
    edited = events[2]
    assert edited.payload["text"] == THREAT and edited.payload["edited_at"] == EDITED_AT.isoformat()
    assert events[1].payload["flagged"] == [] and events[4].payload["flagged"] == ["threat"]

    status = services.events.status(SUBJECT, held)
    assert status is not None
    assert status.data["edits"] == 1 and status.data["deleted_at_source"] == EDITED_AT.isoformat()
    assert status.data["flagged"] == ["threat"]
    assert status.state == "reported"  # the edited threat reaches moderation like any other
    assert events[5].payload["reporter_kind"] == "automated"
    rebuilt = fold(default_reducers(), events)[(SUBJECT, held)]
    assert rebuilt.data == status.data and rebuilt.state == status.state

    # Edited back: a new revision of its own, logged; the same again is not.
    back = services.record_changes([SourceChange(source, "e1", CALM)] * 2, actor="system")
    assert (back.edits, back.duplicates) == (1, 1)


def _post(operation: str, time_us: int, text: str | None = None) -> str:
    commit: dict[str, object] = {
        "rev": f"3lq2x{time_us}",
        "operation": operation,
        "collection": "app.bsky.feed.post",
        "rkey": "3lq2xedit0001",
    }
    if text is not None:
        commit["record"] = {
            "$type": "app.bsky.feed.post",
            "createdAt": "2026-05-06T18:00:00.000Z",
            "text": text,
        }
    return json.dumps({"did": TROLL_DID, "time_us": time_us, "kind": "commit", "commit": commit})


def test_jetstream_edits_and_deletions_are_recorded_from_a_file(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    events = tmp_path / "edited.jsonl"
    events.write_text(
        "\n".join(
            [
                _post("create", 1778090000000000, CALM),
                _post("update", 1778090060000000, THREAT),
                _post("delete", 1778090120000000),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    first = _run(["ingest", "--format", "bluesky-jetstream", str(events)], cli_env)
    assert "accepted 1, duplicates 0, rejected 0, skipped 0" in first.stdout, first.output
    assert "edited 1, deleted at source 1, already recorded 0, of messages not held 0" in first.stdout
    again = _run(["ingest", "--format", "bluesky-jetstream", str(events)], cli_env)
    assert "accepted 0, duplicates 1" in again.stdout
    assert "edited 0, deleted at source 0, already recorded 2, of messages not held 0" in again.stdout
    held = message_id("bluesky", f"at://{TROLL_DID}/app.bsky.feed.post/3lq2xedit0001")
    for services in _services(cli_env, tmp_path):
        message = services.messages.get(held)
        assert message is not None and message.text == CALM
        kinds = [event.kind for event in services.events.events_for(SUBJECT, held)]
        assert kinds == ["message.ingested", MESSAGE_EDITED, MESSAGE_DELETED_AT_SOURCE]
        status = services.events.status(SUBJECT, held)
        assert (
            status is not None and status.data["deleted_at_source"] == "2026-05-06T17:55:20+00:00"
        )  # time_us


def test_the_item_page_and_the_pack_show_the_history_at_source(
    client: TestClient, services: Services, make_user: MakeUser
) -> None:
    (held,) = services.ingest([sample_message("h1", text=CALM)], actor="system").ids
    source = sample_message("h1")["source"]
    services.record_changes(
        [SourceChange(source, "h1", THREAT, EDITED_AT), SourceChange(source, "h1", None)], actor="system"
    )
    services.session.commit()
    _, moderator = make_user(Role.MODERATOR)

    page = client.get(f"/console/items/{held}", headers=bearer(moderator))
    assert page.status_code == 200
    history = page.text[page.text.index('id="source-history"') :]
    history = history[: history.index("</section>")]
    assert "Edited</strong> 6 May 2026, 20:00" in history and THREAT in history
    assert "Deleted at the source</strong>" in history and "(when recorded)" in history
    assert CALM in page.text[: page.text.index('id="source-history"')]  # the text as received

    (item,) = SqlReferralStore(services.session).pack_messages([held])
    assert item.message.text == CALM
    assert [(r.kind, r.text) for r in item.source_history] == [
        (MESSAGE_EDITED, THREAT),
        (MESSAGE_DELETED_AT_SOURCE, None),
    ]
    built = build_pack(content(item))
    (packed,) = json.loads(read_item(built.data, MESSAGES))["messages"]
    assert packed["message"]["text"] == CALM
    assert [entry["kind"] for entry in packed["history_at_source"]] == [
        MESSAGE_EDITED,
        MESSAGE_DELETED_AT_SOURCE,
    ]
    assert packed["history_at_source"][0] == {
        "kind": MESSAGE_EDITED,
        "at_source": EDITED_AT.isoformat(),
        "recorded_at": packed["history_at_source"][0]["recorded_at"],
        "text": THREAT,
        "flagged": [],
    }
    # The PDF an officer reads gives the history too, after the text as received.
    text = " ".join(pdf_text(built.data).split())
    received, history = text.split("History at the source", 1)
    assert CALM in received
    assert "Edited at the source 2026-05-06 19:00:00 UTC" in history and THREAT in history
    assert "Deleted at the source" in history and "(when recorded)" in history

    # And so does the referral's page.
    _, liaison = make_user(Role.POLICE_LIAISON)
    referral = services.referrals.create(actor="system", message_ids=[held])
    services.session.commit()
    shown = client.get(f"/referrals/{referral.subject_id}", headers=bearer(liaison))
    assert shown.status_code == 200
    section = shown.text[shown.text.index("History at the source") :]
    section = section[: section.index("</ol>")]
    assert (
        "Edited at the source 6 May 2026, 20:00" in section
    )  # 19:00 UTC, shown in London time and THREAT in section
    assert "Deleted at the source" in section


def test_hustings_json_lines_carry_edits_and_deletions_beside_messages(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    message = sample_message("j1", text=CALM)
    source = message["source"]
    lines = [
        json.dumps(message),
        json.dumps(
            {
                "change": "edited",
                "source": source,
                "external_id": "j1",
                "text": THREAT,
                "at": "2026-05-06T19:00:00Z",
            }
        ),
        json.dumps({"change": "edited", "source": source, "external_id": "j1"}),  # no text: named
        json.dumps({"change": "deleted_at_source", "source": source, "external_id": "j1"}),
        json.dumps({"change": "deleted_at_source", "source": source, "external_id": "never-held"}),
    ]
    path = tmp_path / "changes.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    first = _run(["ingest", str(path)], cli_env)
    assert first.exit_code == 1 and "line 3: text: required with change 'edited'" in first.output, (
        first.output
    )
    assert "accepted 1, duplicates 0, rejected 1" in first.stdout, first.output
    assert "edited 1, deleted at source 1, already recorded 0, of messages not held 1" in first.stdout
    again = _run(["ingest", str(path)], cli_env)
    assert "edited 0, deleted at source 0, already recorded 2, of messages not held 1" in again.stdout
    held = message_id(source, "j1")
    for services in _services(cli_env, tmp_path):
        stored = services.messages.get(held)
        assert stored is not None and stored.text == CALM  # as received, never overwritten
        events = services.events.events_for(SUBJECT, held)
        assert [event.kind for event in events] == [
            "message.ingested",
            MESSAGE_EDITED,
            MESSAGE_DELETED_AT_SOURCE,
        ]
        assert events[1].payload["text"] == THREAT and events[1].payload["edited_at"] == EDITED_AT.isoformat()


def test_the_api_records_edits_and_deletions_and_rejects_bad_ones_by_index(
    client: TestClient, services: Services, make_user: MakeUser
) -> None:
    (held,) = services.ingest([sample_message("a1", text=CALM)], actor="system").ids
    services.session.commit()
    source = sample_message("a1")["source"]
    _, triage = make_user(Role.TRIAGE)
    changes = [
        {"change": "edited", "source": source, "external_id": "a1", "text": THREAT},
        {"change": "deleted_at_source", "source": source, "external_id": "a1", "text": "not with a deletion"},
        {
            "change": "deleted_at_source",
            "source": source,
            "external_id": "a1",
            "at": "2026-05-06T19:00:00+00:00",
        },
        "not an object",
    ]
    response = client.post("/v1/messages/changes", json={"changes": changes}, headers=bearer(triage))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["edits"], body["deletions"], body["duplicates"], body["not_held"]) == (1, 1, 0, 0)
    assert [(r["index"], r["error"]) for r in body["rejected"]] == [
        (1, "text: not allowed with change 'deleted_at_source'"),
        (3, "change: expected a JSON object, got str"),
    ]
    again = client.post("/v1/messages/changes", json={"changes": changes[:1]}, headers=bearer(triage))
    assert again.json()["edits"] == 0 and again.json()["duplicates"] == 1
    services.session.expire_all()
    status = services.events.status(SUBJECT, held)
    assert status is not None and status.data["deleted_at_source"] == EDITED_AT.isoformat()
    message = services.messages.get(held)
    assert message is not None and message.text == CALM
