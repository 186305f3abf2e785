"""Typed ``AppKey``s of the Binance-compatible API and API keys."""

from __future__ import annotations

from aiohttp import web

from velox.binance.keyring import KeyPeers, KeyRing
from velox.binance.streams.market import MarketStreams
from velox.binance.streams.user import ListenKeys
from velox.binance.terms import Terms
from velox.binance.weights import WeightMeter
from velox.vault import Vault

KEYRING = web.AppKey("binance_keyring", KeyRing)
KEYRING_PEERS = web.AppKey("binance_keyring_peers", KeyPeers)  # a gateway's other gateways
WEIGHTS = web.AppKey("binance_weights", WeightMeter)
MARKET_STREAMS = web.AppKey("binance_market_streams", MarketStreams)
LISTEN_KEYS = web.AppKey("binance_listen_keys", ListenKeys)
TERMS = web.AppKey("binance_terms", Terms)  # read once from the settings
VAULT = web.AppKey("binance_vault", Vault)  # seals API secrets and listen keys
