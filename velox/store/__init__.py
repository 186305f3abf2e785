"""Persistence: one Store protocol, an aiosqlite and an asyncpg implementation."""
