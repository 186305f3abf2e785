"""Packaging: the wheel in a fresh virtual environment and the single-file ``dist/velox``."""
