"""Handing a message to the SMTP relay: STARTTLS, AUTH, and what a failure means.

A failure is either temporary (``MailDelayed``: relay down, timeout, a 4xx answer;
the outbox tries again later) or about the address (``MailRefused``: a 5xx answer to
the recipient; the address is marked and the user sees it on the settings page).
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage

from portal.config import SmtpConfig


class MailDelayed(Exception):
    """Not sent now; may well work later."""


class MailRefused(Exception):
    """The relay refused the recipient for good."""


class SmtpTransport:
    """One SMTP connection per message (notices are few; no idle connection for the relay to drop)."""

    def __init__(self, config: SmtpConfig):
        self.config = config

    def send(self, message: EmailMessage) -> None:
        cfg = self.config
        try:
            with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_s) as smtp:
                smtp.ehlo()
                if cfg.starttls:
                    context = ssl.create_default_context(cafile=cfg.ca_file or None)
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if cfg.username:
                    smtp.login(cfg.username, cfg.password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code = min((c for c, _ in exc.recipients.values()), default=0)
            if code >= 500:
                raise MailRefused(f"recipient refused ({code})") from None
            raise MailDelayed(f"recipient deferred ({code})") from None
        except smtplib.SMTPResponseException as exc:
            raise MailDelayed(f"relay answered {exc.smtp_code}") from None
        except (smtplib.SMTPException, OSError, socket.timeout, ssl.SSLError) as exc:
            raise MailDelayed(f"relay unreachable: {type(exc).__name__}") from None
