"""Outgoing mail (magic links): SMTP when configured, else an .eml file in the outbox.

``smtp_url`` forms: ``smtp://[user:pass@]host[:port]`` (plain, port 25),
``smtp+starttls://...`` (STARTTLS, port 587) and ``smtps://...`` (TLS, port 465). The stdlib
``smtplib`` is blocking, so it runs in a thread with a timeout. Without SMTP each message is
written to ``<data_dir>/outbox/`` (mode 0600), which ``--dev`` shows at ``/dev/outbox``.
The outbox is bounded: anyone may ask for a magic link, and it grew without end (about 28,800
files a day per client address at the default limits) while each link dies after 15 minutes.
Each write deletes the mails written there more than a link's validity ago, and all but the
``OUTBOX_MAX_FILES`` newest; files of other names (the operator's) are left alone.
Message bodies carry tokens: they are never logged, only the recipient's domain is.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import smtplib
import ssl
import time
import uuid
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote, urlsplit

from velox.frozen import frozen

log = logging.getLogger(__name__)
SMTP_TIMEOUT_S = 15.0
DEFAULT_FROM = "Velox <no-reply@localhost>"
OUTBOX_KEEP_S = 15 * 60  # a magic link's validity (WebOptions.magic_ttl_s): older, it is dead
OUTBOX_MAX_FILES = 1000  # and at most this many, the newest
_OUTBOX_NAME = re.compile(r"(\d+)-[0-9a-f]+\.eml")  # what ``_write`` names a mail: <ms>-<hex>


@frozen
class OutboxMessage:
    file: str
    to: str
    subject: str
    date: str
    body: str


class Mailer:
    def __init__(self, smtp_url: str | None, mail_from: str | None, data_dir: str | Path) -> None:
        self.smtp_url = smtp_url or None
        self.mail_from = mail_from or DEFAULT_FROM
        self.outbox = Path(data_dir) / "outbox"

    async def send(self, to: str, subject: str, text: str) -> None:
        message = EmailMessage()
        message["From"] = self.mail_from
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = f"<{uuid.uuid4().hex}@velox>"
        message.set_content(text)
        domain = to.rpartition("@")[2]
        if self.smtp_url:
            async with asyncio.timeout(SMTP_TIMEOUT_S + 5):
                await asyncio.to_thread(self._smtp, message)
            log.info("mail sent by SMTP to a recipient at %s", domain)
        else:
            await asyncio.to_thread(self._write, message)
            log.info("mail written to the outbox for a recipient at %s", domain)

    def _smtp(self, message: EmailMessage) -> None:
        assert self.smtp_url is not None
        url = urlsplit(self.smtp_url)
        host = url.hostname or "localhost"
        scheme = url.scheme.lower()
        client: smtplib.SMTP
        if scheme == "smtps":
            context = ssl.create_default_context()
            client = smtplib.SMTP_SSL(
                host, url.port or 465, timeout=SMTP_TIMEOUT_S, context=context
            )
        elif scheme in ("smtp", "smtp+starttls"):
            client = smtplib.SMTP(
                host, url.port or (587 if scheme == "smtp+starttls" else 25), timeout=SMTP_TIMEOUT_S
            )
        else:
            raise ValueError(f"unsupported mail URL scheme {scheme!r}")
        with client:
            if scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
            if url.username:
                client.login(unquote(url.username), unquote(url.password or ""))
            client.send_message(message)

    def _write(self, message: EmailMessage) -> None:
        self.outbox.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns() // 1_000_000}-{uuid.uuid4().hex[:12]}.eml"
        fd = os.open(self.outbox / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(message.as_bytes())
        self._prune(time.time_ns() // 1_000_000)

    def _prune(self, now_ms: int) -> None:
        """Delete the mails older than ``OUTBOX_KEEP_S`` and all but the newest
        ``OUTBOX_MAX_FILES`` (only the files ``_write`` names, by the time in their name)."""
        mails = []
        for name in os.listdir(self.outbox):
            matched = _OUTBOX_NAME.fullmatch(name)
            if matched:
                mails.append((int(matched[1]), name))
        mails.sort(reverse=True)  # newest first
        cutoff = now_ms - OUTBOX_KEEP_S * 1000
        for i, (written_ms, name) in enumerate(mails):
            if i >= OUTBOX_MAX_FILES or written_ms < cutoff:
                (self.outbox / name).unlink(missing_ok=True)

    def list_outbox(self, limit: int = 100) -> list[OutboxMessage]:
        """Newest first: what ``/dev/outbox`` shows (blocking: call it in a thread)."""
        if not self.outbox.is_dir():
            return []
        files = sorted(self.outbox.glob("*.eml"), reverse=True)[:limit]
        parser = BytesParser(policy=default_policy)
        result = []
        for path in files:
            message = parser.parsebytes(path.read_bytes())
            part = message.get_body(preferencelist=("plain",))
            body = part.get_content() if part is not None else ""
            result.append(
                OutboxMessage(
                    file=path.name,
                    to=str(message["To"] or ""),
                    subject=str(message["Subject"] or ""),
                    date=str(message["Date"] or ""),
                    body=str(body),
                )
            )
        return result
