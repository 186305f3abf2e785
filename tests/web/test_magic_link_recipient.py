"""--magic-links-per-recipient: at most N magic-link mails to one recipient in any 15
minutes, whoever asks and from wherever (the per-address --rate-limit-auth let one IPv4
address send ~28,800 a day to one inbox). The answer stays 202 either way, so nothing is
revealed about the address or the account; the first refusal is logged, the ones after it
are not (the log is not a way to flood the disk)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.web.conftest import MakeClient
from tests.web.test_client_ip import PROXY, via

LINK = "/api/v1/user/magic-link"


def mails(data_dir: Path) -> int:
    return len(list((data_dir / "outbox").glob("*.eml")))


async def test_mails_to_one_recipient_are_capped_and_the_answer_stays_202(
    make_client: MakeClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client = await make_client(magic_links_per_recipient=3, trusted_proxies=PROXY)
    # the same mailbox spelt several ways, from addresses no per-address limit relates
    spellings = ["victim@example.com", "Victim@Example.com", "victim+1@example.com"] * 4
    with caplog.at_level(logging.INFO):
        answers = [
            await client.post(LINK, json={"email": email}, headers=via(f"198.51.100.{i + 1}"))
            for i, email in enumerate(spellings)
        ]
    assert [a.status for a in answers] == [202] * len(spellings)
    assert len({await a.text() for a in answers}) == 1  # the same answer, word for word
    assert mails(tmp_path) == 3
    refusals = [m for m in caplog.messages if "magic link" in m and "victim" in m]
    assert refusals == ["magic link refused to victim@example.com: 3 sent in the last 15 minutes"]
    other = await client.post(LINK, json={"email": "someone@example.com"})
    assert other.status == 202 and mails(tmp_path) == 4  # another recipient's own budget


async def test_zero_turns_the_cap_off(make_client: MakeClient, tmp_path: Path) -> None:
    client = await make_client(magic_links_per_recipient=0)
    for _ in range(6):
        assert (await client.post(LINK, json={"email": "many@example.com"})).status == 202
    assert mails(tmp_path) == 6
