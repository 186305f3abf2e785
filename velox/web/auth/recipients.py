"""--magic-links-per-recipient: magic-link mails to one recipient, whoever asks.

--rate-limit-auth counts the asker's address, so mails to one inbox were limited only by how
many addresses the sender has (one IPv4 address: ~28,800 a day). This cap counts the
recipient: at most N mails in any sliding 15 minutes, whoever asks. A refused request is
answered as every other (202; refusing would reveal nothing about an account, but the same
answer reveals nothing at all) and sends nothing; the first refusal is logged, then at most
one line per recipient per window, with a count.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from velox.web.auth.ratelimit import SlidingLog
from velox.web.auth.refusal_log import PerAddressLog

log = logging.getLogger(__name__)
WINDOW_S = 15 * 60.0


def mailbox_of(email: str) -> str:
    """One mailbox however it is spelt: lower case, and without a ``+tag`` in the local part
    (``victim+1@`` reaches ``victim@`` at most providers). Counting two real mailboxes as
    one only makes each wait sooner."""
    local, _, domain = email.lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


class RecipientCap:
    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.sent = SlidingLog(limit, WINDOW_S, clock)  # counts shared between gateways
        self._refusals = PerAddressLog(WINDOW_S, clock, what="magic link refused to", logger=log)

    def allow(self, email: str) -> bool:
        """Count one mail to ``email``'s mailbox: False (and logged) past the cap."""
        mailbox = mailbox_of(email)
        if self.sent.hit(mailbox) is None:
            return True
        minutes = int(WINDOW_S // 60)
        self._refusals(mailbox, f"{self.sent.limit} sent in the last {minutes} minutes")
        return False
