"""``POST/PUT/DELETE /fapi/v1/listenKey``: the user-data stream's handle (API key only).

As Binance's USER_STREAM endpoints: the ``X-MBX-APIKEY`` header authenticates, no signature
or timestamp. PUT or DELETE without a live listen key is -1125.
"""

from __future__ import annotations

from typing import Any

from velox.binance.endpoint import Call, endpoint
from velox.binance.errors import BinanceError
from velox.binance.keyring import READ
from velox.binance.keys import LISTEN_KEYS


def _missing() -> BinanceError:
    return BinanceError(-1125, "This listenKey does not exist.")


@endpoint(1, signed=READ, key_only=True)
async def create(call: Call) -> Any:
    keys = call.app[LISTEN_KEYS]
    await keys.find_live(call.credential)  # one live key per API key, whichever gateway made it
    listen_key = keys.create(call.credential)
    await keys.catch_up()  # every gateway can know it now
    return {"listenKey": listen_key}


@endpoint(1, signed=READ, key_only=True)
async def keepalive(call: Call) -> Any:
    keys = call.app[LISTEN_KEYS]
    if await keys.find_live(call.credential) is None:
        raise _missing()
    listen_key = keys.keepalive(call.credential)
    if listen_key is None:  # expired between the two (the same millisecond)
        raise _missing()
    await keys.catch_up()  # every gateway can know it now
    return {"listenKey": listen_key}


@endpoint(1, signed=READ, key_only=True)
async def close(call: Call) -> Any:
    keys = call.app[LISTEN_KEYS]
    if await keys.find_live(call.credential) is None or not keys.close(call.credential):
        raise _missing()
    await keys.catch_up()  # every gateway can know it now
    return {}
