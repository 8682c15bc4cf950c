"""IMAP: an office's mailbox, each new message read as `hustings ingest --format eml` reads one,
resumed by UID.

The position kept is ``UIDVALIDITY:UID``, the mailbox's UID validity and the UID of the last
message committed. IMAP guarantees that, while UIDVALIDITY stays the same, a message's UID never
changes and new messages get higher ones, so `UID SEARCH UID {last+1}:*` after a restart or a
dropped connection is exactly what has not been read. Where UIDVALIDITY has changed (the mailbox
was recreated or renumbered) the old UIDs mean nothing: the whole mailbox is read again, and
ingest's idempotence by Message-ID stores nothing twice.

Messages are fetched with `BODY.PEEK[]`, so reading them marks nothing as seen for the people who
read the mailbox themselves, and the folder is selected read-only. Between reads the connector
waits in IDLE (RFC 2177) where the server offers it, re-issued every `renew_seconds` (servers
drop an IDLE after 30 minutes), and otherwise polls with NOOP.

Several folders of one mailbox (abuse lands in INBOX and in Junk) are followed over one
connection, each with its own cursor (`imap user@host:port/FOLDER`): each cycle selects each
folder in turn and reads what is past its cursor, then waits in IDLE on the first folder given;
with more than one, that wait lasts at most `scan_seconds`, so mail in the others is read within
that long (a push in the first ends the wait at once). One connection rather than one per folder
in threads: IDLE can watch only the selected folder, but one connection means one login, one
retry and back-off, one place a refusal ends the run, commits made one after another on one
thread (SQLite takes one writer at a time), and no more of the server's per-user connection
limit than one. Every folder is checked to exist before anything is read: one that does not
ends the run, naming it.

The library is IMAPClient (https://github.com/mjs/imapclient), maintained, on top of the
standard library's imaplib: imaplib has no IDLE before Python 3.14 and returns raw response
lines that each caller must parse; IMAPClient parses them and gives IDLE, UIDs and folder
status as Python values.

The server's greeting is waited for `GREETING_SECONDS`, not the command timeout: a client that
expects a greeting on a port that expects a TLS ClientHello (STARTTLS pointed at 993) would
otherwise wait out the whole timeout while the server waits too. No greeting ends the run with a
hint to use `--security tls`, unless a session has already been made in this run (then it is a
server slow to come back, and tried again).

TLS (implicit, or STARTTLS) always verifies the server's certificate and its name: against the
system's CAs, or, for an office's own mail server, only against the CA certificates in the file
given as `ca_file` (`HUSTINGS_IMAP_CA_FILE`). There is no way to turn verification off. A
refusal that trying again cannot fix (the certificate, the TLS handshake, the login) ends the run
at once with the reason; a server that cannot be reached is tried again.
"""

from __future__ import annotations

import imaplib
import ipaddress
import select
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from imapclient import IMAPClient, imap4, tls
from imapclient.exceptions import CapabilityError, IMAPClientError, LoginError
from pydantic import SecretStr

from hustings.connectors.follow import Batches, ConnectorError, Progress, retry_wait
from hustings.sources import FORMATS, Record

Security = Literal["tls", "starttls", "none"]
IMAP_TLS_PORT = 993
IMAP_PORT = 143
GREETING_SECONDS = 5.0
"""How long a server has to greet a connection made (an IMAP server greets at once)."""
COMMAND_SECONDS = 30.0


class MailboxGone(ConnectionError):
    """The server ended the session (`BYE` during IDLE, e.g. when it shuts down)."""


class Unreachable(ConnectionError):
    """No connection to the server (refused, no such host, timed out): tried again."""


class Refused(ConnectionError):
    """The server, or its certificate, was refused, or it refused us (the TLS handshake, the
    login, a folder it does not have): trying again would not help, so the run ends."""


class NoGreeting(Refused):
    """A connection was made but the server sent no greeting in time (most likely a TLS port
    spoken to in clear): final on a run's first connection, tried again after one succeeded."""


CA_FILE_SETTING = "HUSTINGS_IMAP_CA_FILE"
_UNKNOWN_ISSUER = {18, 19, 20, 21}  # X509_V_ERR_*: self-signed, self-signed in chain, issuer unknown


@dataclass(frozen=True)
class Mailbox:
    """Where to read: the server, the account and the folder."""

    host: str
    user: str
    password: SecretStr
    port: int | None = None
    folder: str = "INBOX"
    security: Security = "tls"
    ca_file: Path | None = None
    """A PEM file of the CA certificates to trust for the server's, instead of the system's."""

    @property
    def address(self) -> int:
        return self.port or (IMAP_TLS_PORT if self.security == "tls" else IMAP_PORT)

    @property
    def connector(self) -> str:
        return f"imap {self.user}@{self.host}:{self.address}/{self.folder}"


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine (the only place a password may travel unencrypted)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ImapSource:
    """The IMAP mailbox as its batches are kept: read as e-mail, positioned by UID."""

    format = FORMATS["eml"]

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self.connector = mailbox.connector

    def advance(self, position: str | None, value: object) -> str | None:
        return position  # a message's UID is not in its bytes: the follower gives it (`take(after=)`)


def parse_position(position: str | None) -> tuple[int, int] | None:
    """(UIDVALIDITY, last UID) from a kept position, or None where there is none (or it is not one)."""
    if position is None:
        return None
    validity, _, uid = position.partition(":")
    if not (validity.isdigit() and uid.isdigit()):
        return None
    return int(validity), int(uid)


Connect = Callable[[Mailbox], IMAPClient]


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """A context that verifies the server's certificate and host name, against the system's CAs
    or only those in `ca_file`."""
    try:
        return ssl.create_default_context(cafile=None if ca_file is None else str(ca_file))
    except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
        reason = getattr(error, "reason", None) or getattr(error, "strerror", None) or error
        raise ConnectorError(
            f"{CA_FILE_SETTING} {ca_file}: not a PEM file of CA certificates ({reason})"
        ) from None


class _GreetingTimeout(TimeoutError):
    """The connection was made, the greeting did not come."""


class _GreetingBounded(imaplib.IMAP4):
    """imaplib's connection, waiting `greeting_seconds` for the greeting once the socket (and,
    with implicit TLS, the handshake) is up: `open` is imaplib's documented step between the two."""

    def __init__(self, *args: Any, greeting_seconds: float, **kwargs: Any) -> None:
        self._greeting_seconds = greeting_seconds
        self._opened = False
        try:
            super().__init__(*args, **kwargs)
        except TimeoutError:
            if self._opened:
                raise _GreetingTimeout from None
            raise

    def open(self, host: str = "", port: int = IMAP_PORT, timeout: float | None = None) -> None:
        super().open(host, port, timeout)
        self._opened = True
        self.sock.settimeout(self._greeting_seconds)  # IMAPClient sets the command timeout after


class _PlainConnection(_GreetingBounded, imap4.IMAP4WithTimeout):  # type: ignore[misc]  # imapclient is untyped
    pass


class _TlsConnection(_GreetingBounded, tls.IMAP4_TLS):  # type: ignore[misc]  # imapclient is untyped
    pass


class _Client(IMAPClient):  # type: ignore[misc]  # imapclient is untyped
    """IMAPClient with the greeting's own, shorter, timeout. `_create_IMAP4` is IMAPClient's one
    place that makes the connection (in every version since 2.0); it is kept as IMAPClient has it
    but for the greeting."""

    def __init__(self, *args: Any, greeting_seconds: float, **kwargs: Any) -> None:
        self._greeting_seconds = greeting_seconds
        super().__init__(*args, **kwargs)

    def _create_IMAP4(self) -> imaplib.IMAP4:
        seconds = self._timeout.connect
        if self.ssl:
            return _TlsConnection(
                self.host, self.port, self.ssl_context, seconds, greeting_seconds=self._greeting_seconds
            )
        return _PlainConnection(self.host, self.port, seconds, greeting_seconds=self._greeting_seconds)


def connect(
    mailbox: Mailbox, timeout: float = COMMAND_SECONDS, greeting_seconds: float = GREETING_SECONDS
) -> IMAPClient:
    """A logged-in client; the password leaves this process only inside the (TLS) session.

    Raises `Refused` for what trying again would not fix (`NoGreeting` where the server said
    nothing within `greeting_seconds`), `Unreachable` where no connection was made."""
    context = tls_context(mailbox.ca_file)
    try:
        client = _Client(
            mailbox.host,
            port=mailbox.address,
            ssl=mailbox.security == "tls",
            ssl_context=context if mailbox.security == "tls" else None,
            timeout=timeout,
            greeting_seconds=greeting_seconds,
        )
    except _GreetingTimeout:
        hint = "" if mailbox.security == "tls" else ": is this a TLS port? try --security tls"
        raise NoGreeting(
            f"no IMAP greeting from {mailbox.host}:{mailbox.address} within {greeting_seconds:g} s{hint}"
        ) from None
    except ssl.SSLError as error:
        raise _refusal(error, mailbox) from None
    except OSError as error:
        raise Unreachable(f"cannot connect to {mailbox.host}:{mailbox.address}: {_reason(error)}") from None
    try:
        if mailbox.security == "starttls":
            client.starttls(context)
        client.login(mailbox.user, mailbox.password.get_secret_value())
    except BaseException as error:
        with suppress(OSError, IMAPClientError):  # after a failed STARTTLS the socket is already gone
            client.shutdown()
        if isinstance(error, ssl.SSLError | CapabilityError | LoginError):
            raise _refusal(error, mailbox) from None
        raise
    return client


def _refusal(error: ssl.SSLError | IMAPClientError, mailbox: Mailbox) -> Refused | ssl.SSLError:
    """What was refused, in a line; a TLS connection cut short (the server going down) is not a
    refusal, and is tried again."""
    if isinstance(error, ssl.SSLEOFError | ssl.SSLZeroReturnError | ssl.SSLSyscallError):
        return error
    if isinstance(error, ssl.SSLCertVerificationError):
        hint = (
            f"; for a server whose certificate your own CA signed, give that CA's certificate in {CA_FILE_SETTING}"
            if error.verify_code in _UNKNOWN_ISSUER
            else ""
        )
        return Refused(f"the server's TLS certificate was refused: {error.verify_message}{hint}")
    if isinstance(error, ssl.SSLError):
        expected = "implicit TLS (--security tls, usually 993)" if mailbox.security == "tls" else "STARTTLS"
        return Refused(
            f"the TLS handshake failed ({error.reason or error}): check that port {mailbox.address} takes {expected}"
        )
    if isinstance(error, CapabilityError):
        return Refused("the server does not offer STARTTLS (the password was not sent)")
    detail = _server_text(str(error))
    if secret := mailbox.password.get_secret_value():  # were a server to echo it, it goes no further
        detail = detail.replace(secret, "***")
    return Refused(f"the server refused the login of {mailbox.user}: {detail}")


def _server_text(text: str) -> str:
    """A server's response as IMAPClient words it (`b'[AUTHENTICATIONFAILED] ...'`), unquoted."""
    if text.startswith(("b'", 'b"')) and text.endswith(text[1]):
        return text[2:-1]
    return text


def _reason(error: OSError) -> str:
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    return error.strerror or str(error) or type(error).__name__


@dataclass(frozen=True)
class Followed:
    """One folder as it is followed: its source (the connector its cursor is kept under) and the
    batches its messages are committed in."""

    source: ImapSource
    batches: Batches

    @property
    def folder(self) -> str:
        return self.source.mailbox.folder


@dataclass
class ImapFollower:
    """Read the new messages of a mailbox's folders into batches, wait for more, reconnect when
    dropped. All the folders are of one mailbox (`folders[0]`'s server and login)."""

    folders: list[Followed]
    idle_seconds: float = 3.0
    """With `once`, the run ends when the mailbox has been quiet this long."""
    renew_seconds: float = 600.0
    """How long one IDLE (or, without IDLE, one poll's wait) lasts before it is renewed."""
    scan_seconds: float = 30.0
    """With several folders, how long a wait lasts before every folder is searched again."""
    retry_seconds: float = 0.5
    retry_max_seconds: float = 60.0
    attempts: int = 5
    """With `once`, how many failed connections in a row end the run with an error."""
    open: Connect = connect
    report: Callable[[Progress], None] = lambda progress: None

    def __post_init__(self) -> None:
        if not self.folders:
            raise ValueError("no folder to follow")

    @property
    def progress(self) -> list[Progress]:
        """Each folder's progress, in the order given."""
        return [followed.batches.progress for followed in self.folders]

    @property
    def name(self) -> str:
        """The run's name in an error: the connector, or with several folders the mailbox and them."""
        if len(self.folders) == 1:
            return self.folders[0].source.connector
        mailbox = self.folders[0].source.mailbox
        folders = ", ".join(followed.folder for followed in self.folders)
        return f"imap {mailbox.user}@{mailbox.host}:{mailbox.address} ({folders})"

    def run(self, stop: threading.Event, *, once: bool = False) -> list[Progress]:
        """Follow the folders until `stop` is set, or with `once` until they all fall quiet."""
        failures = 0
        sessions = 0
        while not stop.is_set():
            try:
                with self._session() as client:
                    failures = 0
                    sessions += 1
                    for progress in self.progress:
                        progress.connections += 1
                        progress.last_error = None
                    if self._follow(client, stop, once):
                        break
            except (OSError, IMAPClientError, MailboxGone) as error:
                self._flush()  # what was read in full before the drop is kept
                failures += 1
                reason = _described(error)
                refused = isinstance(error, Refused | LoginError)
                if isinstance(error, NoGreeting) and sessions:
                    refused = False  # it greeted before: a server slow to come back
                for progress in self.progress:
                    progress.last_error = reason
                    if not refused:
                        self.report(progress)
                if refused or (once and failures >= self.attempts):
                    raise ConnectorError(f"{self.name}: {reason}") from None
                stop.wait(retry_wait(failures, self.retry_seconds, self.retry_max_seconds))
        self._flush()
        return self.progress

    def _flush(self) -> None:
        for followed in self.folders:
            followed.batches.flush()

    @contextmanager
    def _session(self) -> Iterator[IMAPClient]:
        client = self.open(self.folders[0].source.mailbox)
        try:
            yield client
        finally:
            try:
                client.logout()
            except (OSError, IMAPClientError):
                client.shutdown()

    def _follow(self, client: IMAPClient, stop: threading.Event, once: bool) -> bool:
        self._check_folders(client)
        idle = client.has_capability("IDLE")
        seconds = self.renew_seconds if len(self.folders) == 1 else min(self.renew_seconds, self.scan_seconds)
        while not stop.is_set():
            self._read_all(client)
            arrived = self._wait(client, stop, idle, self.idle_seconds if once else seconds)
            # A quiet spell is confirmed by asking, not by the absence of a push: a server may
            # announce new mail late (Dovecot without inotify checks every 30 s), or its
            # announcement may come before IDLE was acknowledged, where no push is looked for;
            # and a push is looked for only in the first folder.
            if once and not arrived and not self._read_all(client):
                return True
        return True

    def _check_folders(self, client: IMAPClient) -> None:
        """Refuse the run where a folder asked for is not in the mailbox, before anything is read."""
        listed = [name for _, _, name in client.list_folders()]
        held = {name if name.upper() != "INBOX" else "INBOX" for name in listed}
        for followed in self.folders:
            wanted = followed.folder if followed.folder.upper() != "INBOX" else "INBOX"
            if wanted not in held:
                shown = ", ".join(sorted(held)[:20]) + (", ..." if len(held) > 20 else "")
                user = followed.source.mailbox.user
                raise Refused(f"no folder {followed.folder!r} in the mailbox of {user} (it has {shown})")

    def _read_all(self, client: IMAPClient) -> int:
        """Read every folder past its cursor, the first last (it stays selected, for IDLE to
        watch); how many messages the server listed in all."""
        return sum(self._read_new(client, followed) for followed in [*self.folders[1:], self.folders[0]])

    def _read_new(self, client: IMAPClient, followed: Followed) -> int:
        """Read every message of one folder past its cursor; how many the server listed."""
        selected = client.select_folder(followed.folder, readonly=True)
        validity = int(selected[b"UIDVALIDITY"])
        batches = followed.batches
        last = _last_uid(batches.position, validity)
        # `n:*` always matches the highest UID, even one below n: keep only those past the cursor.
        uids = sorted(uid for uid in client.search(["UID", f"{last + 1}:*"]) if uid > last)
        size = batches.batch_size
        for start in range(0, len(uids), size):
            chunk = uids[start : start + size]
            fetched = client.fetch(chunk, ["BODY.PEEK[]"])
            for uid in chunk:
                body = fetched.get(uid, {}).get(b"BODY[]")
                if isinstance(body, bytes):  # else expunged since the search: nothing left to read
                    batches.take(Record(f"uid {uid}", body, body), after=f"{validity}:{uid}")
            batches.flush()
        return len(uids)

    def _wait(self, client: IMAPClient, stop: threading.Event, idle: bool, seconds: float) -> bool:
        """Wait up to `seconds` for the mailbox to change; whether it did (or may have)."""
        step = min(1.0, seconds)
        waited = 0.0
        if not idle:
            while waited < seconds and not stop.is_set():
                stop.wait(step)
                waited += step
            return _changed(client.noop()[1])
        client.idle()
        try:
            while waited < seconds and not stop.is_set():
                readable = _readable(client, step)
                waited += step
                if not readable:
                    continue
                responses = client.idle_check(timeout=0)
                if not responses:  # readable, yet nothing to read: the server closed the connection
                    raise MailboxGone("connection closed by the server")
                if _changed(responses):
                    return True
        finally:
            client.idle_done()
        return False


def _last_uid(position: str | None, validity: int) -> int:
    kept = parse_position(position)
    if kept is None or kept[0] != validity:
        return 0  # never read, or renumbered: read it all (Message-IDs keep it stored once)
    return kept[1]


def _readable(client: IMAPClient, seconds: float) -> bool:
    """Whether the connection has something to read (a response, or its end) within `seconds`."""
    poller = select.poll()
    poller.register(client.socket().fileno(), select.POLLIN)
    return bool(poller.poll(seconds * 1000))


def _changed(responses: list[object]) -> bool:
    """Whether untagged responses say the mailbox changed; a `BYE` ends the session."""
    for response in responses:
        if not isinstance(response, tuple) or len(response) < 2:
            continue
        if response[0] == b"BYE" or response[1] == b"BYE":
            raise MailboxGone(f"server ended the session: {response[-1]!r}")
        if response[1] in {b"EXISTS", b"RECENT"}:
            return True
    return False


def _described(error: BaseException) -> str:
    if isinstance(error, Refused | Unreachable):
        return str(error)
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(error, imaplib.IMAP4.abort):
        return f"connection lost: {error}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
