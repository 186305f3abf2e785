"""Market data feeds: exchange JSON -> FeedTick, with reconnects and backoff at the edge."""
