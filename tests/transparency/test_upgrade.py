"""An installation upgraded past the migration that adds the report's aggregates, with events
written before it, gets them rebuilt by the upgrade itself, once: the report then equals the
fold, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert

from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import alembic_config, make_sessionmaker, upgrade
from hustings.storage.tables import EventRow
from hustings.transparency.period import parse_period
from tests.transparency.conftest import seed_targets
from tests.transparency.logs import GOLDEN, load_log

AGGREGATES_BRANCH = "transparency_aggregates"


def _upgrade_all_but_the_aggregates(engine: Engine) -> None:
    """The schema of a release from before the aggregates: every branch but theirs."""
    config = alembic_config(engine)
    script = ScriptDirectory.from_config(config)
    for head in script.get_heads():
        if AGGREGATES_BRANCH not in script.get_revision(head).branch_labels:
            command.upgrade(config, head)


def test_the_upgrade_counts_in_the_events_written_before_the_aggregates_once(
    bare_engine: Engine, tmp_path: Path
) -> None:
    _upgrade_all_but_the_aggregates(bare_engine)
    events = load_log(GOLDEN / "log.jsonl")
    with bare_engine.begin() as connection:  # what the release before wrote: events, no aggregates
        connection.execute(
            insert(EventRow),
            [
                {
                    "idempotency_key": e.idempotency_key,
                    "kind": e.kind,
                    "subject_type": e.subject_type,
                    "subject_id": e.subject_id,
                    "actor": e.actor,
                    "occurred_at": e.occurred_at,
                    "recorded_at": e.occurred_at,
                    "reason": "",
                    "model": None,
                    "payload": dict(e.payload),
                }
                for e in events
            ],
        )

    told: list[str] = []
    upgrade(bare_engine, progress=told.append)
    assert told[-1] == (
        f"rebuilt the transparency report's aggregates from {len(events)} events written before them"
    )

    settings = Settings(environment="test", data_dir=tmp_path, log_json=False)
    period = parse_period("2026-Q2")
    with make_sessionmaker(bare_engine)() as session:
        services = Services(session=session, settings=settings)
        seed_targets(services)
        session.commit()
        folded = services.transparency.compute(period).to_json()
        assert folded["reports_received"] > 0  # the golden quarter has reports to count
        assert services.transparency.from_aggregates(period).to_json() == folded

    again: list[str] = []
    upgrade(bare_engine, progress=again.append)
    assert again == []  # current: not rebuilt a second time
