"""Settings from command-line flags and ``VELOX_*`` environment variables (flags win).

One frozen dataclass for the whole process; ``engine_settings()`` gives the engine its exact
integer view. Every limit of SPEC.md has a flag, an environment variable and a default here.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import MISSING, Field, field, fields, replace
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from velox.engine.settings import EngineSettings
from velox.frozen import frozen
from velox.money import SCALE, MoneyError, parse_units
from velox.paths import default_data_dir

SQLITE_FILE = "velox.db"  # the default database, in the data directory


@frozen
class Settings:
    """Every setting: ``field(default=..., metadata={"help": "what it does"})``.

    The flag (``--max-price-age``), the variable (``VELOX_MAX_PRICE_AGE``), the parser (from
    the annotation, or ``_TYPES``), the ``--help`` line and the README row all come from the
    field. ``metadata["default_text"]`` describes a default that is not a plain value.
    """

    host: str = field(default="127.0.0.1", metadata={"help": "listen address"})
    port: int = field(default=8000, metadata={"help": "listen port"})
    db: str = field(
        default="",
        metadata={
            "help": "database: sqlite:///RELATIVE/PATH (to the working directory), "
            "sqlite:////ABSOLUTE/PATH or postgresql://USER@HOST/DB",
            "default_text": "sqlite:///<data-dir>/velox.db",
        },
    )
    # "data" in a source checkout, else the per-user directory (velox.paths)
    data_dir: str = field(
        default_factory=default_data_dir,
        metadata={
            "help": "where the database, session secret, log and outbox live",
            "default_text": "data or per-user (see above)",
        },
    )
    feed: str = field(
        default="auto",
        metadata={"help": "price source: auto, binance, backpack, sim or replay:PATH"},
    )
    binance_url: str = field(
        default="wss://stream.binance.com:9443",
        metadata={"help": "Binance websocket base URL (/stream?streams= is appended)"},
    )
    backpack_url: str = field(
        default="wss://ws.backpack.exchange", metadata={"help": "Backpack websocket base URL"}
    )
    binance_rest_url: str = field(
        default="https://api.binance.com",
        metadata={"help": "Binance REST base for the chart history (/api/v3/klines is appended)"},
    )
    history_candles: int = field(
        default=1000,
        metadata={
            "help": "chart history per symbol and duration: fetched (or simulated) when the "
            "store has none, and the longest gap filled (0: none)"
        },
    )
    history_rate: float = field(
        default=2.0,
        metadata={"help": "Binance REST requests per second at most while fetching history"},
    )
    replay_speed: float = field(
        default=1.0, metadata={"help": "replay feed speed factor (0 = as fast as possible)"}
    )
    sim_rate: float = field(default=5.0, metadata={"help": "simulated ticks per second per asset"})
    symbols: tuple[str, ...] = field(
        default=("BTCUSDT", "ETHUSDT", "SOLUSDT"),
        metadata={"help": "traded assets, comma-separated"},
    )
    initial_balance: str = field(default="1000", metadata={"help": "USD given to each new account"})
    spread: str = field(default="0.001", metadata={"help": "total bid/ask spread as a fraction"})
    mmr: str = field(default="0.1", metadata={"help": "maintenance margin ratio"})
    max_leverage: int = field(default=100, metadata={"help": "highest leverage"})
    min_margin: str = field(default="1", metadata={"help": "smallest margin at open, USD"})
    max_open_positions: int = field(
        default=200, metadata={"help": "open positions allowed per user"}
    )
    max_price_age: float = field(
        default=10.0, metadata={"help": "seconds before a price is stale (orders refused)"}
    )
    taker_fee: str = field(
        default="0",
        metadata={
            "help": "fee of a taker fill (market, stop, marketable limit, every close) "
            "as a fraction of its notional; Binance: 0.0005"
        },
    )
    maker_fee: str = field(
        default="0",
        metadata={"help": "fee of a resting limit order's fill, a fraction; Binance: 0.0002"},
    )
    funding_interval: int = field(
        default=28_800,
        metadata={
            "help": "seconds between funding boundaries, aligned to the epoch (0 = off; turned "
            "back on, the boundaries of the time it was off are not charged)"
        },
    )
    funding_rate: str = field(
        default="0.0001",
        metadata={
            "help": "funding per interval as a fraction of ref x qty; positive: LONG "
            "pays SHORT receives (may be negative)"
        },
    )
    max_accounts: int = field(default=5, metadata={"help": "paper accounts per user"})
    snapshot_interval: float = field(
        default=15.0, metadata={"help": "seconds between engine snapshots"}
    )
    snapshot_keep: int = field(
        default=5, metadata={"help": "snapshots retained (at least 1: replay starts from one)"}
    )
    prune_journal: bool = field(
        default=False,
        metadata={"help": "drop journal rows older than the oldest kept snapshot"},
    )
    trade_retention: float = field(
        default=24 * 3600.0,
        metadata={"help": "seconds of raw trades kept (candles are kept forever)"},
    )
    rate_limit_auth: int = field(
        default=20,
        metadata={
            "help": "auth attempts per IP per sliding 60 s; also API-key creates/deletes "
            "and webhook-token rotations per user (0 = off)"
        },
    )
    rate_limit_orders: int = field(
        default=50, metadata={"help": "order changes per user per sliding 1 s (0 = off)"}
    )
    rate_limit_public: int = field(
        default=50,
        metadata={
            "help": "anonymous requests (magic-link, verify, assets, candles; webhook "
            "alerts whose token fails) per client IP per sliding 1 s (0 = off)"
        },
    )
    magic_links_per_recipient: int = field(
        default=3,
        metadata={
            "help": "magic-link mails to one recipient per sliding 15 minutes asked from one "
            "client IP (10x that from all together); past it the request is still answered "
            "202 and no mail goes (0 = off)"
        },
    )
    max_sockets_per_ip: int = field(
        default=200,
        metadata={
            "help": "websockets open at once per client IP, over every stream endpoint; "
            "past it the handshake is refused 429 (0 = no cap)"
        },
    )
    max_connections_per_ip: int = field(
        default=256,
        metadata={
            "help": "HTTP connections (websockets included) open at once per client IP, as "
            "connected (a trusted proxy is not capped); past it a new one is "
            "closed at once (0 = no cap)"
        },
    )
    first_request_timeout: float = field(
        default=10.0,
        metadata={
            "help": "seconds a new connection has to send its first request's headers, else "
            "it is closed; later requests get aiohttp's 75 s keep-alive (0 = that only)"
        },
    )
    trusted_proxies: tuple[str, ...] = field(
        default=(),
        metadata={
            "help": "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the "
            "client (rate limits, the dev outbox's loopback check)"
        },
    )
    admin_token: str | None = field(
        default=None,
        metadata={
            "help": "bearer token, at least 32 characters, that enables GET /api/v1/admin/ledger"
        },
    )
    jwt_secret: str | None = field(
        default=None,
        metadata={
            "help": "session-signing secret, at least 32 characters (unset: one generated into "
            "<data-dir>/jwt_secret)",
            "default_text": "generated",
        },
    )
    session_ttl: int = field(default=7 * 24 * 3600, metadata={"help": "session lifetime, seconds"})
    bcrypt_rounds: int = field(
        default=12,
        metadata={"help": "bcrypt cost of new password hashes (4..31; lower only for tests)"},
    )
    smtp_url: str | None = field(
        default=None,
        metadata={"help": "smtp://user:pass@host:port for magic links (none: .eml files)"},
    )
    mail_from: str | None = field(
        default=None, metadata={"help": "sender address of magic-link e-mails"}
    )
    public_url: str | None = field(
        default=None,
        metadata={"help": "base URL used in magic links", "default_text": "from the request"},
    )
    github_client_id: str | None = field(
        default=None,
        metadata={"help": "client id of a GitHub OAuth app: adds 'Continue with GitHub'"},
    )
    github_client_secret: str | None = field(
        default=None, metadata={"help": "that GitHub OAuth app's client secret"}
    )
    github_url: str = field(
        default="https://github.com",
        metadata={"help": "GitHub's sign-in site (GitHub Enterprise Server: https://HOST)"},
    )
    github_api_url: str = field(
        default="https://api.github.com",
        metadata={"help": "GitHub's REST API (GitHub Enterprise Server: https://HOST/api/v3)"},
    )
    google_client_id: str | None = field(
        default=None,
        metadata={"help": "OAuth client id from Google Cloud: adds 'Continue with Google'"},
    )
    google_client_secret: str | None = field(
        default=None, metadata={"help": "that Google OAuth client's secret"}
    )
    google_issuer: str = field(
        default="https://accounts.google.com",
        metadata={"help": "Google's OpenID Connect issuer (change only to test)"},
    )
    oidc_issuer: str | None = field(
        default=None,
        metadata={"help": "issuer URL of an OpenID Connect provider (Keycloak, Authentik...)"},
    )
    oidc_client_id: str | None = field(
        default=None, metadata={"help": "Velox's client id at --oidc-issuer"}
    )
    oidc_client_secret: str | None = field(
        default=None, metadata={"help": "Velox's client secret at --oidc-issuer"}
    )
    oidc_name: str = field(
        default="SSO",
        metadata={"help": "the --oidc-issuer button's label: 'Continue with NAME'"},
    )
    dev: bool = field(default=False, metadata={"help": "development extras (/dev/outbox)"})
    seed: int | None = field(
        default=None, metadata={"help": "seed of the simulated feed", "default_text": "1"}
    )
    log_level: str = field(
        default="INFO", metadata={"help": "logging level (DEBUG, INFO, WARNING, ERROR)"}
    )
    # -- API keys and the Binance-compatible API (velox/binance) --------------------------
    api_key_file: str | None = field(
        default=None,
        metadata={
            "help": "file holding the key that encrypts API key secrets (created, mode 0600)",
            "default_text": "<data-dir>/api_keys.key",
        },
    )
    max_api_keys: int = field(default=10, metadata={"help": "API keys allowed per user"})
    binance_weight_limit: int = field(
        default=2400,
        metadata={
            "help": "request weight per client IP per minute on /fapi, as Binance counts it "
            "(0 = off)"
        },
    )
    bus: str = field(
        default="nats://127.0.0.1:4222",
        metadata={"help": "NATS server(s) of velox engine and velox gateway, comma-separated"},
    )
    bus_prefix: str = field(
        default="velox",
        metadata={"help": "subject prefix on the bus: one per deployment sharing a NATS"},
    )
    bus_timeout: float = field(
        default=5.0,
        metadata={"help": "seconds a gateway waits for the engine's answer before a 503"},
    )

    @property
    def db_url(self) -> str:
        return self.db or f"sqlite:///{Path(self.data_dir) / SQLITE_FILE}"

    def engine_settings(self) -> EngineSettings:
        return EngineSettings(
            initial_balance=parse_units(self.initial_balance),
            spread=parse_units(self.spread),
            mmr=parse_units(self.mmr),
            max_leverage=self.max_leverage,
            min_margin=parse_units(self.min_margin),
            max_open_positions=self.max_open_positions,
            max_price_age_ms=int(self.max_price_age * 1000),
            assets=self.symbols,
            taker_fee=parse_units(self.taker_fee),
            maker_fee=parse_units(self.maker_fee),
            funding_interval_ms=self.funding_interval * 1000,
            funding_rate=parse_units(self.funding_rate, allow_negative=True),
            max_accounts=self.max_accounts,
        )

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _money(text: str) -> str:
    try:
        parse_units(text)
    except MoneyError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def _fraction(text: str) -> str:
    value = parse_units(_money(text))
    if value >= SCALE:
        raise argparse.ArgumentTypeError("must be below 1")
    return text


def _signed_fraction(text: str) -> str:
    try:
        value = parse_units(text, allow_negative=True)
    except MoneyError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    if abs(value) >= SCALE:
        raise argparse.ArgumentTypeError("must be between -1 and 1")
    return text


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def _positive(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _rounds(text: str) -> int:
    value = _int(text)
    if not 4 <= value <= 31:
        raise argparse.ArgumentTypeError("bcrypt rounds must be 4..31")
    return value


def _count(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _port(text: str) -> int:
    """0 asks the system for a free port (the tests' servers do); 65535 is the last there is."""
    value = _int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be a port number 1..65535 (or 0: any free port)")
    return value


def _rate(text: str) -> float:
    value = _float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def _seconds(text: str) -> float:
    """A duration that may be 0 (as fast as possible, keep none) but never negative or NaN."""
    value = _float(text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a number, 0 or more")
    return value


MAX_SYMBOL_LENGTH = 30  # Binance's stream sockets size their control messages from it
_SYMBOL = re.compile(rf"[A-Z0-9]{{2,{MAX_SYMBOL_LENGTH}}}")


def _symbols(text: str) -> tuple[str, ...]:
    """Upper-cased (Binance and the API spell them so); each once, and at least one: no
    symbol left the feed dividing by zero, a repeated one subscribed twice."""
    symbols = tuple(s.strip().upper() for s in text.split(",") if s.strip())
    if not symbols:
        raise argparse.ArgumentTypeError("name at least one symbol, e.g. BTCUSDT,ETHUSDT")
    for symbol in symbols:
        if not _SYMBOL.fullmatch(symbol):
            raise argparse.ArgumentTypeError(f"{symbol!r} is not a symbol such as BTCUSDT")
    repeated = sorted({s for s in symbols if symbols.count(s) > 1})
    if repeated:
        raise argparse.ArgumentTypeError(f"{', '.join(repeated)} listed twice")
    return symbols


def _networks(text: str) -> tuple[str, ...]:
    try:
        return tuple(
            str(ipaddress.ip_network(part.strip(), strict=False))
            for part in text.split(",")
            if part.strip()
        )
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


_TRUE = ("1", "true", "yes", "y", "on")
_FALSE = ("0", "false", "no", "n", "off")


def _bool(text: str) -> bool:
    """A switch's variable: the usual words either way; anything else is refused rather than
    silently taken for off (``VELOX_DEV=enabled`` used to mean no /dev/outbox)."""
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise argparse.ArgumentTypeError(
        f"{text!r} is neither true ({', '.join(_TRUE)}) nor false ({', '.join(_FALSE)})"
    )


def _url_of(*schemes: str) -> Any:
    """A parser for a URL with one of ``schemes`` and a host: a bare ``velox.example.com``
    makes magic links that are not clickable, an ``http://`` websocket base never connects."""
    allowed = " or ".join(f"{s}://" for s in schemes)

    def parse(text: str) -> str:
        try:
            url = urlsplit(text)
            url.port  # noqa: B018 - raises ValueError for a port that is no number
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"not a URL: {exc}") from exc
        if url.scheme.lower() not in schemes or not url.hostname:
            raise argparse.ArgumentTypeError(f"must be a URL starting with {allowed} and a host")
        return text

    return parse


_BUS_SCHEMES = ("nats", "tls", "ws", "wss")  # what nats-py connects to; no scheme: nats://


def _bus(text: str) -> str:
    """One NATS server or several, comma-separated, as ``velox.bus.connect`` hands them to
    nats-py: an empty list or an ``http://`` URL only ever retried "cannot reach NATS"."""
    servers = [server.strip() for server in text.split(",") if server.strip()]
    if not servers:
        raise argparse.ArgumentTypeError("must name a NATS server: nats://HOST:PORT")
    for server in servers:
        try:
            url = urlsplit(server if "://" in server else "nats://" + server)
            url.port  # noqa: B018 - raises ValueError for a port that is no number
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"not a URL: {exc}") from exc
        if url.scheme.lower() not in _BUS_SCHEMES or not url.hostname:
            raise argparse.ArgumentTypeError(
                f"{server!r}: must be nats://HOST:PORT or tls://HOST:PORT (several comma-separated)"
            )
    return text


# a NATS subject token, as ``velox.bus.subjects`` puts the prefix first in every subject:
# a space, a dot or a wildcard would make other subjects than ours (or none that NATS takes)
_SUBJECT_TOKEN = re.compile(r"[^\s.*>]+")


def _bus_prefix(text: str) -> str:
    if not _SUBJECT_TOKEN.fullmatch(text):
        raise argparse.ArgumentTypeError(
            "must be one NATS subject token: not empty, no space, '.', '*' or '>'"
        )
    return text


def _db(text: str) -> str:
    """Only the stores there are; the message names the scheme only (a URL may hold a
    password)."""
    if text.startswith("sqlite:///") and len(text) > len("sqlite:///"):
        return text
    if text.startswith(("postgresql://", "postgres://")):
        return text
    scheme = text.partition(":")[0] if ":" in text else text[:20]
    raise argparse.ArgumentTypeError(
        f"unsupported database URL {scheme!r}: use sqlite:///PATH or postgresql://USER@HOST/DB"
    )


def _feed(text: str) -> str:
    from velox.feeds.factory import FEED_SPECS

    if text in FEED_SPECS[:-1] or (text.startswith("replay:") and text != "replay:"):
        return text
    raise argparse.ArgumentTypeError(
        f"unknown feed {text!r}; expected one of {', '.join(FEED_SPECS)}"
    )


# Which settings each command reads (``velox <command> --help`` lists these only).
_STORE = frozenset({"db", "data_dir", "log_level"})
# engine_settings(): the rules a journal is replayed with (audit must use the engine's)
_RULES = frozenset({
    "initial_balance", "spread", "mmr", "max_leverage", "min_margin", "max_open_positions",
    "max_price_age", "symbols", "taker_fee", "maker_fee", "funding_interval", "funding_rate",
    "max_accounts",
})  # fmt: skip
_FEED = frozenset({
    "feed", "binance_url", "backpack_url", "binance_rest_url", "history_candles",
    "history_rate", "replay_speed", "sim_rate", "seed", "trade_retention",
})  # fmt: skip
_SNAPSHOTS = frozenset({"snapshot_interval", "snapshot_keep", "prune_journal"})
_BUS = frozenset({"bus", "bus_prefix", "bus_timeout"})
_LISTEN = frozenset({"host", "port", "max_connections_per_ip", "first_request_timeout"})


def settings_of(command: str) -> frozenset[str]:
    """The settings ``command`` reads: ``audit`` the database and the engine's rules;
    ``engine`` those, the feed, snapshots, the bus, ``/healthz``'s address and connection
    limits and the JWT secret's fingerprint; ``gateway`` everything but the feed and
    snapshots; ``run`` all (its ``--help`` is the README's table; the bus settings serve the
    roles only)."""
    every = frozenset(f.name for f in fields(Settings))
    if command == "audit":
        return _STORE | _RULES
    if command == "engine":
        return _STORE | _RULES | _FEED | _SNAPSHOTS | _BUS | _LISTEN | {"jwt_secret"}
    if command == "gateway":
        return every - _FEED - _SNAPSHOTS
    return every


MIN_ADMIN_TOKEN = 32


def _admin_token(text: str) -> str:
    """As long as the JWT secret must be: the token opens every account's ledger, and a short
    one is guessed (the message gives its length, never the token)."""
    if text and len(text) < MIN_ADMIN_TOKEN:
        raise argparse.ArgumentTypeError(
            f"{len(text)} characters; the admin token must be at least {MIN_ADMIN_TOKEN}"
        )
    return text


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(text: str) -> str:
    level = text.strip().upper()
    if level not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"unknown level {text!r}; use {', '.join(LOG_LEVELS)}")
    return level


# Parsers a setting's annotation does not imply (money, fractions, lists, ranges).
_TYPES: dict[str, Any] = {
    "symbols": _symbols,
    "initial_balance": _money,
    "spread": _fraction,
    "mmr": _fraction,
    "min_margin": _money,
    "bcrypt_rounds": _rounds,
    "trusted_proxies": _networks,
    "history_candles": _count,
    "history_rate": _rate,
    "taker_fee": _fraction,
    "maker_fee": _fraction,
    "funding_interval": _count,
    "funding_rate": _signed_fraction,
    "max_accounts": _positive,
    "max_api_keys": _count,
    "binance_weight_limit": _count,
    "port": _port,
    "db": _db,
    "feed": _feed,
    "replay_speed": _seconds,
    "sim_rate": _rate,
    "log_level": _log_level,
    # 0 would make a server that cannot work (every session expired at once, no leverage,
    # every price stale, no position allowed); negative limits are refused, 0 means off.
    "session_ttl": _positive,
    "max_leverage": _positive,
    "max_price_age": _rate,
    "max_open_positions": _positive,
    "snapshot_keep": _positive,
    "trade_retention": _seconds,
    "rate_limit_auth": _count,
    "rate_limit_orders": _count,
    "rate_limit_public": _count,
    "max_sockets_per_ip": _count,
    "magic_links_per_recipient": _count,
    "max_connections_per_ip": _count,
    "first_request_timeout": _seconds,
    "public_url": _url_of("http", "https"),
    "smtp_url": _url_of("smtp", "smtp+starttls", "smtps"),  # what velox.mail speaks
    "github_url": _url_of("http", "https"),
    "github_api_url": _url_of("http", "https"),
    "google_issuer": _url_of("http", "https"),
    "oidc_issuer": _url_of("http", "https"),
    "binance_url": _url_of("ws", "wss"),
    "backpack_url": _url_of("ws", "wss"),
    "binance_rest_url": _url_of("http", "https"),
    "admin_token": _admin_token,
    # NaN, infinite or negative: a crash at the first snapshot, or a gateway that starts and
    # then answers every command 503; 0: the whole engine state written after every commit
    "snapshot_interval": _rate,
    "bus": _bus,
    "bus_prefix": _bus_prefix,
    "bus_timeout": _rate,
}
# By annotation (``from __future__ import annotations`` makes them strings).
_BY_ANNOTATION: dict[str, Any] = {"int": _int, "int | None": _int, "float": _float, "bool": _bool}


def _parser_of(f: Field[Any]) -> Any:
    return _TYPES.get(f.name) or _BY_ANNOTATION.get(str(f.type), str)


def _is_switch(f: Field[Any]) -> bool:
    """A bool setting is a bare flag (``--dev``); its variable takes 1/true/yes/y/on or
    0/false/no/n/off."""
    return str(f.type) == "bool"


def flag_of(f: Field[Any]) -> str:
    return "--" + f.name.replace("_", "-")


def env_of(f: Field[Any]) -> str:
    return "VELOX_" + f.name.upper()


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return ",".join(value) or "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def documented_default(f: Field[Any]) -> str:
    """The default as the README states it: ``default_text``, else the value."""
    return str(f.metadata.get("default_text") or _shown(f.default))


def effective_default(f: Field[Any]) -> str:
    """The default as ``--help`` states it: a computed one as computed here and now."""
    if f.default_factory is not MISSING:
        return _shown(f.default_factory())
    return documented_default(f)


def help_of(f: Field[Any]) -> str:
    """``--help`` text: what the setting does, its default, its variable."""
    text = f"{f.metadata['help']} (default: {effective_default(f)}; env {env_of(f)})"
    return text.replace("%", "%%")  # argparse %-formats help


def add_arguments(
    parser: argparse.ArgumentParser,
    shown: Collection[str] | None = None,
    hidden: Collection[str] = (),
) -> None:
    """One flag per setting: ``--max-price-age`` for ``max_price_age``, and so on.

    ``shown``: the settings a command uses, listed by its ``--help`` (None: all). ``hidden``:
    more it accepts without listing them (and ignores)."""
    for f in fields(Settings):
        if shown is not None and f.name not in shown and f.name not in hidden:
            continue
        text = help_of(f) if shown is None or f.name in shown else argparse.SUPPRESS
        if _is_switch(f):  # --dev and --no-dev: a flag can turn off what a variable turned on
            action = argparse.BooleanOptionalAction
            parser.add_argument(flag_of(f), action=action, default=None, help=text)
        else:
            parser.add_argument(flag_of(f), type=_parser_of(f), default=None, help=text)


def settings_from(
    args: argparse.Namespace | None = None,
    environ: Mapping[str, str] | None = None,
    used: Collection[str] | None = None,
) -> Settings:
    """Flags override ``VELOX_*`` variables, which override the defaults. Only the ``used``
    settings are read (None: all): a variable meant for another command is no concern here."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        if used is not None and f.name not in used:
            continue
        flag = getattr(args, f.name, None) if args is not None else None
        env = environ.get(env_of(f))
        if flag is not None:  # a variable the flag overrides is not read: a stale one is no bar
            values[f.name] = flag
        elif env is not None and env != "":
            try:
                values[f.name] = _parser_of(f)(env)
            except (ValueError, argparse.ArgumentTypeError) as exc:
                raise SystemExit(f"velox: {env_of(f)}: {exc}") from exc
    return Settings(**values)


class OneLineParser(argparse.ArgumentParser):
    """Refuses a bad flag in one ``velox: ...`` line and status 1, as every other bad setting
    is refused, not argparse's usage block (40 lines of flags) and status 2."""

    def error(self, message: str) -> NoReturn:
        message = message.removeprefix("argument ")
        self.exit(1, f"velox: {message} (see {self.prog} --help)\n")


def parse_settings(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> Settings:
    parser = OneLineParser(prog="velox run")
    add_arguments(parser)
    return settings_from(parser.parse_args(list(argv)), environ)
