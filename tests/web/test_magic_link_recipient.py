"""--magic-links-per-recipient: at most N magic-link mails to one recipient in any 15
minutes from one asking address, and 10 N from all of them (the per-address
--rate-limit-auth let one IPv4 address send ~28,800 a day to one inbox). Counted per asker,
so that someone asking three times for a victim's address cannot stop the victim's own
links. The answer stays 202 either way, so nothing is revealed about the address or the
account; the first refusal is logged, the ones after it are not (the log is not a way to
flood the disk)."""

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
    # the same mailbox spelt several ways, from one address, then from many
    spellings = ["victim@example.com", "Victim@Example.com", "victim+1@example.com"] * 2
    with caplog.at_level(logging.INFO):
        answers = [
            await client.post(LINK, json={"email": email}, headers=via("198.51.100.1"))
            for email in spellings
        ]
        assert mails(tmp_path) == 3  # one asker: 3
        answers += [
            await client.post(LINK, json={"email": "victim@example.com"},
                              headers=via(f"198.51.100.{i + 2}"))
            for i in range(40)
        ]  # fmt: skip
    assert [a.status for a in answers] == [202] * len(answers)
    assert len({await a.text() for a in answers}) == 1  # the same answer, word for word
    assert mails(tmp_path) == 30  # every asker together: 10 x 3
    refusals = [m for m in caplog.messages if "magic link" in m and "victim" in m]
    assert refusals == [
        "magic link refused to victim@example.com asked from 198.51.100.1: "
        "3 sent in the last 15 minutes",
        "magic link refused to victim@example.com: 30 sent in the last 15 minutes",
    ]
    other = await client.post(LINK, json={"email": "someone@example.com"})
    assert other.status == 202 and mails(tmp_path) == 31  # another recipient's own budget


async def test_a_stranger_asking_for_a_victim_s_links_does_not_stop_the_victim_s_own(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client = await make_client(magic_links_per_recipient=3, trusted_proxies=PROXY)
    for _ in range(5):  # past the cap, from the stranger's address
        await client.post(LINK, json={"email": "victim@example.com"}, headers=via("203.0.113.9"))
    assert mails(tmp_path) == 3
    mine = await client.post(
        LINK, json={"email": "victim@example.com"}, headers=via("198.51.100.77")
    )
    assert mine.status == 202 and mails(tmp_path) == 4


async def test_zero_turns_the_cap_off(make_client: MakeClient, tmp_path: Path) -> None:
    client = await make_client(magic_links_per_recipient=0)
    for _ in range(6):
        assert (await client.post(LINK, json={"email": "many@example.com"})).status == 202
    assert mails(tmp_path) == 6
