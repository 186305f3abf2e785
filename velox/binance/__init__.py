"""The Binance USDⓈ-M futures-compatible API: an adapter facing outward (SPEC section 13).

It turns Binance's requests (paths, parameters, signing, weights) into reads of the engine
and commands for it, and the engine's state into Binance's JSON shapes and stream messages.
No Binance name or error code goes further in than this package.
"""
