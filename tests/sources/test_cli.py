"""`hustings ingest --format` on the recorded samples, through the command line, on SQLite and on
PostgreSQL: targets, threads, authors and languages come out right, each message keeps the
record it came in byte for byte with its hash, bad records are named beside the stored good
ones, and importing a file again stores nothing new."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from hustings.cli.main import app
from hustings.messages.model import message_id
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import make_engine, make_sessionmaker
from hustings.storage.sources_tables import MessageOriginRow, OriginalRecordRow
from hustings.storage.tables import MessageRow
from tests.conftest import scratch_database
from tests.sources.samples import PRIYA_DID, REGISTER_ARGS, SAMPLES, TROLL_DID

runner = CliRunner()

SAMPLE_FILES = [
    ("bluesky-jetstream", "jetstream.jsonl", "accepted 3, duplicates 0, rejected 2, skipped 5"),
    ("mastodon", "mastodon_notifications.json", "accepted 2, duplicates 0, rejected 1, skipped 2"),
    ("mastodon", "mastodon_streaming.jsonl", "accepted 3, duplicates 0, rejected 1, skipped 3"),
    ("mastodon", "mastodon_status.json", "accepted 1, duplicates 0, rejected 0, skipped 0"),
    ("x-v2", "x_mentions.json", "accepted 6, duplicates 0, rejected 1, skipped 1"),
    ("eml", "threat.eml", "accepted 1, duplicates 0, rejected 0, skipped 0"),
    ("mbox", "office.mbox", "accepted 2, duplicates 0, rejected 1, skipped 0"),
]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def cli_env(request: pytest.FixtureRequest, env: dict[str, str]) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield env
        return
    with scratch_database(request.getfixturevalue("postgres_url"), "hustings_sources_cli") as url:
        yield env | {"HUSTINGS_DATABASE_URL": url}


def _run(arguments: list[str], env: dict[str, str], stdin: bytes | None = None) -> Result:
    result = runner.invoke(app, arguments, env=env, input=stdin)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def _register(env: dict[str, str]) -> dict[str, str]:
    ids = {}
    for arguments in REGISTER_ARGS:
        added = _run(["targets", "add", *arguments], env)
        assert added.exit_code == 0, added.output
        ids[arguments[0]] = added.stdout.split()[-1]
    return ids


def _services(env: dict[str, str], tmp_path: Path) -> Iterator[Services]:
    settings = Settings(
        environment="test",
        data_dir=Path(env["HUSTINGS_DATA_DIR"]),
        database_url=env.get("HUSTINGS_DATABASE_URL"),
        assess_on_ingest=False,
        log_json=False,
    )
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with make_sessionmaker(engine)() as session:
            yield Services(session=session, settings=settings)
    finally:
        engine.dispose()


def _counts(services: Services) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]  # three scalars
        services.session.scalar(select(func.count()).select_from(table)) or 0
        for table in (MessageRow, OriginalRecordRow, MessageOriginRow)
    )


def test_every_sample_ingests_with_targets_threads_and_originals(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    ids = _register(cli_env)
    priya, tom = ids["Priya Raman"], ids["Tom Okafor"]
    for fmt, sample, summary in SAMPLE_FILES:
        result = _run(["ingest", "--format", fmt, str(SAMPLES / sample)], cli_env)
        assert summary in result.stdout, (sample, result.output)
        assert result.exit_code == (1 if "rejected 0" not in summary else 0), result.output
    for services in _services(cli_env, tmp_path):
        # Bluesky: the reply threads under Priya's post, names its author by handle, and reaches
        # Tom (a handle, resolved through the identity event) and Priya (by her DID).
        post = f"at://{PRIYA_DID}/app.bsky.feed.post/3lq2w7xk4s2a2"
        reply = services.messages.get(
            message_id("bluesky", f"at://{TROLL_DID}/app.bsky.feed.post/3lq2wa1bcxy2f")
        )
        assert reply is not None and reply.in_reply_to_id == message_id("bluesky", post)
        assert services.messages.get(reply.in_reply_to_id) is not None
        assert reply.author.handle == "@fenwatcher99.bsky.social" and reply.lang == "en"
        assert set(reply.target_ids) == {priya, tom}
        capture = services.originals.for_message(reply.id)
        assert capture is not None
        line_5 = (SAMPLES / "jetstream.jsonl").read_bytes().split(b"\n")[4]
        assert capture.origin.record.payload == line_5
        assert capture.origin.record.sha256 == hashlib.sha256(line_5).hexdigest()
        assert (capture.origin.record.format, capture.origin.converter) == (
            "bluesky-jetstream",
            "hustings.sources.bluesky",
        )
        assert (
            capture.origin.source_time is not None
            and capture.origin.source_time.isoformat() == "2026-05-06T17:47:00+00:00"
        )

        # Mastodon: the threat is plain text, reaches Priya, keeps the original HTML and its hash.
        threat = services.messages.get(
            message_id("mastodon", "https://troll.example/users/angrydave/statuses/113456799998877665")
        )
        assert threat is not None and threat.target_ids == (priya,)
        assert threat.text.endswith(
            "I know where your constituency office is & I'll be waiting outside it on Friday night"
        )
        assert threat.in_reply_to_id == message_id(
            "mastodon", "https://fenmarsh.social/users/priya/statuses/113456789012345678"
        )
        original = services.originals.for_message(threat.id)
        assert original is not None and original.origin.pointer == "/0/status"
        whole = (SAMPLES / "mastodon_notifications.json").read_bytes()
        assert original.origin.record.payload == whole and b"is &amp; I&#39;ll be waiting" in whole
        assert original.origin.record.sha256 == hashlib.sha256(whole).hexdigest()
        dm = services.messages.get(
            message_id("mastodon", "https://fenmarsh.social/users/neighbour/statuses/113456811111111111")
        )
        assert dm is not None and (
            dm.details.visibility,
            dm.details.content_warning,
            dm.details.sensitive,
        ) == (
            "direct",
            "council tax rant",
            True,
        )
        streamed = services.messages.get(
            message_id("mastodon", "https://troll.example/users/angrydave/statuses/113456855000000000")
        )
        assert streamed is not None and streamed.in_reply_to_id == message_id(
            "mastodon", "https://other.example/users/friend/statuses/990011"
        )
        assert services.messages.get(streamed.in_reply_to_id) is not None

        # X: the reply's parent came in includes and is held; the quote keeps its type.
        x_reply = services.messages.get(message_id("x", "1787500000000000301"))
        assert x_reply is not None and x_reply.target_ids == (priya,) and x_reply.author.followers == 3
        assert x_reply.in_reply_to_id == message_id("x", "1787500000000000100")
        parent = services.messages.get(x_reply.in_reply_to_id)
        assert parent is not None and parent.author.handle == "@PriyaRaman4Fenmarsh"
        quote = services.messages.get(message_id("x", "1787500000000000302"))
        assert quote is not None and [(r.type, r.external_id) for r in quote.details.references] == [
            ("quoted", "1787500000000000200")
        ]

        # Mail: the office's address is Priya's, Tom's council address his; the mbox reply
        # threads under the .eml.
        mail = services.messages.get(
            message_id("email", "c0ffee42-7a1b-4c2d-9e3f-5a6b7c8d9e0f@mailbox.example")
        )
        assert mail is not None and set(mail.target_ids) == {priya, tom} and mail.lang == "en-GB"
        follow_up = services.messages.get(
            message_id("email", "d00dfeed-0001-4c2d-9e3f-5a6b7c8d9e0f@mailbox.example")
        )
        assert follow_up is not None and follow_up.in_reply_to_id == mail.id
        before = _counts(services)

    # Everything again: nothing new is stored, and the same bad records are named.
    for fmt, sample, summary in SAMPLE_FILES:
        again = _run(["ingest", "--format", fmt, str(SAMPLES / sample)], cli_env)
        accepted = int(summary.split(",")[0].split()[-1])
        assert f"accepted 0, duplicates {accepted}" in again.stdout, (sample, again.output)
    for services in _services(cli_env, tmp_path):
        assert _counts(services) == before
        assert before[1] == 3 + 1 + 3 + 1 + 1 + 1 + 2  # one record per line, file or mail that gave a message


def test_bad_records_are_named_by_line_and_field_on_stderr(env: dict[str, str]) -> None:
    result = _run(["ingest", "--format", "bluesky-jetstream", str(SAMPLES / "jetstream.jsonl")], env)
    assert result.exit_code == 1
    assert [line for line in result.stderr.splitlines() if line] == [  # (the progress bar leaves a blank)
        "line 9: commit.record.createdAt: missing",
        "line 11: not valid JSON: Expecting value at column 102",
    ]
    assert "skipped: account 1, app.bsky.feed.like create 1, app.bsky.graph.follow create 1, " in result.stdout
    # The sample deletes a post Hustings never received: counted, nothing to record it on.
    assert "edited 0, deleted at source 0, already recorded 0, of messages not held 1" in result.stdout
    x = _run(["ingest", "--format", "x-v2", str(SAMPLES / "x_mentions.json")], env)
    assert x.stderr.strip() == "file: data[3].created_at: missing (request tweet.fields=created_at)"


def test_standard_input_and_missing_files(env: dict[str, str]) -> None:
    eml = _run(["ingest", "--format", "eml", "-"], env, stdin=(SAMPLES / "threat.eml").read_bytes())
    assert eml.exit_code == 0 and "accepted 1" in eml.stdout, eml.output
    jsonl = _run(
        ["ingest", "--format", "mastodon", "-"],
        env,
        stdin=(SAMPLES / "mastodon_streaming.jsonl").read_bytes(),
    )
    assert "accepted 3" in jsonl.stdout, jsonl.output
    mbox = _run(["ingest", "--format", "mbox", "-"], env, stdin=b"")
    assert mbox.exit_code == 2 and "mbox: give the mbox file's path" in mbox.stderr
    missing = _run(["ingest", "--format", "x-v2", "/nonexistent/x.json"], env)
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    unknown = _run(["ingest", "--format", "myspace", str(SAMPLES / "threat.eml")], env)
    assert unknown.exit_code == 2 and "myspace" in unknown.output


def test_the_threat_is_assessed_as_text_not_markup(env: dict[str, str], tmp_path: Path) -> None:
    assessed = env | {"HUSTINGS_ASSESS_ON_INGEST": "true"}
    _run(["ingest", "--format", "mastodon", str(SAMPLES / "mastodon_notifications.json")], assessed)
    for services in _services(assessed, tmp_path):
        threat_id = message_id(
            "mastodon", "https://troll.example/users/angrydave/statuses/113456799998877665"
        )
        (event,) = [
            e for e in services.events.events_for("message", threat_id) if e.kind == "message.assessed"
        ]
        assert "threat" in event.payload["flagged"]
        spans = [item["text"] for item in event.payload["evidence"]]
        assert spans and not any("<" in span or "&amp;" in span for span in spans), spans


def test_every_format_the_command_offers_has_a_converter() -> None:
    from hustings.cli.sources import IngestFormat
    from hustings.sources import FORMATS

    assert {fmt.value for fmt in IngestFormat} == {"hustings", *FORMATS}
