"""The web tests' fixtures (a feed-less app on a real socket over a fresh SQLite store)."""

from __future__ import annotations

from tests.web.conftest import client, make_client, settings

__all__ = ["client", "make_client", "settings"]
