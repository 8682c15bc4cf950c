"""A throwaway IMAP server for the test suite: Debian's Dovecot (`dovecot-imapd`), on loopback.

Like `tests.natsserver`: the suite owns its server, with a configuration, a mail directory and a
passwd-file user of its own under a temporary directory, unprivileged (as root it runs as the
package's `dovecot` user, as any other user as that user), and can stop it and start it again on
the same port with its mail kept (the reconnect tests). `deliver` puts a message in the mailbox
with IMAP APPEND, as a mail server's delivery agent would (to `INBOX`, or a folder `create` made).

Given a `trustme.CA`, the server has a certificate for 127.0.0.1 and localhost (or `names`) signed by it,
offers STARTTLS on `port` and implicit TLS on `tls_port`; the CA's certificate is written to
`ca_file` for a client to trust.
"""

from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import trustme

from tests.pgserver import _free_port

BINARY = Path("/usr/sbin/dovecot")
USER = "alice"
PASSWORD = "imap-password-7c1e"  # a throwaway test mailbox on loopback


class DovecotUnavailable(RuntimeError):
    pass


def _account() -> tuple[str, str]:
    """The unprivileged user and group the server runs as."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name
    try:
        owner = pwd.getpwnam("dovecot")
    except KeyError:
        raise DovecotUnavailable("running as root and there is no 'dovecot' user") from None
    return owner.pw_name, grp.getgrgid(owner.pw_gid).gr_name


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
        return True
    return False


class TempDovecot:
    def __init__(
        self,
        *,
        idle: bool = True,
        certificate: trustme.CA | None = None,
        names: tuple[str, ...] = ("127.0.0.1", "localhost"),
    ) -> None:
        self.idle = idle
        """Whether the server offers IDLE (RFC 2177); without it, clients must poll."""
        self.certificate = certificate
        """The CA that signed the server's certificate; without one, the server offers no TLS."""
        self.names = names
        """The names the server's certificate is for."""
        if not BINARY.exists():
            raise DovecotUnavailable("dovecot is not installed: apt-get install dovecot-imapd")
        self.user, self.group = _account()
        self.uid = pwd.getpwnam(self.user).pw_uid
        self.port = _free_port()
        self.tls_port = _free_port() if certificate is not None else 0
        self.root = Path(tempfile.mkdtemp(prefix="hustings-imap-"))
        self.process: subprocess.Popen[bytes] | None = None
        self._configure()

    def _configure(self) -> None:
        root = self.root
        for folder in ("base", "state", "mail"):
            (root / folder).mkdir()
        (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        ssl = "ssl = no"
        if self.certificate is not None:
            issued = self.certificate.issue_cert(*self.names)
            issued.private_key_pem.write_to_path(str(root / "server.key"))
            (root / "server.pem").write_bytes(b"".join(pem.bytes() for pem in issued.cert_chain_pems))
            self.certificate.cert_pem.write_to_path(str(self.ca_file))
            ssl = f"ssl = yes\nssl_cert = <{root}/server.pem\nssl_key = <{root}/server.key"
        (root / "dovecot.conf").write_text(
            f"""protocols = imap
listen = 127.0.0.1
base_dir = {root}/base
state_dir = {root}/state
instance_name = hustings-test-{self.port}
default_internal_user = {self.user}
default_internal_group = {self.group}
default_login_user = {self.user}
first_valid_uid = {self.uid}
last_valid_uid = {self.uid}
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain
{"" if self.idle else "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE LITERAL+"}
log_path = {root}/log
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={self.user} gid={self.group} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
"""
        )
        if os.geteuid() == 0:
            for path in (root, *root.rglob("*")):
                shutil.chown(path, self.user, self.group)

    def start(self) -> int:
        run_as = ["runuser", "-u", self.user, "--"] if os.geteuid() == 0 else []
        self.process = subprocess.Popen(
            [*run_as, str(BINARY), "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: `halt` ends the master and its children
        )
        deadline = time.monotonic() + 20  # a guard against a hang, not a timing assertion
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                _, stderr = self.process.communicate()
                raise DovecotUnavailable(f"dovecot exited: {stderr.decode()[-500:]} {self.log()[-500:]}")
            if all(_listening(port) for port in (self.port, self.tls_port) if port):
                return self.port
            time.sleep(0.05)
        raise DovecotUnavailable("dovecot did not start listening")

    @property
    def ca_file(self) -> Path:
        """The PEM certificate of the CA that signed the server's (with `certificate`)."""
        return self.root / "ca.pem"

    def log(self) -> str:
        path = self.root / "log"
        return path.read_text(errors="replace") if path.exists() else ""

    def deliver(self, *messages: bytes, folder: str = "INBOX") -> None:
        with imaplib.IMAP4("127.0.0.1", self.port) as client:
            client.login(USER, PASSWORD)
            for message in messages:
                status, data = client.append(folder, None, None, message)
                assert status == "OK", data

    def create(self, folder: str) -> None:
        """Make a folder in the mailbox (as a mail client, or a spam filter, would: `Junk`)."""
        with imaplib.IMAP4("127.0.0.1", self.port) as client:
            client.login(USER, PASSWORD)
            status, data = client.create(folder)
            assert status == "OK", data

    def flags(self, folder: str = "INBOX") -> list[bytes]:
        """Each message's flags, by UID, as the server holds them."""
        with imaplib.IMAP4("127.0.0.1", self.port) as client:
            client.login(USER, PASSWORD)
            client.select(folder, readonly=True)
            status, data = client.uid("FETCH", "1:*", "(FLAGS)")
            assert status == "OK", data
            return [line for line in data if isinstance(line, bytes)]

    def renumber(self) -> None:
        """Give the mailbox a new UIDVALIDITY, as recreating it would (with the server halted):
        the UIDs a client kept no longer mean anything."""
        assert self.process is None, "halt the server first"
        mailbox = self.root / "mail" / USER
        uidlist = mailbox / "dovecot-uidlist"
        header, _, rest = uidlist.read_text().partition("\n")
        fields = [f"V{int(part[1:]) + 1}" if part.startswith("V") else part for part in header.split()]
        uidlist.write_text(" ".join(fields) + "\n" + rest)
        for cached in mailbox.glob("dovecot*index*"):
            cached.unlink()

    def halt(self) -> None:
        """Stop the server and every process it started (its sessions with clients too, as a
        shutdown or a crash does), keeping its mail, for starting it again."""
        if self.process is None:
            return
        group = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        deadline = time.monotonic() + 10  # a guard against a hang, not a timing assertion
        while time.monotonic() < deadline:
            self.process.poll()
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.root, ignore_errors=True)
