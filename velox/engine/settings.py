"""The engine's limits and rates, as exact integers (money in units of 10^-8)."""

from __future__ import annotations

from velox.frozen import frozen
from velox.money import SCALE


@frozen
class EngineSettings:
    """Every limit of SPEC.md section 3; the engine reads none of them from constants."""

    initial_balance: int = 1000 * SCALE
    spread: int = SCALE // 1000  # total spread as a fraction in units: 0.001
    mmr: int = SCALE // 10  # maintenance margin ratio: 0.1
    max_leverage: int = 100
    min_margin: int = 1 * SCALE
    max_open_positions: int = 200
    max_price_age_ms: int = 10_000
    assets: tuple[str, ...] = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
    # engine v2 (SPEC 12/13); fractions in units of 10^-8 like spread and mmr
    taker_fee: int = 0  # Binance: 0.0005 = 50_000
    maker_fee: int = 0  # Binance: 0.0002 = 20_000
    funding_interval_ms: int = 28_800_000  # 8 h, aligned to the epoch; 0 = no funding
    funding_rate: int = 10_000  # 0.0001; negative: LONG receives, SHORT pays
    max_accounts: int = 5  # per user
