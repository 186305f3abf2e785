"""The pure trading core: commands and ticks in, events out. No I/O, no clock, no asyncio."""
