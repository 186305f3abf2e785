"""Why a provider (or magic-link) sign-in ended on ``/signin``: reasons a person can act on.

The reason travels as ``/signin?error=<code>&provider=<slug>``; the sign-in page turns it
into the message below. What exactly went wrong (a bad signature, an unreachable token
endpoint) is logged, never shown: it helps an operator, not the person signing in.
"""

from __future__ import annotations

from enum import StrEnum


class Refusal(StrEnum):
    DENIED = "oauth_denied"  # the provider answered the callback with an error
    FAILED = "oauth_failed"  # the provider's answer was missing, malformed or did not verify
    UNVERIFIED = "oauth_unverified"  # the provider does not vouch for the email address
    EXPIRED = "oauth_expired"  # no, an expired, a mismatched or an already used flow
    UNAVAILABLE = "unavailable"  # the engine cannot open a new user's account right now


MESSAGES: dict[Refusal, str] = {
    Refusal.DENIED: "Sign-in with {name} was cancelled or refused.",
    Refusal.FAILED: "Sign-in with {name} failed: its answer could not be verified. Try again.",
    Refusal.UNVERIFIED: (
        "Your {name} account has no verified email address. Verify it with {name}, then try again."
    ),
    Refusal.EXPIRED: "That sign-in attempt has expired or was already used. Try again.",
    Refusal.UNAVAILABLE: (
        "Velox is starting up and could not open your account: you are not signed in. Try "
        "again in a moment (a sign-in link works once: ask for a new one)."
    ),
}


class SignInRefused(Exception):
    """A provider sign-in that must not sign anyone in; ``reason`` is for the log only."""

    def __init__(self, refusal: Refusal, reason: str) -> None:
        super().__init__(f"{refusal.value}: {reason}")
        self.refusal = refusal
        self.reason = reason


def message(code: str, provider_label: str) -> str | None:
    """The sign-in page's text for ``?error=code``; None for codes that are not ours."""
    try:
        refusal = Refusal(code)
    except ValueError:
        return None
    return MESSAGES[refusal].format(name=provider_label)
