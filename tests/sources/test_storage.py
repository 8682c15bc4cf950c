"""The original record beside each message, on SQLite and PostgreSQL: stored in the same
transaction as the message, once per record however many messages it gave or however often it
is ingested; and the details a source gives shown by the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.events import SYSTEM_ACTOR
from hustings.messages.model import message_id
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import alembic_config, make_sessionmaker, upgrade
from hustings.storage.sources_tables import MessageOriginRow, OriginalRecordRow
from tests.conftest import T0, MakeUser, bearer, sample_message
from tests.sources.samples import SAMPLES, read


def _ingest(services: Services, format_name: str, sample: str) -> tuple[int, int]:
    got = read(format_name, sample)
    result = services.ingest(
        [item.message for item in got.converted],
        actor=SYSTEM_ACTOR,
        origins=[item.origin for item in got.converted],
    )
    services.session.flush()
    return result.accepted, result.duplicates


def _rows(services: Services) -> tuple[int, int]:
    count = services.session.scalar
    return (
        count(select(func.count()).select_from(OriginalRecordRow)) or 0,
        count(select(func.count()).select_from(MessageOriginRow)) or 0,
    )


def test_one_response_of_many_tweets_is_one_record_stored_once(services: Services, clock: FixedClock) -> None:
    assert _ingest(services, "x-v2", "x_mentions.json") == (6, 0)
    assert _rows(services) == (1, 6)
    assert _ingest(services, "x-v2", "x_mentions.json") == (0, 6)
    assert _rows(services) == (1, 6)
    capture = services.originals.for_message(message_id("x", "1787500000000000100"))
    assert capture is not None
    assert capture.origin.record.payload == (SAMPLES / "x_mentions.json").read_bytes()
    assert (capture.origin.pointer, capture.origin.converter, capture.origin.converter_version) == (
        "/includes/tweets/0",
        "hustings.sources.x",
        "2",  # 2: edit histories read (an edited post under its first id)
    )
    assert capture.received_at == clock.now()
    assert services.originals.for_message(message_id("x", "no-such-tweet")) is None


def test_a_message_sent_as_hustings_json_has_no_original(services: Services) -> None:
    result = services.ingest([sample_message("plain")], actor=SYSTEM_ACTOR)
    assert services.originals.for_message(result.ids[0]) is None
    with pytest.raises(ValueError, match="origins"):
        services.ingest([sample_message("a"), sample_message("b")], actor=SYSTEM_ACTOR, origins=[None])


def test_the_api_shows_what_the_source_said_beyond_the_text(
    client: TestClient, make_user: MakeUser, services: Services
) -> None:
    _, token = make_user(Role.MODERATOR)
    _ingest(services, "mastodon", "mastodon_notifications.json")
    _ingest(services, "x-v2", "x_mentions.json")
    services.session.commit()
    dm_id = message_id("mastodon", "https://fenmarsh.social/users/neighbour/statuses/113456811111111111")
    dm = client.get(f"/v1/messages/{dm_id}", headers=bearer(token)).json()
    assert dm["details"] == {
        "content_warning": "council tax rant",
        "visibility": "direct",
        "sensitive": True,
        "references": [],
    }
    assert dm["lang"] == "en"
    quote = client.get(f"/v1/messages/{message_id('x', '1787500000000000302')}", headers=bearer(token)).json()
    assert quote["details"]["references"] == [
        {
            "type": "quoted",
            "external_id": "1787500000000000200",
            "message_id": message_id("x", "1787500000000000200"),
        }
    ]
    plain = services.ingest([sample_message("plain")], actor=SYSTEM_ACTOR).ids[0]
    services.session.commit()
    assert client.get(f"/v1/messages/{plain}", headers=bearer(token)).json()["details"] is None


def test_messages_from_before_the_migration_read_back_with_no_details(
    bare_engine: Engine, tmp_path: Path
) -> None:
    command.upgrade(alembic_config(bare_engine), "0001_spine")
    at = T0.replace(tzinfo=None)
    with bare_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO authors (key, source, external_id, handle, first_seen_at) VALUES ('x:a', 'x', 'a', '@a', :at)"
            ),
            {"at": at},
        )
        connection.execute(
            text(
                "INSERT INTO messages (id, source, external_id, text, created_at, author_key, ingested_at) "
                "VALUES ('m_old', 'x', 'old', 'before', :at, 'x:a', :at)"
            ),
            {"at": at},
        )
    upgrade(bare_engine)
    settings = Settings(environment="test", data_dir=tmp_path, log_json=False, assess_on_ingest=False)
    with make_sessionmaker(bare_engine)() as session:
        services = Services(session=session, settings=settings, clock=FixedClock(T0))
        old = services.messages.get("m_old")
        assert old is not None and old.details.empty and old.text == "before"
        assert services.originals.for_message("m_old") is None
