"""`hustings connect imap` against a real IMAP server (Debian's Dovecot, tests/imapserver.py),
through the command line, on SQLite and PostgreSQL: the server is stopped and started again in
the middle of a run, the connector reconnects and resumes from its UID cursor, and a restart of
the connector reads only what arrived since; nothing is lost, nothing is stored twice, and the
office's mail is not marked as read."""

from __future__ import annotations

import hashlib
import imaplib
import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from typer.testing import Result

from hustings.connectors.imap import GREETING_SECONDS
from hustings.sources import FORMATS, Converted, Record, convert
from hustings.sources.mail import mbox_messages
from hustings.storage.sources_tables import OriginalRecordRow
from tests.connectors.test_connect import _stored
from tests.imapserver import PASSWORD, USER, DovecotUnavailable, TempDovecot
from tests.pgserver import _free_port
from tests.sources.samples import REGISTER, SAMPLES
from tests.sources.test_cli import _register, _run, _services


@pytest.fixture
def dovecot() -> Iterator[TempDovecot]:
    try:
        server = TempDovecot()
        server.start()
    except DovecotUnavailable as missing:
        pytest.skip(str(missing))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def tls_dovecot() -> Iterator[TempDovecot]:
    """A Dovecot with a certificate for 127.0.0.1 from a throwaway CA (its `ca_file`)."""
    try:
        server = TempDovecot(certificate=trustme.CA())
        server.start()
    except DovecotUnavailable as missing:
        pytest.skip(str(missing))
    try:
        yield server
    finally:
        server.stop()


def _mail(number: int) -> bytes:
    return (
        f"Message-ID: <imap-{number}@mailbox.example>\r\n"
        "Date: Thu, 7 May 2026 10:00:00 +0100\r\n"
        "From: Fen Watcher <fenwatcher99@mailbox.example>\r\n"
        "To: office@priyaraman.example\r\n"
        f"Subject: Friday, number {number}\r\n\r\n"
        f"I'll be outside the office on Friday night, {number}.\r\n"
    ).encode()


def _crlf(message: bytes) -> bytes:
    """As IMAP carries a message: CRLF line ends (APPEND sends them so)."""
    return re.sub(rb"\r?\n", b"\r\n", message)


def _expected(payloads: list[bytes]) -> set[str]:
    fmt = FORMATS["eml"]
    converter = fmt.converter(REGISTER)
    return {
        outcome.message["external_id"]
        for number, payload in enumerate(payloads)
        for outcome in convert(fmt, converter, Record(f"uid {number}", payload, payload))
        if isinstance(outcome, Converted)
    }


def _position(env: dict[str, str], tmp_path: Path, connector: str) -> str | None:
    try:
        for services in _services(env, tmp_path):
            return services.cursors.position(connector)
    except OperationalError:  # the connector's transaction holds SQLite: look again
        return None
    return None


def test_imap_server_restart_and_connector_restart_lose_and_duplicate_nothing(
    cli_env: dict[str, str], tmp_path: Path, dovecot: TempDovecot
) -> None:
    _register(cli_env)
    # The office's mail: the recorded samples (one of them without From, so bad) and more.
    sampled = [_crlf(message) for message in mbox_messages(SAMPLES / "office.mbox")]
    sampled.append(_crlf((SAMPLES / "threat.eml").read_bytes()))
    before = [*sampled, *(_mail(number) for number in range(1, 4))]
    dovecot.deliver(*before)
    env = cli_env | {"HUSTINGS_IMAP_PASSWORD": PASSWORD}
    connector = f"imap {USER}@127.0.0.1:{dovecot.port}/INBOX"
    arguments = ["connect", "imap", "--host", "127.0.0.1", "--port", str(dovecot.port), "--user", USER]
    arguments += ["--security", "none", "--batch", "3"]

    # Follow the mailbox; once the first messages are committed, stop the server and start it
    # again, and deliver more while the connector reconnects.
    outcome: list[Result] = []
    run = threading.Thread(target=lambda: outcome.append(_run([*arguments, "--once", "--idle", "5"], env)))
    run.start()
    try:
        for _ in range(600):
            if _position(cli_env, tmp_path, connector) is not None or not run.is_alive():
                break
            threading.Event().wait(0.05)
        dovecot.halt()
        dovecot.start()
        after = [_mail(number) for number in range(4, 7)]
        dovecot.deliver(*after)
    finally:
        run.join(120)
    first = outcome[0]
    assert first.exit_code == 1 and "From: missing" in first.output, first.output  # the bad one named
    assert "connections 2" in first.stdout, first.output  # it reconnected after the restart

    delivered = before + after
    expected = _expected(delivered)
    assert len(expected) == len(delivered) - 1
    for services in _services(cli_env, tmp_path):
        stored, ingested, origins = _stored(services)
        assert set(stored) == expected
        assert ingested == origins == len(expected)  # once each, each with its original record
        validity = str(services.cursors.position(connector)).split(":")[0]
        assert services.cursors.position(connector) == f"{validity}:{len(delivered)}"
        # The original record is the message as the server gave it, byte for byte, hashed.
        originals = {row.sha256: row for row in services.session.scalars(select(OriginalRecordRow))}
        threat = sampled[-1]
        assert originals[hashlib.sha256(threat).hexdigest()].payload == threat
        assert originals[hashlib.sha256(threat).hexdigest()].format == "eml"
    # Read with BODY.PEEK, read-only: nothing was marked as seen for the office.
    assert not any(b"\\Seen" in line for line in dovecot.flags())

    # A restart of the connector reads only what arrived since its cursor.
    dovecot.deliver(_mail(7))
    second = _run([*arguments, "--once", "--idle", "0.5"], env)
    assert second.exit_code == 0, second.output
    assert "accepted 1, duplicates 0" in second.stdout, second.output
    for services in _services(cli_env, tmp_path):
        stored_again, ingested_again, _ = _stored(services)
        assert set(stored_again) == expected | {"imap-7@mailbox.example"}
        assert ingested_again == ingested + 1
        assert services.cursors.position(connector) == f"{validity}:{len(delivered) + 1}"

    status = _run(["connect", "status"], cli_env)
    assert f"{connector}: position {validity}:{len(delivered) + 1}" in status.stdout


def test_two_folders_are_followed_each_from_its_own_cursor_across_a_server_restart(
    env: dict[str, str], tmp_path: Path, dovecot: TempDovecot
) -> None:
    # Abuse lands in INBOX and in Junk: one run follows both, each folder with its own cursor.
    dovecot.create("Junk")
    dovecot.deliver(*(_mail(number) for number in (1, 2, 3)))
    dovecot.deliver(*(_mail(number) for number in (11, 12, 13)), folder="Junk")
    dovecot.deliver(_mail(2), folder="Junk")  # a copy filed in both: a duplicate by Message-ID
    password = env | {"HUSTINGS_IMAP_PASSWORD": PASSWORD}
    mailbox = f"imap {USER}@127.0.0.1:{dovecot.port}"
    inbox, junk = f"{mailbox}/INBOX", f"{mailbox}/Junk"
    arguments = ["connect", "imap", "--host", "127.0.0.1", "--port", str(dovecot.port), "--user", USER]
    arguments += ["--security", "none", "--batch", "2", "--folder", "INBOX", "--folder", "Junk"]

    # The server is restarted once the first batch is committed, and more mail comes to both
    # folders while the connector reconnects.
    outcome: list[Result] = []
    run = threading.Thread(
        target=lambda: outcome.append(_run([*arguments, "--once", "--idle", "5"], password))
    )
    run.start()
    try:
        for _ in range(600):
            if _position(env, tmp_path, inbox) or _position(env, tmp_path, junk) or not run.is_alive():
                break
            threading.Event().wait(0.05)
        dovecot.halt()
        dovecot.start()
        dovecot.deliver(_mail(4), _mail(5))
        dovecot.deliver(_mail(14), _mail(15), folder="Junk")
    finally:
        run.join(120)
    first = outcome[0]
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    # A summary per folder, each counting its own messages, each over both connections.
    assert any(line.startswith(f"{inbox}: position ") and ", connections 2" in line for line in lines), lines
    assert any(line.startswith(f"{junk}: position ") and ", connections 2" in line for line in lines), lines
    numbers = [1, 2, 3, 4, 5, 11, 12, 13, 14, 15]
    for services in _services(env, tmp_path):
        stored, ingested, origins = _stored(services)
        assert set(stored) == {f"imap-{number}@mailbox.example" for number in numbers}
        assert ingested == origins == len(numbers)  # once each
        assert str(services.cursors.position(inbox)).endswith(":5")  # UIDs 1-5
        assert str(services.cursors.position(junk)).endswith(":6")  # 11-13, the copy of 2, 14, 15

    # A second run reads only what came since each folder's cursor: here, one message in Junk.
    dovecot.deliver(_mail(16), folder="Junk")
    second = _run([*arguments, "--once", "--idle", "0.5"], password)
    assert second.exit_code == 0, second.output
    summary = {line.split(": position ")[0]: line for line in second.stdout.splitlines()}
    assert "accepted 0, duplicates 0" in summary[inbox], second.output
    assert "accepted 1, duplicates 0" in summary[junk], second.output
    for services in _services(env, tmp_path):
        assert len(_stored(services)[0]) == len(numbers) + 1
        assert str(services.cursors.position(junk)).endswith(":7")
        assert str(services.cursors.position(inbox)).endswith(":5")
    assert not any(b"\\Seen" in line for folder in ("INBOX", "Junk") for line in dovecot.flags(folder))


def test_a_folder_the_mailbox_does_not_have_ends_the_run_before_anything_is_read(
    env: dict[str, str], tmp_path: Path, dovecot: TempDovecot
) -> None:
    dovecot.create("Junk")
    dovecot.deliver(_mail(1))
    arguments = ["connect", "imap", "--host", "127.0.0.1", "--port", str(dovecot.port), "--user", USER]
    arguments += ["--security", "none", "--folder", "INBOX", "--folder", "Spam"]
    # Not --once: a folder that is not there is not waited for.
    result = _run(arguments, env | {"HUSTINGS_IMAP_PASSWORD": PASSWORD})
    assert result.exit_code == 2, result.output
    line = _error_line(result)
    assert line == (
        f"error: imap {USER}@127.0.0.1:{dovecot.port} (INBOX, Spam): "
        f"no folder 'Spam' in the mailbox of {USER} (it has INBOX, Junk)"
    ), result.output
    assert result.stderr.strip() == line
    for services in _services(env, tmp_path):
        assert not _stored(services)[0]  # nothing read, not even INBOX
        assert services.cursors.all() == []


def test_a_password_in_clear_to_another_machine_is_refused(env: dict[str, str]) -> None:
    result = _run(
        ["connect", "imap", "--host", "mail.priyaraman.example", "--user", USER, "--security", "none"],
        env | {"HUSTINGS_IMAP_PASSWORD": PASSWORD},
    )
    assert result.exit_code == 2 and "in clear" in result.output, result.output


def test_a_server_without_idle_is_polled_and_what_arrives_meanwhile_is_read(
    env: dict[str, str], tmp_path: Path
) -> None:
    try:
        server = TempDovecot(idle=False)
        server.start()
    except DovecotUnavailable as missing:
        pytest.skip(str(missing))
    try:
        server.deliver(_mail(1))
        connector = f"imap {USER}@127.0.0.1:{server.port}/INBOX"
        arguments = ["connect", "imap", "--host", "127.0.0.1", "--port", str(server.port), "--user", USER]
        arguments += ["--security", "none", "--once", "--idle", "3"]
        outcome: list[Result] = []
        password = env | {"HUSTINGS_IMAP_PASSWORD": PASSWORD}
        run = threading.Thread(target=lambda: outcome.append(_run(arguments, password)))
        run.start()
        try:
            for _ in range(600):
                if _position(env, tmp_path, connector) is not None or not run.is_alive():
                    break
                threading.Event().wait(0.05)
            server.deliver(_mail(2))  # while it waits between polls
        finally:
            run.join(120)
        with imaplib.IMAP4("127.0.0.1", server.port) as client:  # so the connector had to poll
            client.login(USER, PASSWORD)
            assert "IDLE" not in client.capabilities
        assert outcome[0].exit_code == 0, outcome[0].output
        assert "accepted 2, duplicates 0" in outcome[0].stdout, outcome[0].output
        for services in _services(env, tmp_path):
            assert set(_stored(services)[0]) == {"imap-1@mailbox.example", "imap-2@mailbox.example"}
    finally:
        server.stop()


def test_a_new_uidvalidity_reads_the_mailbox_again_and_stores_nothing_twice(
    env: dict[str, str], tmp_path: Path, dovecot: TempDovecot
) -> None:
    dovecot.deliver(_mail(1), _mail(2))
    connector = f"imap {USER}@127.0.0.1:{dovecot.port}/INBOX"
    arguments = ["connect", "imap", "--host", "127.0.0.1", "--port", str(dovecot.port), "--user", USER]
    arguments += ["--security", "none", "--once", "--idle", "0.5"]
    password = env | {"HUSTINGS_IMAP_PASSWORD": PASSWORD}
    assert "accepted 2, duplicates 0" in _run(arguments, password).stdout
    before = _position(env, tmp_path, connector)
    dovecot.halt()
    dovecot.renumber()
    dovecot.start()
    dovecot.deliver(_mail(3))
    again = _run(arguments, password)
    assert "accepted 1, duplicates 2" in again.stdout, again.output
    after = _position(env, tmp_path, connector)
    assert before is not None and after is not None
    assert after.split(":")[0] != before.split(":")[0] and after.endswith(":3")
    for services in _services(env, tmp_path):
        stored, ingested, origins = _stored(services)
        assert len(stored) == ingested == origins == 3


def _tls_logins(server: TempDovecot) -> int:
    """How many logins the server took inside TLS (Dovecot's log marks them `TLS`)."""
    return sum(
        1 for line in server.log().splitlines() if f"Login: user=<{USER}>" in line and ", TLS," in line
    )


def _error_line(result: Result) -> str:
    """The one line the command ends with on stderr."""
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_over_tls_and_starttls_messages_are_read_and_the_cursor_kept(
    env: dict[str, str],
    tmp_path: Path,
    tls_dovecot: TempDovecot,
    security: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)  # IMAPClient logs every command at DEBUG: none may show the password
    port = tls_dovecot.tls_port if security == "tls" else tls_dovecot.port
    tls_dovecot.deliver(_mail(1), _mail(2))
    arguments = ["connect", "imap", "--host", "127.0.0.1", "--port", str(port), "--user", USER]
    arguments += ["--security", security, "--once", "--idle", "0.5"]
    trusted = env | {
        "HUSTINGS_IMAP_PASSWORD": PASSWORD,
        "HUSTINGS_IMAP_CA_FILE": str(tls_dovecot.ca_file),
        "HUSTINGS_LOG_LEVEL": "DEBUG",
    }
    connector = f"imap {USER}@127.0.0.1:{port}/INBOX"

    first = _run(arguments, trusted)
    assert first.exit_code == 0, first.output
    assert "accepted 2, duplicates 0" in first.stdout, first.output
    tls_dovecot.deliver(_mail(3))
    second = _run(arguments, trusted)
    assert second.exit_code == 0, second.output
    assert "accepted 1, duplicates 0" in second.stdout, second.output  # resumed from its cursor

    position = _position(env, tmp_path, connector)
    assert position is not None and position.endswith(":3"), position
    for services in _services(env, tmp_path):
        assert set(_stored(services)[0]) == {f"imap-{number}@mailbox.example" for number in (1, 2, 3)}
    assert _tls_logins(tls_dovecot) == 2  # both runs logged in inside TLS, none in clear
    assert any(record.name.startswith("imapclient") for record in caplog.records)
    captured = capsys.readouterr()
    for text in (first.output, second.output, caplog.text, captured.out, captured.err):
        assert PASSWORD not in text


@pytest.mark.parametrize(
    ("security", "trust"),
    [
        ("tls", "the system's CAs"),
        ("starttls", "the system's CAs"),
        ("tls", "another CA"),
        ("starttls", "another CA"),
    ],
)
def test_a_certificate_from_a_ca_not_trusted_is_refused_before_the_password_is_sent(
    env: dict[str, str], tmp_path: Path, tls_dovecot: TempDovecot, security: str, trust: str
) -> None:
    port = tls_dovecot.tls_port if security == "tls" else tls_dovecot.port
    password = env | {"HUSTINGS_IMAP_PASSWORD": PASSWORD}
    if trust == "another CA":
        other = tmp_path / "other-ca.pem"
        trustme.CA().cert_pem.write_to_path(str(other))
        password |= {"HUSTINGS_IMAP_CA_FILE": str(other)}
    arguments = ["connect", "imap", "--host", "127.0.0.1", "--port", str(port), "--user", USER]
    # Without --once the connector would retry a dropped connection forever: a refusal ends it.
    result = _run([*arguments, "--security", security], password)
    assert result.exit_code == 2, result.output
    line = _error_line(result)
    assert line.startswith(
        f"error: imap {USER}@127.0.0.1:{port}/INBOX: the server's TLS certificate was refused"
    )
    assert "unable to get local issuer certificate" in line and "HUSTINGS_IMAP_CA_FILE" in line, line
    assert result.stderr.strip() == line  # one line, no traceback, no retries reported
    assert PASSWORD not in result.output
    assert "Login:" not in tls_dovecot.log()  # the password never reached the server


def test_a_certificate_for_another_name_is_refused(env: dict[str, str]) -> None:
    try:
        server = TempDovecot(certificate=trustme.CA(), names=("mail.priyaraman.example",))
        server.start()
    except DovecotUnavailable as missing:
        pytest.skip(str(missing))
    try:
        arguments = ["connect", "imap", "--host", "127.0.0.1", "--port", str(server.tls_port), "--user", USER]
        trusted = env | {"HUSTINGS_IMAP_PASSWORD": PASSWORD, "HUSTINGS_IMAP_CA_FILE": str(server.ca_file)}
        result = _run(arguments, trusted)
        assert result.exit_code == 2, result.output
        assert _error_line(result).endswith(
            "the server's TLS certificate was refused: "
            "IP address mismatch, certificate is not valid for '127.0.0.1'."
        ), result.output
        assert "Login:" not in server.log()
    finally:
        server.stop()


def test_a_ca_file_that_is_not_one_is_named(
    env: dict[str, str], tmp_path: Path, tls_dovecot: TempDovecot
) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate\n")
    arguments = [
        "connect",
        "imap",
        "--host",
        "127.0.0.1",
        "--port",
        str(tls_dovecot.tls_port),
        "--user",
        USER,
    ]
    result = _run(arguments, env | {"HUSTINGS_IMAP_PASSWORD": PASSWORD, "HUSTINGS_IMAP_CA_FILE": str(bad)})
    assert result.exit_code == 2, result.output
    assert _error_line(result).startswith(f"error: HUSTINGS_IMAP_CA_FILE {bad}: not a PEM file"), (
        result.output
    )


def test_a_ca_file_that_does_not_exist_is_named(env: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "no-such-ca.pem"
    arguments = ["connect", "imap", "--host", "mail.priyaraman.example", "--user", USER]
    result = _run(
        arguments, env | {"HUSTINGS_IMAP_PASSWORD": PASSWORD, "HUSTINGS_IMAP_CA_FILE": str(missing)}
    )
    assert result.exit_code == 2, result.output
    assert _error_line(result).startswith("error: bad settings: HUSTINGS_IMAP_CA_FILE: "), result.output


def test_implicit_tls_to_a_port_without_it_names_the_failed_handshake(
    env: dict[str, str], dovecot: TempDovecot
) -> None:
    arguments = ["connect", "imap", "--host", "127.0.0.1", "--port", str(dovecot.port), "--user", USER]
    result = _run([*arguments, "--security", "tls"], env | {"HUSTINGS_IMAP_PASSWORD": PASSWORD})
    assert result.exit_code == 2, result.output
    line = _error_line(result)
    assert "the TLS handshake failed" in line and f"check that port {dovecot.port} takes implicit TLS" in line
    assert result.stderr.strip() == line and PASSWORD not in result.output


def test_starttls_to_an_implicit_tls_port_says_so_instead_of_waiting_out_the_timeout(
    env: dict[str, str], tls_dovecot: TempDovecot
) -> None:
    # The server waits for a TLS ClientHello, the client for a greeting: the greeting's own,
    # short, wait ends it, with the likely mistake named. (--once: without that wait, five
    # attempts each time out, and the line says only "timed out".)
    port = tls_dovecot.tls_port
    arguments = ["connect", "imap", "--host", "127.0.0.1", "--port", str(port), "--user", USER]
    trusted = env | {"HUSTINGS_IMAP_PASSWORD": PASSWORD, "HUSTINGS_IMAP_CA_FILE": str(tls_dovecot.ca_file)}
    result = _run([*arguments, "--security", "starttls", "--once"], trusted)
    assert result.exit_code == 2, result.output
    line = _error_line(result)
    assert line == (
        f"error: imap {USER}@127.0.0.1:{port}/INBOX: no IMAP greeting from 127.0.0.1:{port} "
        f"within {GREETING_SECONDS:g} s: is this a TLS port? try --security tls"
    ), result.output
    assert result.stderr.strip() == line and PASSWORD not in result.output
    assert "Login:" not in tls_dovecot.log()


def test_starttls_to_a_server_without_it_sends_no_password(env: dict[str, str], dovecot: TempDovecot) -> None:
    arguments = ["connect", "imap", "--host", "127.0.0.1", "--port", str(dovecot.port), "--user", USER]
    result = _run([*arguments, "--security", "starttls"], env | {"HUSTINGS_IMAP_PASSWORD": PASSWORD})
    assert result.exit_code == 2, result.output
    assert _error_line(result).endswith("the server does not offer STARTTLS (the password was not sent)")
    assert "Login:" not in dovecot.log()


def test_a_port_where_nothing_listens_ends_a_once_run_with_the_reason(env: dict[str, str]) -> None:
    port = _free_port()
    arguments = ["connect", "imap", "--host", "127.0.0.1", "--port", str(port), "--user", USER]
    result = _run([*arguments, "--security", "tls", "--once"], env | {"HUSTINGS_IMAP_PASSWORD": PASSWORD})
    assert result.exit_code == 2, result.output
    assert _error_line(result) == (
        f"error: imap {USER}@127.0.0.1:{port}/INBOX: cannot connect to 127.0.0.1:{port}: Connection refused"
    )
    assert PASSWORD not in result.output


def test_a_wrong_password_ends_the_run_with_the_reason_and_is_never_shown(
    env: dict[str, str],
    tls_dovecot: TempDovecot,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "not-the-password-5d2a"
    arguments = ["connect", "imap", "--host", "127.0.0.1", "--port", str(tls_dovecot.port), "--user", USER]
    # Not --once: a refused login is not tried again.
    result = _run(
        [*arguments, "--security", "starttls"],
        env
        | {
            "HUSTINGS_IMAP_PASSWORD": wrong,
            "HUSTINGS_IMAP_CA_FILE": str(tls_dovecot.ca_file),
            "HUSTINGS_LOG_LEVEL": "DEBUG",
        },
    )
    assert result.exit_code == 2, result.output
    line = _error_line(result)
    assert line == (
        f"error: imap {USER}@127.0.0.1:{tls_dovecot.port}/INBOX: the server refused the login of {USER}: "
        "[AUTHENTICATIONFAILED] Authentication failed."
    ), result.output
    assert result.stderr.strip() == line
    assert any(record.name.startswith("imapclient") for record in caplog.records)  # DEBUG was on
    captured = capsys.readouterr()
    for text in (result.output, caplog.text, captured.out, captured.err):
        assert wrong not in text
