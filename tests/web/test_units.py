"""The web layer's pure pieces: rate log, tickets, secrets, sessions, JSON, mail."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import bcrypt
import jwt
import pytest

from tests.web.helpers import PASSWORD
from velox.binance.errors import BinanceError
from velox.binance.weights import WeightMeter
from velox.mail import Mailer
from velox.money import MoneyError, parse_units
from velox.web.auth.passwords import Passwords
from velox.web.auth.ratelimit import SlidingLog
from velox.web.auth.sessions import Session, SessionManager, load_secret
from velox.web.auth.tickets import TICKETS_PER_USER, TicketBook
from velox.web.errors import ApiError
from velox.web.jsonio import loads
from velox.web.validate import email, integer, money
from velox.web.ws.frames import text_frame


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_log_is_exact() -> None:
    clock = Clock()
    log = SlidingLog(3, 60.0, clock)
    for _ in range(3):
        assert log.hit("ip") is None
        clock.now += 10.0
    clock.now += 29.5  # 59.5 s after the first hit
    assert log.hit("ip") == pytest.approx(0.5)  # the first hit leaves the window in 0.5 s
    assert log.hit("other") is None
    clock.now += 0.5
    assert log.hit("ip") is None  # exactly one slot freed
    assert log.hit("ip") == pytest.approx(10.0)  # the next slot frees with the second hit
    clock.now += 9.2
    with pytest.raises(ApiError) as info:
        log.check("ip")
    assert info.value.status == 429 and info.value.headers["Retry-After"] == "1"
    assert SlidingLog(0, 1.0, clock).hit("x") is None  # 0 disables


def test_hits_allowed_elsewhere_count_here_and_own_hits_are_told() -> None:
    """Scale-out: another gateway's allowed hits count toward this one's limit, and this
    one's are told (``shared``) so they count there."""
    clock = Clock()
    log = SlidingLog(3, 1.0, clock)
    told: list[tuple[str, int]] = []
    log.shared = lambda key, count: told.append((key, count))
    log.note("ip", 2)  # another gateway let two through
    assert log.hit("ip") is None and told == [("ip", 1)]
    assert log.hit("ip") == pytest.approx(1.0)  # the limit is met: not told
    assert told == [("ip", 1)]
    log.note("other", 10**9)  # bounded: a flood of notes makes the client wait, no more
    assert log.held("other") == 12  # 4 x the limit
    clock.now += 1.0
    assert log.held("other") == 0
    assert log.hit("other") is None
    # notes arriving after the window expired what was there count afresh (the log's old
    # entries were never dropped by note: a full log took no more, and a client that
    # switched gateways had a fresh budget there)
    clock.now += 5.0
    for _ in range(20):
        log.note("ip", 3)
        clock.now += 1.0
    log.note("ip", 3)
    assert log.held("ip") == 3 and log.hit("ip") == pytest.approx(1.0)
    off = SlidingLog(0, 1.0, clock)
    off.note("x", 5)
    assert off.held("x") == 0  # 0: no limit, nothing kept


def test_binance_weight_charged_elsewhere_counts_here() -> None:
    now = [60_000 * 7 + 5]
    meter = WeightMeter(10, lambda: now[0])
    told: list[tuple[str, int]] = []
    meter.shared = lambda caller, weight: told.append((caller, weight))
    meter.note("key", 6)
    assert meter.charge("key", 4) == 10 and told == [("key", 4)]
    with pytest.raises(BinanceError):
        meter.charge("key", 1)
    now[0] += 60_000  # a new minute: everyone starts again
    meter.note("key", 3)
    assert meter.charge("key", 1) == 4


def test_a_sliding_log_can_be_asked_without_spending() -> None:
    clock = Clock()
    log = SlidingLog(2, 1.0, clock)
    for _ in range(5):
        assert log.spent("ip") is None  # asking records nothing
    log.hit("ip")
    clock.now += 0.25
    log.hit("ip")
    assert log.spent("ip") == pytest.approx(0.75)
    with pytest.raises(ApiError) as info:
        log.check_spent("ip")
    assert info.value.status == 429 and info.value.headers["Retry-After"] == "1"
    clock.now += 0.75
    log.check_spent("ip")  # the first hit has left the window
    assert log.hit("ip") is None and log.spent("ip") == pytest.approx(0.25)


def test_a_user_holds_at_most_a_few_unspent_tickets() -> None:
    """Memory follows users, not how fast one of them asks: past the cap a user's oldest
    unspent ticket stops working, and nobody else's does."""
    clock = Clock()
    book = TicketBook(30.0, clock)
    manager = SessionManager("x" * 32, 60)
    mine, theirs = manager.issue("u1")[1], manager.issue("u2")[1]
    their_ticket = book.issue(theirs)
    first = book.issue(mine)
    spent = book.issue(mine)
    assert book.redeem(spent) == mine  # a spent ticket no longer counts
    for _ in range(TICKETS_PER_USER - 1):
        book.issue(mine)
    assert book.redeem(first) == mine  # still one of the user's newest unspent
    tickets = [book.issue(mine) for _ in range(TICKETS_PER_USER + 3)]
    assert [book.redeem(t) for t in tickets[:3]] == [None] * 3
    assert all(book.redeem(t) == mine for t in tickets[3:])
    assert book.redeem(their_ticket) == theirs
    assert len(book._tickets) == 0 and len(book._by_user) <= 2
    clock.now += 31.0
    book.issue(theirs)  # the sweep forgets users with nothing live
    assert list(book._by_user) == ["u2"]


def test_tickets_once_and_within_ttl() -> None:
    clock = Clock()
    book = TicketBook(30.0, clock)
    session = SessionManager("x" * 32, 60).issue("u1")[1]
    ticket = book.issue(session)
    assert book.redeem(ticket) == session
    assert book.redeem(ticket) is None
    late = book.issue(session)
    clock.now += 30.0
    assert book.redeem(late) is None
    assert book.redeem("unknown") is None


def test_secret_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    first = load_secret(None, tmp_path / "data")
    path = tmp_path / "data" / "jwt_secret"
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(first) >= 48
    assert load_secret(None, tmp_path / "data") == first
    configured = "configured-secret-value-" + "x" * 16
    assert load_secret(configured, tmp_path / "data") == configured
    assert load_secret(None, tmp_path / "other") != first


def test_a_session_issued_before_the_wall_clock_stepped_back_stays_valid() -> None:
    """A time review: a token issued at 12:00 and first shown after an NTP step back to
    11:58 (or to a gateway whose clock is a second behind the one that issued it) was 401:
    PyJWT refuses an ``iat`` in the future by default. Its signature says this Velox issued
    it; its expiry still counts."""
    issuing = SessionManager("k" * 40, 3600)
    ahead = time.time() + 120
    token, session = issuing.issue("user-1", now_s=ahead)
    other = SessionManager("k" * 40, 3600)  # another gateway, or after a restart
    assert other.verify(token) == session
    expired, _ = issuing.issue("user-1", now_s=time.time() - 3601)
    assert other.verify(expired) is None


def test_sessions_verify_and_revoke() -> None:
    manager = SessionManager("k" * 40, 3600)
    token, session = manager.issue("user-1")
    assert manager.verify(token) == session
    assert manager.verify(token, via_cookie=True) is not None
    manager.revoke(session, 0)
    assert manager.verify(token) is None
    other = SessionManager("z" * 40, 3600)
    assert other.verify(manager.issue("user-1")[0]) is None
    old, _ = manager.issue("user-1", now_s=1_000_000)
    assert manager.verify(old) is None  # expired long ago
    with pytest.raises(ValueError):
        SessionManager("short", 60)


def test_signing_out_everywhere_is_exact_to_the_millisecond() -> None:
    """``iat`` is whole seconds: the mark compares the ``ims`` claim (ms), and a session is
    never issued before its user's mark, so one issued right after works and every one
    issued before, in the same second or millisecond, does not."""
    manager = SessionManager("k" * 40, 3600)
    now = time.time()
    before, _ = manager.issue("u1", now_s=now)
    same_ms, _ = manager.issue("u1", now_s=now)
    other_user, _ = manager.issue("u2", now_s=now)
    mark = manager.sign_out_everywhere("u1", int(now * 1000))
    assert mark == int(now * 1000) + 1
    assert manager.verify(before) is None
    assert manager.verify(same_ms) is None
    assert manager.verify(other_user) is not None
    after, session = manager.issue("u1", now_s=now)  # same millisecond, after the signout
    assert session.issued_at == mark
    assert manager.verify(after) == session
    assert manager.is_live(session)
    manager.load_cutoffs({"u1": mark - 10})  # an older mark (a late broadcast) changes nothing
    assert manager.verify(after) == session
    manager.load_cutoffs({"u1": mark + 1})  # a later one (another gateway's) voids it
    assert manager.verify(after) is None
    assert not manager.is_live(session)


def test_a_token_without_ims_counts_from_its_iat() -> None:
    manager = SessionManager("k" * 40, 3600)
    now = int(time.time())
    claims = {"sub": "u1", "iat": now, "exp": now + 60, "jti": "old"}
    token = jwt.encode(claims, "k" * 40, algorithm="HS256")
    assert manager.verify(token) is not None
    manager.sign_out_everywhere("u1", now * 1000)
    assert manager.verify(token) is None


def test_json_loads_is_exact_and_strict() -> None:
    assert loads(b'{"a": 0.1, "b": 10}') == {"a": Decimal("0.1"), "b": 10}
    assert loads(b'"\\ud83d\\ude00"') == "\U0001f600"  # a whole pair is a character
    for bad in (
        b"NaN",
        b'{"a": Infinity}',
        b'{"a": -Infinity}',
        b'{"a":1,"a":2}',
        b"[" * 100_000,
        b"1" * 5000,
        b"\x80",
        b"{",
        b'"\\ud800"',
        b'{"a": ["\\udfff x"]}',
        b'{"\\ud83d": 1}',
    ):
        with pytest.raises(ApiError) as info:
            loads(bad)
        assert info.value.code == "INVALID_JSON"


def test_money_parses_ascii_digits_only() -> None:
    assert parse_units("10") == 10 * 10**8
    for text in ("\u0661\u0660", "1\u0660", "0.\u0665", "\uff11", "\u0967.5"):
        with pytest.raises(MoneyError):
            parse_units(text)


def test_numbers_are_read_as_json_schema_reads_them() -> None:
    """What the API document calls an integer or a multiple of 10^-8 is accepted."""
    assert integer(Decimal("2.0"), "i", 1, 5) == 2
    assert integer(Decimal("1E+1"), "i", 1, 50) == 10
    for bad in (Decimal("2.5"), Decimal("1E+999999999"), True, "2"):
        with pytest.raises(ApiError):
            integer(bad, "i", 1, 50)
    assert money(Decimal("1." + "0" * 70), "m") == 10**8  # exact, however many zeros
    assert money(Decimal("0.10000000000000000000"), "m") == 10**7
    for bad in (
        Decimal("1." + "0" * 30 + "1"),  # normalize() would round this to 1
        Decimal("1E+16"),
        Decimal("-0.0"),
    ):
        with pytest.raises(ApiError):
            money(bad, "m")


async def test_passwords_verify_new_and_legacy_hashes() -> None:
    passwords = Passwords(4)
    new = await passwords.hash(PASSWORD)
    assert new.startswith("$sha256$2b$04$")
    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    for hashed in (new, legacy):
        assert await passwords.verify(PASSWORD, hashed)
        assert not await passwords.verify(PASSWORD.upper(), hashed)
    assert not await passwords.verify(PASSWORD, None)
    assert not await passwords.verify("x" * 100, legacy)  # over 72 bytes: never truncated


def test_money_and_email_validators() -> None:
    assert money(Decimal("0.00000001"), "m") == 1
    assert money("12.5", "m") == 1_250_000_000
    for bad in (True, None, 1.5j, "1e5", "0", Decimal("1E+30"), "-1", [1], "\u0661\u0660"):
        with pytest.raises(ApiError) as info:
            money(bad, "m")
        assert info.value.field == "m"
    assert email("A@Example.ORG") == "a@example.org"
    for bad in (
        "a@b",
        "@x.com",
        "a b@x.com",
        "a@-x.com",
        "a@x..com",
        "x" * 70 + "@x.com",
        " a@x.com",
        "a@x.com\n",
        "\u00e9@x.com",
    ):
        with pytest.raises(ApiError):
            email(bad)


class FakeSmtp:
    """Just enough SMTP to receive one message."""

    def __init__(self) -> None:
        self.data = b""
        self.commands: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 fake ESMTP\r\n")
        while line := await reader.readline():
            self.commands.append(line.split(b" ")[0].strip().upper())
            verb = self.commands[-1]
            if verb in (b"EHLO", b"HELO"):
                writer.write(b"250 fake\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go on\r\n")
                await writer.drain()
                self.data = await reader.readuntil(b"\r\n.\r\n")
                writer.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()


async def test_mail_by_smtp(tmp_path: Path) -> None:
    fake = FakeSmtp()
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        mailer = Mailer(f"smtp://127.0.0.1:{port}", "Velox <v@example.com>", tmp_path)
        await mailer.send("to@example.com", "Hello", "the body")
    assert b"MAIL" in fake.commands and b"RCPT" in fake.commands
    assert b"Subject: Hello" in fake.data and b"the body" in fake.data
    assert not (tmp_path / "outbox").exists()


async def test_mail_to_outbox(tmp_path: Path) -> None:
    mailer = Mailer(None, None, tmp_path)
    await mailer.send("to@example.com", "Link", "click here")
    (message,) = mailer.list_outbox()
    assert (message.to, message.subject) == ("to@example.com", "Link")
    assert message.body.strip() == "click here"


def test_expired_revocations_are_dropped() -> None:
    """The revocation set holds only sessions that could still be presented."""
    sessions = SessionManager("s" * 32, 60)
    for i in range(10):
        sessions.revoke(Session("u", f"old{i}", expires_at=1_000), now_ms=500)
    assert len(sessions._revoked) == 10  # all still unexpired at 500
    sessions.revoke(Session("u", "new", expires_at=5_000), now_ms=2_000)
    assert set(sessions._revoked) == {"new"}
    live = Session("u", "live", expires_at=5_000)
    assert sessions.is_live(live, now_ms=4_999)
    assert not sessions.is_live(live, now_ms=5_000)  # expired
    assert not sessions.is_live(Session("u", "new", expires_at=5_000), now_ms=2_000)  # revoked


def test_verified_token_cache_still_honours_revocation_and_expiry() -> None:
    manager = SessionManager("s" * 40, 60)
    token, session = manager.issue("u1")
    assert manager.verify(token) == session
    assert manager.verify(token) == session  # served from the cache
    manager.revoke(session, 0)
    assert manager.verify(token) is None
    old, _ = manager.issue("u2", now_s=1_000)  # expired long ago
    assert manager.verify(old) is None
    fresh, s2 = manager.issue("u3")
    assert manager.verify(fresh) == s2
    manager._verified[fresh] = replace(s2, expires_at=1)  # as if it expired since
    assert manager.verify(fresh) is None


def test_text_frames_have_rfc6455_headers() -> None:
    assert text_frame(b"hi") == b"\x81\x02hi"
    medium = text_frame(b"x" * 300)
    assert medium[:4] == b"\x81\x7e\x01\x2c" and len(medium) == 304
    large = text_frame(b"y" * 70_000)
    assert large[:2] == b"\x81\x7f" and int.from_bytes(large[2:10], "big") == 70_000
