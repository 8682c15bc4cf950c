"""`hustings moderation`: sweep raises clock alerts once; queues print; bad names are one line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from hustings.auth.model import Role
from hustings.cli.main import app
from hustings.clock import FixedClock
from hustings.moderation.events import ReporterKind
from hustings.moderation.reports import file_report
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import make_engine, make_sessionmaker, upgrade
from tests.conftest import sample_message

runner = CliRunner()


def test_sweep_raises_each_breach_once_and_the_queue_shows_it(env: dict[str, str], tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", assess_on_ingest=False)
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    long_ago = FixedClock(datetime(2024, 1, 1, tzinfo=UTC))
    with make_sessionmaker(engine)() as session:
        services = Services(session=session, settings=settings, clock=long_ago)
        (message_id,) = services.ingest([sample_message("old")], actor="system").ids
        reporter = services.users.create("r", {Role.ANALYST}, now=long_ago.now())
        file_report(
            services.log,
            long_ago,
            message_id=message_id,
            reporter=reporter,
            reporter_kind=ReporterKind.USER,
            category="threat",
        )
        session.commit()
    engine.dispose()
    first = runner.invoke(app, ["moderation", "sweep"], env=env)
    assert first.exit_code == 0, first.output
    assert "1 clock breach alert(s) raised." in first.stdout
    again = runner.invoke(app, ["moderation", "sweep"], env=env)
    assert "0 clock breach alert(s) raised." in again.stdout
    shown = runner.invoke(app, ["moderation", "queue", "breaching", "--json"], env=env)
    assert shown.exit_code == 0
    assert message_id in shown.stdout and "overdue by" in shown.stdout


def test_a_bad_queue_name_is_one_line(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["moderation", "queue", "nope"], env=env)
    assert result.exit_code == 2
    assert "no queue 'nope'" in result.stderr and "Traceback" not in result.output


def test_policy_check_names_the_field_at_fault(env: dict[str, str], tmp_path: Path) -> None:
    shown = runner.invoke(app, ["moderation", "policy"], env=env)
    assert shown.exit_code == 0 and "T1" in shown.stdout
    bad = tmp_path / "policy.toml"
    bad.write_text(
        Path("src/hustings/moderation/policy.toml")
        .read_text()
        .replace('dsa_category = "STATEMENT_CATEGORY_VIOLENCE"', 'dsa_category = "VIOLENCE"')
    )
    result = runner.invoke(app, ["moderation", "policy", "--check", str(bad)], env=env)
    assert result.exit_code == 2
    assert "dsa_category" in result.stderr and "'VIOLENCE'" in result.stderr
