"""Users, magic-link tokens, revoked sessions and meta on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from tests.store.helpers import DUPLICATE_KEY, query_plan
from velox.store.base import EmailTakenError, Store
from velox.store.records import UserRecord
from velox.store.sqlstore import FORGET_EXPIRED_REVOCATIONS, FORGET_EXPIRED_TOKENS

ALICE = UserRecord("u1", "alice@example.com", "$2b$12$hash", "+15550100", 1_700_000_000_000)


async def test_create_user_round_trip(store: Store) -> None:
    await store.create_user(ALICE)
    assert await store.user_by_id("u1") == ALICE
    assert await store.user_by_email("alice@example.com") == ALICE
    assert await store.user_by_email("ALICE@Example.COM") == ALICE
    assert await store.user_by_email("bob@example.com") is None
    assert await store.user_by_id("u2") is None


async def test_email_is_stored_lower_cased(store: Store) -> None:
    await store.create_user(UserRecord("u1", "Bob@Example.com", None, None, 5))
    expected = UserRecord("u1", "bob@example.com", None, None, 5)
    assert await store.user_by_id("u1") == expected
    assert await store.user_by_email("bob@example.com") == expected


async def test_an_unfinished_signup_is_written_with_its_user_and_finished_once(
    store: Store,
) -> None:
    """A signup's marker goes in with the user (one transaction) and out at
    ``finish_signup``; a user created without it, or a taken email, writes none."""
    await store.create_user(ALICE, unfinished=True)
    assert await store.signup_unfinished("u1")
    with pytest.raises(EmailTakenError):
        await store.create_user(UserRecord("u2", ALICE.email, None, None, 6), unfinished=True)
    assert not await store.signup_unfinished("u2")
    await store.finish_signup("u1")
    await store.finish_signup("u1")  # a second completion (a racing retry) is no error
    assert not await store.signup_unfinished("u1")
    await store.create_user(UserRecord("u3", "carol@example.com", None, None, 7))
    assert not await store.signup_unfinished("u3")


@pytest.mark.parametrize("email", ["alice@example.com", "Alice@EXAMPLE.com"])
async def test_duplicate_email_raises(store: Store, email: str) -> None:
    await store.create_user(ALICE)
    with pytest.raises(EmailTakenError):
        await store.create_user(UserRecord("u2", email, "other", None, 6))
    assert await store.user_by_email("alice@example.com") == ALICE
    assert await store.user_by_id("u2") is None


async def test_concurrent_signups_with_one_email_let_exactly_one_in(store: Store) -> None:
    results = await asyncio.gather(
        *(
            store.create_user(UserRecord(f"u{i}", email, None, None, i))
            for i, email in enumerate(
                ["carol@example.com", "CAROL@example.com", "Carol@Example.com"]
            )
        ),
        return_exceptions=True,
    )
    assert sum(r is None for r in results) == 1
    assert sum(isinstance(r, EmailTakenError) for r in results) == 2
    winner = results.index(None)
    assert await store.user_by_email("carol@example.com") == UserRecord(
        f"u{winner}", "carol@example.com", None, None, winner
    )


async def test_duplicate_id_is_not_reported_as_a_taken_email(store: Store) -> None:
    await store.create_user(ALICE)
    with pytest.raises(DUPLICATE_KEY):
        await store.create_user(UserRecord("u1", "someone@example.com", None, None, 1))
    assert await store.user_by_email("someone@example.com") is None


async def test_magic_token_is_single_use(store: Store) -> None:
    await store.save_magic_token("h1", "alice@example.com", expires_at=1000)
    await store.save_magic_token("h2", "bob@example.com", expires_at=1000)
    assert await store.magic_token_email("h1", now_ms=999) == "alice@example.com"
    assert await store.magic_token_email("h1", now_ms=999) == "alice@example.com"  # read only
    assert await store.magic_token_email("h1", now_ms=1000) is None  # expired
    assert await store.magic_token_email("unknown", now_ms=0) is None
    assert await store.consume_magic_token("h1", now_ms=999) == "alice@example.com"
    assert await store.consume_magic_token("h1", now_ms=999) is None
    assert await store.magic_token_email("h1", now_ms=0) is None  # spent
    assert await store.consume_magic_token("unknown", now_ms=0) is None
    assert await store.consume_magic_token("h2", now_ms=0) == "bob@example.com"


async def test_an_expired_magic_token_is_refused(store: Store) -> None:
    await store.save_magic_token("h1", "alice@example.com", expires_at=1000)
    assert await store.consume_magic_token("h1", now_ms=1000) is None  # expiry is exclusive
    assert await store.consume_magic_token("h1", now_ms=5000) is None
    assert await store.forget_expired_auth(1000) == 1  # left for the sweep, which removes it
    assert await store.consume_magic_token("h1", now_ms=0) is None


async def test_saving_a_token_again_replaces_it(store: Store) -> None:
    await store.save_magic_token("h1", "alice@example.com", expires_at=10)
    await store.save_magic_token("h1", "bob@example.com", expires_at=2000)
    assert await store.consume_magic_token("h1", now_ms=1500) == "bob@example.com"


async def test_concurrent_consumers_get_the_token_once(store: Store) -> None:
    await store.save_magic_token("h1", "alice@example.com", expires_at=1000)
    results = await asyncio.gather(*(store.consume_magic_token("h1", 1) for _ in range(5)))
    assert results.count("alice@example.com") == 1
    assert results.count(None) == 4


async def test_revoked_sessions_filter_by_expiry(store: Store) -> None:
    assert await store.revoked_sessions(0) == set()
    await store.revoke_session("a", expires_at=100)
    await store.revoke_session("b", expires_at=200)
    assert await store.revoked_sessions(99) == {"a", "b"}
    assert await store.revoked_sessions(100) == {"b"}
    assert await store.revoked_sessions(200) == set()
    await store.revoke_session("a", expires_at=300)  # revoking again extends, never fails
    assert await store.revoked_sessions(250) == {"a"}


async def test_signing_out_everywhere_keeps_the_latest_mark_per_user(store: Store) -> None:
    """``sign_out_everywhere``: sessions of the user issued before ``before_ms`` are void;
    the mark only moves forward, and ``session_cutoffs`` returns those after ``since_ms``."""
    assert await store.session_cutoffs(0) == {}
    await store.sign_out_everywhere("u1", before_ms=1_000)
    await store.sign_out_everywhere("u2", before_ms=5_000)
    assert await store.session_cutoffs(0) == {"u1": 1_000, "u2": 5_000}
    await store.sign_out_everywhere("u1", before_ms=3_000)
    await store.sign_out_everywhere("u2", before_ms=4_000)  # an older mark changes nothing
    assert await store.session_cutoffs(0) == {"u1": 3_000, "u2": 5_000}
    assert await store.session_cutoffs(3_000) == {"u2": 5_000}  # older marks void nothing


async def test_meta_get_and_set(store: Store) -> None:
    assert await store.get_meta("feed") is None
    await store.set_meta("feed", "binance")
    await store.set_meta("other", "")
    await store.set_meta("feed", "sim")
    assert await store.get_meta("feed") == "sim"
    assert await store.get_meta("other") == ""


async def test_forget_expired_auth_deletes_only_what_expired(store: Store) -> None:
    await store.save_magic_token("old", "a@example.com", expires_at=1000)
    await store.save_magic_token("new", "b@example.com", expires_at=3000)
    await store.revoke_session("j-old", expires_at=1500)
    await store.revoke_session("j-new", expires_at=2500)
    assert await store.forget_expired_auth(2000) == 2
    assert await store.forget_expired_auth(2000) == 0
    assert await store.revoked_sessions(0) == {"j-new"}
    assert await store.consume_magic_token("old", 0) is None  # gone, even read as of t=0
    assert await store.consume_magic_token("new", 2000) == "b@example.com"


async def test_counting_unexpired_revocations(store: Store) -> None:
    assert await store.revocation_count(0) == 0
    for jti, expires_at in (("a", 100), ("b", 200), ("c", 300)):
        await store.revoke_session(jti, expires_at)
    assert await store.revocation_count(99) == 3
    assert await store.revocation_count(200) == 1  # expiry is exclusive, as in revoked_sessions
    assert await store.revocation_count(300) == 0


@pytest.mark.parametrize(
    ("statement", "index"),
    [(FORGET_EXPIRED_TOKENS, "magic_tokens_by_expiry"),
     (FORGET_EXPIRED_REVOCATIONS, "revoked_sessions_by_expiry")],
)  # fmt: skip
async def test_expiry_sweeps_are_index_range_deletes(
    store: Store, db_url: str, statement: str, index: str
) -> None:
    """Each magic-link request sweeps expired rows: a table scan there is O(users)."""
    assert index in await query_plan(db_url, statement, (2000,))
