"""A real SMTP server for tests (aiosmtpd on a free loopback port) that keeps what it receives.

aiosmtpd's Controller serves from its own thread and event loop, so the same sink works from
async unit tests and from synchronous Playwright tests:

    sink = SmtpSink().start()        # or the `smtp_server` fixture
    ... run the app with OKMARTS_SMTP_URL=sink.url ...
    message = sink.wait_for("ann@example.com", subject_contains="Confirm")
    link = links_in(message)[0]
    sink.stop()
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"
LINK = re.compile(r"https?://[^\s<>\"')\]]+")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class SmtpSink:
    """Accepts every message and keeps it, parsed, in `messages` (thread-safe)."""

    def __init__(self) -> None:
        self.port = free_port()
        self._lock = threading.Lock()
        self._messages: list[EmailMessage] = []
        self._controller = Controller(self, hostname=HOST, port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://{HOST}:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """aiosmtpd's hook: parse and keep the message (runs in the controller's thread)."""
        content: Any = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self._messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, recipient: str) -> list[EmailMessage]:
        """The messages received so far for one address."""
        wanted = recipient.lower()
        return [
            message
            for message in self.messages
            if wanted in (address.addr_spec.lower() for address in message["To"].addresses)
        ]

    def wait_for(
        self, recipient: str, subject_contains: str = "", timeout: float = 15
    ) -> EmailMessage:
        """The first message to recipient whose subject contains the text, waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self.to(recipient):
                if subject_contains in str(message["Subject"]):
                    return message
            if time.monotonic() > deadline:
                got = [(str(m["To"]), str(m["Subject"])) for m in self.messages]
                raise AssertionError(
                    f"No mail to {recipient} with {subject_contains!r} in {timeout} s; got {got}"
                )
            time.sleep(0.05)

    async def wait_for_async(
        self, recipient: str, subject_contains: str = "", timeout: float = 15
    ) -> EmailMessage:
        """wait_for without blocking the event loop (when this loop's own code sends the mail)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.wait_for(recipient, subject_contains, timeout=0)
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.05)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the message has no text/plain part"
    return str(part.get_content())  # type: ignore[attr-defined]


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None, "the message has no text/html part"
    return str(part.get_content())  # type: ignore[attr-defined]


def links_in(message: EmailMessage) -> list[str]:
    """The http(s) links of the message's text part, in order."""
    return LINK.findall(text_of(message))
