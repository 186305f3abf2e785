"""The auth side: sign-up/in handlers, sessions (JWT), CSRF and credential checks,
passwords, websocket tickets and rate limits."""
