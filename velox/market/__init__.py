"""Market data at rest: batched raw trades, OHLCV candles, and the candle query."""
