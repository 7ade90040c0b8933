"""A real SMTP server on a loopback port (aiosmtpd) that keeps what it receives, for tests of the notices."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading

from aiosmtpd.controller import Controller


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, sink: "SmtpSink"):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.sink.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.sink.lock:
            if self.sink.defer > 0:
                self.sink.defer -= 1
                return "451 4.3.0 Try again later"
            self.sink.received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


class SmtpSink:
    """``received``: the messages accepted, parsed. ``refuse``: addresses answered with 550. ``defer``: how many
    messages to answer with 451 first. ``stop()`` and ``start()`` take the server down and up on the same port."""

    def __init__(self, tls_context=None, credentials: tuple[str, str] | None = None):
        """With ``tls_context`` the server requires STARTTLS; with ``credentials`` (user, password) also AUTH."""
        self.tls_context, self.credentials = tls_context, credentials
        self.logins: list[str] = []
        self.received: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()
        self.defer = 0
        self.lock = threading.Lock()
        self.port = _free_port()
        self.controller = None
        self.start()

    def start(self) -> None:
        options = {}
        if self.tls_context is not None:
            options.update(tls_context=self.tls_context, require_starttls=True)
        if self.credentials is not None:
            options.update(authenticator=self._authenticate, auth_required=True)
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword
        ok = isinstance(auth_data, LoginPassword) and \
            (auth_data.login.decode(), auth_data.password.decode()) == self.credentials
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list:
        with self.lock:
            return [m for m in self.received if m["To"] == address]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def links_in(message) -> list[str]:
    return re.findall(r"https?://\S+", text_of(message))


def self_signed_context(folder) -> tuple[object, str]:
    """A server TLS context for 127.0.0.1 with a fresh self-signed certificate, and the certificate's path."""
    import ssl
    import subprocess
    cert, key = f"{folder}/cert.pem", f"{folder}/key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, cert
