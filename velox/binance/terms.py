"""The contract terms Binance clients ask about: funding, fees, leverage, margin ratios.

Read from the settings as exact integers (fractions in units of 10^-8). Funding and fees are
settings of SPEC section 12 (``--funding-rate``, ``--funding-interval``, ``--maker-fee``,
``--taker-fee``); until the engine that charges them lands, their SPEC defaults apply here,
read through ``_setting`` so the real settings take over by name without a change here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from velox.config import Settings
from velox.money import SCALE, parse_units

DEFAULT_LEVERAGE = 20  # Binance's leverage for a symbol never set


def _setting(settings: Settings, name: str, default: Any) -> Any:
    return getattr(settings, name, default)


@dataclass(frozen=True, slots=True)
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
    return Terms(
        funding_rate=parse_units(
            str(_setting(settings, "funding_rate", "0.0001")), allow_negative=True
        ),
        funding_interval_ms=int(float(_setting(settings, "funding_interval", 28800)) * 1000),
        maker_fee=parse_units(str(_setting(settings, "maker_fee", "0"))),
        taker_fee=parse_units(str(_setting(settings, "taker_fee", "0"))),
        mmr=parse_units(settings.mmr),
        max_leverage=settings.max_leverage,
        min_margin=parse_units(settings.min_margin),
    )


def ratio_text(units: int, decimals: int = 8) -> str:
    """A fraction in units of 10^-8 as a plain decimal with ``decimals`` places (truncated)."""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), SCALE)
    digits = f"{frac:08d}"[:decimals]
    return f"{sign}{whole}.{digits}" if decimals else f"{sign}{whole}"
