"""--magic-links-per-recipient: magic-link mails to one recipient.

--rate-limit-auth counts the asker's address, so mails to one inbox were limited only by how
many addresses the sender has (one IPv4 address: ~28,800 a day). This cap counts the
recipient: at most N mails in any sliding 15 minutes asked from one address (an IPv6
client's /64), and ``TOTAL_FACTOR`` N from every address together. Counted per asker, a
stranger asking N times for someone's address cannot stop that person's own links (a
recipient-only count let anyone lock a magic-link user out for good with three requests
every 15 minutes); to stop them, or to flood an inbox with more than 10 N mails, takes ten
addresses or more. A refused request is answered as every other (202; the same answer
reveals nothing at all) and sends nothing; the first refusal is logged, then at most one
line per recipient (and asker) per window, with a count.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from velox.web.auth.ratelimit import SlidingLog
from velox.web.auth.refusal_log import PerAddressLog

log = logging.getLogger(__name__)
WINDOW_S = 15 * 60.0
TOTAL_FACTOR = 10  # every asker together: 10 x the per-asker cap


def mailbox_of(email: str) -> str:
    """One mailbox however it is spelt: lower case, and without a ``+tag`` in the local part
    (``victim+1@`` reaches ``victim@`` at most providers). Counting two real mailboxes as
    one only makes each wait sooner."""
    local, _, domain = email.lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


class RecipientCap:
    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        # both counts are shared between gateways (velox.web.roles)
        self.sent = SlidingLog(limit, WINDOW_S, clock)  # per (mailbox, asker)
        self.sent_to = SlidingLog(limit * TOTAL_FACTOR, WINDOW_S, clock)  # per mailbox
        self._refusals = PerAddressLog(WINDOW_S, clock, what="magic link refused to", logger=log)

    def allow(self, email: str, asker: str) -> bool:
        """Count one mail to ``email``'s mailbox asked from ``asker`` (a client's rate-limit
        key): False (and logged) past either cap, counting nothing."""
        mailbox = mailbox_of(email)
        pair = f"{mailbox} asked from {asker}"
        minutes = int(WINDOW_S // 60)
        if self.sent.spent(pair) is not None:
            self._refusals(pair, f"{self.sent.limit} sent in the last {minutes} minutes")
            return False
        if self.sent_to.hit(mailbox) is not None:
            self._refusals(mailbox, f"{self.sent_to.limit} sent in the last {minutes} minutes")
            return False
        self.sent.hit(pair)
        return True
