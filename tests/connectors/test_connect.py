"""`hustings connect` against real protocol servers started here (tests/connectors/servers.py),
through the command line, on SQLite and PostgreSQL: the connection drops in the middle, the
connector reconnects from its cursor, and what is stored equals the sample with nothing lost
and nothing twice; a restart resumes from the cursor kept in the database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from hustings.messages.events import MESSAGE_INGESTED
from hustings.services import Services
from hustings.sources import FORMATS, Converted, Record, convert
from hustings.storage.sources_tables import MessageOriginRow
from hustings.storage.tables import EventRow, MessageRow
from tests.connectors.servers import Jetstream, Mastodon, running
from tests.sources.samples import ANON_DID, PRIYA_DID, REGISTER, SAMPLES, TROLL_DID
from tests.sources.test_cli import _register, _run, _services

TOKEN = "mastodon-token-4f9c2e7a"


def _stored(services: Services) -> tuple[dict[str, tuple[Any, ...]], int, int]:
    """Each stored message by external id (author, text, parent), with the number of
    `message.ingested` events and of original-record links."""
    messages = {
        row.external_id: (row.author_key, row.text, row.in_reply_to_id)
        for row in services.session.scalars(select(MessageRow))
    }
    ingested = services.session.scalar(
        select(func.count()).select_from(EventRow).where(EventRow.kind == MESSAGE_INGESTED)
    )
    origins = services.session.scalar(select(func.count()).select_from(MessageOriginRow))
    return messages, ingested or 0, origins or 0


def _expected(format_name: str, payloads: list[bytes]) -> set[str]:
    """The external ids the file importer's converter gives for these records, read in order."""
    fmt = FORMATS[format_name]
    converter = fmt.converter(REGISTER)
    found = set()
    for number, payload in enumerate(payloads):
        for outcome in convert(fmt, converter, Record(f"record {number}", payload, json.loads(payload))):
            if isinstance(outcome, Converted):
                found.add(outcome.message["external_id"])
    return found


def test_jetstream_drop_reconnect_and_restart_lose_and_duplicate_nothing(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    _register(cli_env)
    server = Jetstream(drop_after=4)
    with running(server.handler) as port:
        url = f"ws://127.0.0.1:{port}/subscribe"
        arguments = ["connect", "bluesky", "--url", url, "--did", TROLL_DID, "--did", ANON_DID]
        first = _run([*arguments, "--once", "--idle", "0.5"], cli_env)
        # The sample's post without createdAt is named; the good ones beside it are stored.
        assert first.exit_code == 1 and "commit.record.createdAt: missing" in first.output, first.output

        # It asked for posts by the registered DID and the ones given, and resumed, after the
        # drop, from the time_us of the last event it had committed.
        assert server.queries[0]["wantedCollections"] == ["app.bsky.feed.post"]
        assert server.queries[0]["wantedDids"] == [PRIYA_DID, TROLL_DID, ANON_DID]
        assert "cursor" not in server.queries[0]
        everything = server.events(server.queries[0])
        dropped_at = json.loads(everything[server.drop_after - 1])["time_us"]
        assert server.queries[1]["cursor"] == [str(dropped_at)]
        assert len(server.queries) == 2

        expected = _expected("bluesky-jetstream", [line.encode() for line in everything])
        assert len(expected) >= 3
        for services in _services(cli_env, tmp_path):
            stored, ingested, origins = _stored(services)
            assert set(stored) == expected
            assert ingested == origins == len(expected)  # once each, each with its original record
            assert services.cursors.position(f"bluesky {url}") == str(json.loads(everything[-1])["time_us"])
        # The event at the cursor is sent again after the drop: a duplicate, not stored twice.
        assert f"accepted {len(expected)}, duplicates 1" in first.stdout, first.output

        # A restart resumes from the cursor: it replays only the last event, a duplicate.
        second = _run([*arguments, "--once", "--idle", "0.5"], cli_env)
        assert second.exit_code == 0, second.output
        assert server.queries[2]["cursor"] == [str(json.loads(everything[-1])["time_us"])]
        assert "accepted 0" in second.stdout, second.output
        for services in _services(cli_env, tmp_path):
            assert _stored(services)[0:2] == (stored, ingested)

        status = _run(["connect", "status"], cli_env)
        assert f"bluesky {url}: position {json.loads(everything[-1])['time_us']}" in status.stdout


def _mastodon_timeline() -> list[dict[str, Any]]:
    """The recorded notifications (the REST sample and the streaming sample's), oldest first."""
    timeline = json.loads((SAMPLES / "mastodon_notifications.json").read_text(encoding="utf-8"))
    for line in (SAMPLES / "mastodon_streaming.jsonl").read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event.get("event") == "notification":
            timeline.append(json.loads(event["payload"]))
    return sorted(timeline, key=lambda notification: int(notification["id"]))


def test_mastodon_stream_and_polling_lose_and_duplicate_nothing(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    _register(cli_env)
    timeline = _mastodon_timeline()
    server = Mastodon(token=TOKEN, timeline=timeline, before=4)
    with running(server.handler, server.process_request) as port:
        base = f"http://127.0.0.1:{port}"
        arguments = ["connect", "mastodon", "--server", base, "--once", "--idle", "0.5"]
        env = cli_env | {"HUSTINGS_MASTODON_ACCESS_TOKEN": TOKEN}
        first = _run(arguments, env)
        assert first.exit_code == 1 and "[1].status.uri: missing" in first.output, first.output
        assert TOKEN not in first.output and not any(TOKEN in path for path in server.paths)

        # First run: the newest page of mentions; after the drop, the mentions since the
        # notification it had committed last (the one streamed before the drop).
        assert "min_id" not in server.polls[0]
        streamed_first = timeline[4]["id"]
        assert server.polls[1]["min_id"] == [streamed_first]
        assert server.connections == 2

        expected = _expected("mastodon", [json.dumps(n).encode() for n in timeline])
        assert len(expected) == 3
        for services in _services(cli_env, tmp_path):
            stored, ingested, origins = _stored(services)
            assert set(stored) == expected
            assert ingested == origins == len(expected)
            assert services.cursors.position(f"mastodon {base}") == timeline[-1]["id"]
        assert "accepted 3, duplicates 0" in first.stdout, first.output

        second = _run(arguments, env)
        assert second.exit_code == 0, second.output
        assert server.polls[-1]["min_id"] == [timeline[-1]["id"]]
        assert "accepted 0, duplicates 0" in second.stdout, second.output
        for services in _services(cli_env, tmp_path):
            assert _stored(services)[0:2] == (stored, ingested)


def test_mastodon_without_a_token_says_so(env: dict[str, str]) -> None:
    result = _run(["connect", "mastodon", "--server", "https://fenmarsh.social", "--once"], env)
    assert result.exit_code == 2 and "HUSTINGS_MASTODON_ACCESS_TOKEN" in result.output


def test_a_refused_token_ends_a_bounded_run_with_the_reason(env: dict[str, str]) -> None:
    server = Mastodon(token=TOKEN, timeline=_mastodon_timeline())
    with running(server.handler, server.process_request) as port:
        result = _run(
            ["connect", "mastodon", "--server", f"http://127.0.0.1:{port}", "--once"],
            env | {"HUSTINGS_MASTODON_ACCESS_TOKEN": "wrong-token"},
        )
    assert result.exit_code != 0 and "401" in result.output, result.output
    assert "wrong-token" not in result.output


def test_sigterm_stops_a_following_connector_cleanly_with_its_batch_committed(
    env: dict[str, str], tmp_path: Path
) -> None:
    server = Jetstream(drop_after=10_000)
    with running(server.handler) as port:
        url = f"ws://127.0.0.1:{port}/subscribe"
        command = [sys.executable, "-c", "from hustings.cli.main import run; run()"]
        process = subprocess.Popen(
            [*command, "connect", "bluesky", "--url", url, "--did", TROLL_DID],
            env=os.environ | env | {"PYTHONPATH": str(Path(__file__).parents[2] / "src")},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            # Wait until the server has sent everything it holds and the connector is idle on it.
            for _ in range(600):
                if server.queries and len(server.sent) == len(server.events(server.queries[0])):
                    break
                process.poll()
                assert process.returncode is None, process.communicate()
                threading.Event().wait(0.1)
            process.send_signal(signal.SIGTERM)
            stdout, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
        # Not killed by the signal: it stopped, committed what it had read, and said so.
        assert process.returncode in {0, 1}, (process.returncode, stderr)  # 1: a bad record named
        assert "Traceback" not in stderr
        last = json.loads(server.sent[-1])["time_us"]
        assert f"position {last}" in stdout, stdout
        for services in _services(env, tmp_path):
            assert services.cursors.position(f"bluesky {url}") == str(last)
            expected = _expected("bluesky-jetstream", [line.encode() for line in server.sent])
            assert set(_stored(services)[0]) == expected
