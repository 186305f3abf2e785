"""Settings from command-line flags and ``VELOX_*`` environment variables (flags win).

One frozen dataclass for the whole process; ``engine_settings()`` gives the engine its exact
integer view. Every limit of SPEC.md has a flag, an environment variable and a default here.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from velox.engine.settings import EngineSettings
from velox.money import SCALE, MoneyError, parse_units
from velox.paths import default_data_dir


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    db: str = ""  # default: sqlite:///<data_dir>/velox.db
    # "data" in a source checkout, else the per-user directory (velox.paths)
    data_dir: str = field(default_factory=default_data_dir)
    feed: str = "auto"
    binance_url: str = "wss://stream.binance.com:9443"
    backpack_url: str = "wss://ws.backpack.exchange"
    replay_speed: float = 1.0
    sim_rate: float = 5.0  # simulated ticks per second per asset
    symbols: tuple[str, ...] = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
    initial_balance: str = "1000"
    spread: str = "0.001"
    mmr: str = "0.1"
    max_leverage: int = 100
    min_margin: str = "1"
    max_open_positions: int = 200
    max_price_age: float = 10.0  # seconds
    snapshot_interval: float = 15.0  # seconds
    snapshot_keep: int = 5
    prune_journal: bool = False
    trade_retention: float = 24 * 3600.0  # seconds
    rate_limit_auth: int = 20
    rate_limit_orders: int = 50
    rate_limit_public: int = field(
        default=50,
        metadata={
            "help": "anonymous requests (magic-link, verify, assets, candles) per client IP "
            "per sliding 1 s (0 = off)"
        },
    )
    trusted_proxies: tuple[str, ...] = field(
        default=(),
        metadata={
            "help": "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the "
            "client (rate limits, the dev outbox's loopback check); default none"
        },
    )
    admin_token: str | None = None
    jwt_secret: str | None = None
    session_ttl: int = 7 * 24 * 3600  # seconds
    bcrypt_rounds: int = 12  # cost of new password hashes (4..31); lower only for load tests
    smtp_url: str | None = None
    mail_from: str | None = None
    public_url: str | None = None  # base URL used in magic links
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
    dev: bool = False
    seed: int | None = None
    log_level: str = "INFO"

    @property
    def db_url(self) -> str:
        return self.db or f"sqlite:///{Path(self.data_dir) / 'velox.db'}"

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


def _rounds(text: str) -> int:
    value = int(text)
    if not 4 <= value <= 31:
        raise argparse.ArgumentTypeError("bcrypt rounds must be 4..31")
    return value


def _symbols(text: str) -> tuple[str, ...]:
    return tuple(s.strip().upper() for s in text.split(",") if s.strip())


def _networks(text: str) -> tuple[str, ...]:
    try:
        return tuple(
            str(ipaddress.ip_network(part.strip(), strict=False))
            for part in text.split(",")
            if part.strip()
        )
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _bool(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on")


_TYPES: dict[str, Any] = {
    "port": int,
    "replay_speed": float,
    "sim_rate": float,
    "symbols": _symbols,
    "initial_balance": _money,
    "spread": _fraction,
    "mmr": _fraction,
    "max_leverage": int,
    "min_margin": _money,
    "max_open_positions": int,
    "max_price_age": float,
    "snapshot_interval": float,
    "snapshot_keep": int,
    "trade_retention": float,
    "rate_limit_auth": int,
    "rate_limit_orders": int,
    "rate_limit_public": int,
    "trusted_proxies": _networks,
    "session_ttl": int,
    "bcrypt_rounds": _rounds,
    "seed": int,
}
_FLAGS_ONLY = {"prune_journal", "dev"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per setting: ``--max-price-age`` for ``max_price_age``, and so on."""
    for f in fields(Settings):
        flag = "--" + f.name.replace("_", "-")
        env = "VELOX_" + f.name.upper()
        help_text = f"(env {env})"
        if f.name == "data_dir":
            default = default_data_dir().replace("%", "%%")  # argparse %-formats help
            help_text = f"(env {env}; default {default})"
        if f.name in _FLAGS_ONLY:
            parser.add_argument(flag, action="store_true", default=None, help=help_text)
        else:
            parser.add_argument(flag, type=_TYPES.get(f.name, str), default=None, help=help_text)


def settings_from(
    args: argparse.Namespace | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Flags override ``VELOX_*`` variables, which override the defaults."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        env = environ.get("VELOX_" + f.name.upper())
        if env is not None and env != "":
            convert = _bool if f.name in _FLAGS_ONLY else _TYPES.get(f.name, str)
            try:
                values[f.name] = convert(env)
            except (ValueError, argparse.ArgumentTypeError) as exc:
                raise SystemExit(f"VELOX_{f.name.upper()}: {exc}") from exc
        flag = getattr(args, f.name, None) if args is not None else None
        if flag is not None:
            values[f.name] = flag
    return Settings(**values)


def parse_settings(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> Settings:
    parser = argparse.ArgumentParser(prog="velox run")
    add_arguments(parser)
    return settings_from(parser.parse_args(list(argv)), environ)
