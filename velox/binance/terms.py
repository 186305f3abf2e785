"""The contract terms Binance clients ask about: funding, fees, leverage, margin ratios.

Read from the engine's settings (exact integers; fractions in units of 10^-8), the same
numbers the engine trades with. Funding and fees (SPEC section 12: ``--funding-rate``,
``--funding-interval``, ``--maker-fee``, ``--taker-fee``) arrive with engine v2; until then
their SPEC defaults apply, read through ``_setting`` so the engine's fields take over by
name without a change here.
"""

from __future__ import annotations

from velox.config import Settings
from velox.engine.settings import EngineSettings
from velox.frozen import frozen
from velox.money import SCALE

DEFAULT_LEVERAGE = 20  # Binance's leverage for a symbol never set
# SPEC section 12 defaults, in units of 10^-8 (0.0001 -> 10_000) and ms
_DEFAULTS = {"funding_rate": 10_000, "funding_interval_ms": 28_800_000, "maker_fee": 0,
             "taker_fee": 0}  # fmt: skip


def _setting(engine: EngineSettings, name: str) -> int:
    return int(getattr(engine, name, _DEFAULTS[name]))


@frozen
class Terms:
    funding_rate: int  # fraction, units of 10^-8 (0.0001 -> 10_000); may be negative
    funding_interval_ms: int  # 0: no funding
    maker_fee: int
    taker_fee: int
    mmr: int
    max_leverage: int
    min_margin: int

    @property
    def default_leverage(self) -> int:
        return min(DEFAULT_LEVERAGE, self.max_leverage)

    def next_funding_ms(self, now_ms: int) -> int:
        """The next funding boundary after ``now_ms`` (aligned to the epoch), 0 when off."""
        if self.funding_interval_ms <= 0:
            return 0
        return (now_ms // self.funding_interval_ms + 1) * self.funding_interval_ms


def terms_of(settings: Settings) -> Terms:
    engine = settings.engine_settings()
    return Terms(
        funding_rate=_setting(engine, "funding_rate"),
        funding_interval_ms=_setting(engine, "funding_interval_ms"),
        maker_fee=_setting(engine, "maker_fee"),
        taker_fee=_setting(engine, "taker_fee"),
        mmr=engine.mmr,
        max_leverage=engine.max_leverage,
        min_margin=engine.min_margin,
    )


def ratio_text(units: int, decimals: int = 8) -> str:
    """A fraction in units of 10^-8 as a plain decimal with ``decimals`` places (truncated)."""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), SCALE)
    digits = f"{frac:08d}"[:decimals]
    return f"{sign}{whole}.{digits}" if decimals else f"{sign}{whole}"
