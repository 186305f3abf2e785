"""Velox: a self-hosted real-time leveraged CFD trading platform."""

__version__ = "0.1.0"
