"""Market data feeds: exchange JSON -> FeedTick, with reconnects and backoff at the edge.

Wiring: ``make_feed(spec, ...)`` (factory.py) returns a ``MonitoredFeed`` (base.py); run it
with ``await feed.run(sink)`` in a task. Pure parsers live in ``binance_parse`` and
``backpack_parse``; the clients (``binance``, ``backpack``) share the loop in ``ws``.
"""
