"""The HTTP + websocket server: ``create_app`` in ``app.py`` (SPEC sections 7, 8 and 10)."""
