"""A Binance stream socket reads control messages at Binance's pace, answering each.

Binance allows a USDⓈ-M stream connection 10 incoming messages a second
(EXCHANGE-PROTOCOLS.md). Velox read them as fast as a client sent them: a client flooding
SUBSCRIBE/UNSUBSCRIBE of 1,024 names kept the event loop busy for everyone (left alone in
the last note). Now, past a burst, they are read at the rate (here lowered to 40 a second
after 5, to keep the test short) and still each answered, in order; the time it takes can
only be longer under load, never shorter.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.web.conftest import MakeClient
from velox.binance.streams import endpoint

RATE, BURST, SENT = 40.0, 5, 25


@pytest.mark.parametrize("path", ["/public/ws", "/stream"])
async def test_a_flood_of_control_messages_is_read_at_the_rate_and_each_answered(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.setattr(endpoint, "CONTROL_RATE", RATE, raising=False)
    monkeypatch.setattr(endpoint, "CONTROL_BURST", BURST, raising=False)
    client = await make_client()
    async with client.ws_connect(path) as ws:
        began = time.monotonic()
        for n in range(SENT):
            method = "SUBSCRIBE" if n % 2 == 0 else "UNSUBSCRIBE"
            await ws.send_str(json.dumps({"method": method, "params": ["btcusdt@bookTicker"],
                                          "id": n}))  # fmt: skip
        answers = []
        while len(answers) < SENT:
            data = json.loads((await ws.receive(timeout=10)).data)
            if "id" in data:
                answers.append(data)
        took = time.monotonic() - began
    assert answers == [{"result": None, "id": n} for n in range(SENT)]
    assert took >= (SENT - BURST - 1) / RATE, took  # at most the burst, then the rate
