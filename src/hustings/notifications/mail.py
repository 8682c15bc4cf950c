"""E-mail through the configured SMTP server (`Settings.smtp_*`), for the notification sweep."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

from pydantic import SecretStr


class Mailer(Protocol):
    """Sends one plain-text e-mail; raises `OSError` or `smtplib.SMTPException` when it cannot."""

    def send(self, to: str, subject: str, body: str) -> None: ...


@dataclass(frozen=True)
class SmtpMailer:
    """One connection per e-mail: the sweep sends few, and a dropped connection then costs one."""

    host: str
    port: int
    sender: str
    starttls: bool = True
    username: str | None = None
    password: SecretStr | None = field(default=None, repr=False)
    timeout: float = 10.0

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username and self.password is not None:
                smtp.login(self.username, self.password.get_secret_value())
            smtp.send_message(message)
