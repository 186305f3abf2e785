"""The outbox (magic-link mails as .eml files when no SMTP server is set) stays bounded.

Before, every magic-link request, anonymous ones included, left a file in <data-dir>/outbox
for good (about 28,800 a day per client address at the default limits, the reviewer's
outbox_growth.py), while the links in them expire after 15 minutes. Now writing a mail
deletes the outbox's mails older than a magic link's validity, and keeps at most the 1,000
newest; files Velox did not write there are left alone.
"""

from __future__ import annotations

import time
from pathlib import Path

from velox.mail import OUTBOX_KEEP_S, OUTBOX_MAX_FILES, Mailer
from velox.web.options import WebOptions


def mail_files(outbox: Path) -> list[str]:
    return sorted(p.name for p in outbox.glob("*.eml"))


def old_mail(outbox: Path, age_s: float, n: int) -> str:
    outbox.mkdir(exist_ok=True)
    name = f"{int((time.time() - age_s) * 1000)}-{n:012x}.eml"
    (outbox / name).write_bytes(b"To: x@example.org\n\nold\n")
    return name


async def test_mails_whose_links_expired_are_deleted_at_the_next_write(tmp_path: Path) -> None:
    assert WebOptions().magic_ttl_s == OUTBOX_KEEP_S  # a link's validity: then it is dead
    outbox = tmp_path / "outbox"
    expired = [old_mail(outbox, OUTBOX_KEEP_S + 60, n) for n in range(5)]
    live = old_mail(outbox, OUTBOX_KEEP_S - 60, 99)
    (outbox / "README.txt").write_text("the operator's own file\n")
    await Mailer(None, None, tmp_path).send("to@example.com", "Link", "click here")
    left = mail_files(outbox)
    assert not set(expired) & set(left)
    assert live in left and len(left) == 2
    assert (outbox / "README.txt").exists()


async def test_at_most_the_newest_files_are_kept(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    for n in range(OUTBOX_MAX_FILES + 20):  # all within a link's validity
        old_mail(outbox, 60 + n / 100, n)
    mailer = Mailer(None, None, tmp_path)
    await mailer.send("to@example.com", "Link", "the newest")
    left = mail_files(outbox)
    assert len(left) == OUTBOX_MAX_FILES
    assert mailer.list_outbox(1)[0].body.strip() == "the newest"
    assert not any(name.endswith(f"-{OUTBOX_MAX_FILES + 19:012x}.eml") for name in left)  # oldest
    assert any(name.endswith(f"-{0:012x}.eml") for name in left)  # the newest of the others
