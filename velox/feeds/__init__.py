"""Market data feeds: exchange JSON -> FeedTick, with reconnects and backoff at the edge.

Wiring: ``make_feed(spec, ..., clock=)`` (factory.py) returns a ``MonitoredFeed`` (base.py);
run ``feed.run(sink)`` under a ``velox.supervisor.Supervisor``, with a ``FeedSink`` (sink.py)
on the same clock as the engine service. Pure parsers live in ``binance_parse`` and
``backpack_parse``; the clients (``binance``, ``backpack``) share the loop in ``ws``.
"""
