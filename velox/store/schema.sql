-- Velox database schema, applied at every open (every statement is idempotent).
--
-- One file serves SQLite and PostgreSQL. The only dialect differences are three
-- placeholders, written as a name in braces and substituted in one place
-- (velox/store/schema.py, DIALECTS):
--   blob      opaque bytes:  BLOB (SQLite)                | BYTEA (PostgreSQL)
--   money     exact integer units of 10^-8, which may exceed int64 (SPEC allows 10^23):
--             TEXT (SQLite: INTEGER is int64 and overflows to a lossy REAL, so the store
--             writes str(int) and reads int(text); no money column is sorted or compared
--             in SQL there) | NUMERIC(38, 0) (PostgreSQL: exact, compared in SQL)
--   seq_key   a journal/snapshot sequence primary key: INTEGER PRIMARY KEY (SQLite: the
--             rowid itself, no second index) | BIGINT PRIMARY KEY (PostgreSQL)
-- Timestamps are integer milliseconds since the epoch (BIGINT is int64 in both).

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,  -- stored lower-cased by the store
    password_hash TEXT,
    phone         TEXT,
    created_at    BIGINT NOT NULL
);

-- Users whose address nobody has proven: a password signup checks no mailbox, so whoever
-- signed up may not own the address. The first proof (a magic link, or an identity
-- provider's verified address) ends what the signup left (its password, sessions, API keys,
-- webhook tokens) and deletes the row. A user without a row is proven: one a proof created,
-- and every user of a database from before this table (so an upgrade clears nobody's
-- password). An older binary ignores the table.
CREATE TABLE IF NOT EXISTS unproven_emails (
    user_id TEXT PRIMARY KEY
);

CREATE TABLE IF NOT EXISTS magic_tokens (
    token_hash TEXT PRIMARY KEY,
    email      TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- The expiry sweeps (forget_expired_auth, at every magic-link request) are range deletes.
CREATE INDEX IF NOT EXISTS magic_tokens_by_expiry ON magic_tokens (expires_at);

CREATE TABLE IF NOT EXISTS revoked_sessions (
    jti        TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS revoked_sessions_by_expiry ON revoked_sessions (expires_at);

-- "Sign out everywhere": every session of the user issued before before_ms (its issue time
-- in ms, a claim of the token) is void. One row per user that ever asked; the mark only
-- moves forward. Loaded at start next to the revocations; an older binary ignores the table.
CREATE TABLE IF NOT EXISTS session_cutoffs (
    user_id   TEXT PRIMARY KEY,
    before_ms BIGINT NOT NULL
);

-- A password signup whose first account the engine has not acknowledged (its OpenAccount
-- answered 503, e.g. the engine was stopped, and may yet run): a retry with the same email
-- and password completes it instead of finding the email taken. Written with the user,
-- deleted once the engine acknowledged the account. An older binary ignores the table.
CREATE TABLE IF NOT EXISTS unfinished_signups (
    user_id    TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS journal (
    seq     {seq_key},
    ts      BIGINT NOT NULL,
    type    TEXT NOT NULL,
    payload {blob} NOT NULL
);

-- The deposits have a table of their own now (deposits, below): the journal's index of them
-- is gone.
DROP INDEX IF EXISTS journal_deposits;

CREATE TABLE IF NOT EXISTS snapshots (
    seq     {seq_key},
    ts      BIGINT NOT NULL,
    payload {blob} NOT NULL
);

CREATE TABLE IF NOT EXISTS closed_orders (
    order_id          TEXT PRIMARY KEY,
    parent_order_id   TEXT,
    user_id           TEXT NOT NULL,
    asset             TEXT NOT NULL,
    side              TEXT NOT NULL,
    leverage          INTEGER NOT NULL,
    margin            {money} NOT NULL,
    qty               {money} NOT NULL,
    open_price        {money} NOT NULL,
    liquidation_price {money} NOT NULL,
    stop_loss         {money},
    take_profit       {money},
    trailing_stop     {money},
    close_price       {money} NOT NULL,
    close_reason      TEXT NOT NULL,
    pnl               {money} NOT NULL,
    settlement        {money} NOT NULL,
    opened_at         BIGINT NOT NULL,
    closed_at         BIGINT NOT NULL,
    account_id        TEXT,
    fee               {money} NOT NULL,
    funding           {money} NOT NULL
);

-- A user's closed orders, newest first; ties by order id as a number. Order ids are decimal
-- counters without leading zeros, so (length, text) is their numeric order, and an index on
-- it serves the query in both databases (a CAST would not be index-friendly in SQLite, and
-- fails in PostgreSQL on anything not a number). Replaces the TEXT-ordered index of earlier versions.
DROP INDEX IF EXISTS closed_orders_by_user;
CREATE INDEX IF NOT EXISTS closed_orders_newest_first
    ON closed_orders (user_id, closed_at DESC, length(order_id) DESC, order_id DESC);

CREATE TABLE IF NOT EXISTS trades (
    symbol   TEXT NOT NULL,
    trade_id BIGINT NOT NULL,
    price    {money} NOT NULL,
    qty      {money} NOT NULL,
    ts       BIGINT NOT NULL,
    PRIMARY KEY (symbol, trade_id)
);

CREATE INDEX IF NOT EXISTS trades_by_ts ON trades (ts);

CREATE TABLE IF NOT EXISTS candles (
    symbol   TEXT NOT NULL,
    duration TEXT NOT NULL,
    time     BIGINT NOT NULL,
    open     {money} NOT NULL,
    high     {money} NOT NULL,
    low      {money} NOT NULL,
    close    {money} NOT NULL,
    volume   {money} NOT NULL,
    PRIMARY KEY (symbol, duration, time)
);

-- API keys for the Binance-compatible API (velox/binance). The secret is sealed with AES-GCM
-- under a key file outside the database (velox/vault.py): a copy of this table reveals none.
-- permissions: comma-separated ("read" or "read,trade").
CREATE TABLE IF NOT EXISTS api_keys (
    key_id        TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    name          TEXT NOT NULL,
    api_key       TEXT NOT NULL UNIQUE,
    secret_sealed {blob} NOT NULL,
    permissions   TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS api_keys_by_user ON api_keys (user_id, created_at);

-- The user-data streams' listen keys (POST /fapi/v1/listenKey), one per API key, so a bot's
-- key outlives a restart of Velox as it outlives one of Binance's servers. The key is sealed
-- like the API secrets; a row past expires_at is dead (swept with the other expired auth).
CREATE TABLE IF NOT EXISTS listen_keys (
    key_id            TEXT PRIMARY KEY,
    listen_key_sealed {blob} NOT NULL,
    user_id           TEXT NOT NULL,
    account_id        TEXT NOT NULL,
    expires_at        BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS listen_keys_by_expiry ON listen_keys (expires_at);

-- Leverage chosen per account and symbol through POST /fapi/v1/leverage (Binance keeps it
-- as account configuration, used by the orders that follow).
CREATE TABLE IF NOT EXISTS symbol_leverage (
    account_id TEXT NOT NULL,
    symbol     TEXT NOT NULL,
    leverage   INTEGER NOT NULL,
    PRIMARY KEY (account_id, symbol)
);

-- Schema version 2 (SPEC 12/13): accounts, every order whatever became of it, and fills.
-- Projected from the journal in the group commit's transaction (velox/projection.py).
-- Ids are decimal counters without leading zeros: (length, text) is their numeric order.

CREATE INDEX IF NOT EXISTS closed_orders_by_account
    ON closed_orders (account_id, closed_at DESC, length(order_id) DESC, order_id DESC);

CREATE TABLE IF NOT EXISTS accounts (
    account_id TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    name       TEXT NOT NULL,
    mode       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS accounts_by_user
    ON accounts (user_id, length(account_id), account_id);

CREATE TABLE IF NOT EXISTS orders (
    order_id        TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    asset           TEXT NOT NULL,
    side            TEXT NOT NULL,
    order_type      TEXT NOT NULL,
    leverage        INTEGER NOT NULL,
    price           {money},
    margin          {money},
    qty             {money},
    reserved        {money} NOT NULL,
    stop_loss       {money},
    take_profit     {money},
    trailing_stop   {money},
    expires_at      BIGINT,
    client_order_id TEXT,
    oco_group_id    TEXT,
    reduce_only     INTEGER NOT NULL,
    status          TEXT NOT NULL,
    cancel_reason   TEXT,
    position_id     TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    time_in_force   TEXT NOT NULL DEFAULT 'GTC'
);
-- time_in_force (version 5): GTC, IOC, FOK or GTX as the order was placed (a GTC with
-- expires_at is Binance's GTD). CREATE TABLE IF NOT EXISTS leaves an older orders table
-- as it was: the writer adds the column to it (velox/store/schema.py, ADDED_COLUMNS), and
-- its rows read GTC, all an older Velox kept.

-- clientOrderId names one order per account at a time: the native API never reuses one,
-- Binance's reuses an id whose order has ended (the newest row is the one it names). The
-- unique index of earlier versions is replaced.
DROP INDEX IF EXISTS orders_by_client_id;
CREATE INDEX IF NOT EXISTS orders_by_client
    ON orders (account_id, client_order_id, created_at DESC);
-- One status of an account, newest first by when the order reached it: the native list pages
-- back through ended orders on it (velox/store/pages.py). Replaces the created_at-ordered
-- index of earlier versions (the pending ones are listed from the engine's ids).
DROP INDEX IF EXISTS orders_by_status;
CREATE INDEX IF NOT EXISTS orders_by_status_ended
    ON orders (account_id, status, updated_at DESC, length(order_id) DESC, order_id DESC);
-- An account's orders on one symbol, every status, by when they were placed: Binance's
-- allOrders pages through them (velox/store/pages.py orders_for_asset) in either direction;
-- without it every page sorted all the account's orders.
CREATE INDEX IF NOT EXISTS orders_by_asset
    ON orders (account_id, asset, created_at DESC, length(order_id) DESC, order_id DESC);

-- A position's stops as the Binance API's algo orders (velox/store/records.py StopRecord):
-- each placement a row of its own, kept once cancelled or ended with the position (the
-- engine forgets them then). stop_id is the stop's own id, '' for one set with the position.
CREATE TABLE IF NOT EXISTS stop_orders (
    position_id TEXT NOT NULL,
    kind        INTEGER NOT NULL,
    stop_id     TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    asset       TEXT NOT NULL,
    side        TEXT NOT NULL,
    client_id   TEXT,
    price       {money},
    qty         {money},
    status      TEXT NOT NULL,
    done_price  {money},
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (position_id, kind, stop_id)
);
CREATE INDEX IF NOT EXISTS stop_orders_by_id ON stop_orders (stop_id);
CREATE INDEX IF NOT EXISTS stop_orders_by_client
    ON stop_orders (account_id, client_id, created_at DESC);
CREATE INDEX IF NOT EXISTS stop_orders_by_asset
    ON stop_orders (account_id, asset, created_at DESC, length(stop_id) DESC, stop_id DESC);

CREATE TABLE IF NOT EXISTS fills (
    fill_id      TEXT PRIMARY KEY,
    order_id     TEXT NOT NULL,
    position_id  TEXT NOT NULL,
    account_id   TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    asset        TEXT NOT NULL,
    side         TEXT NOT NULL,
    price        {money} NOT NULL,
    qty          {money} NOT NULL,
    fee          {money} NOT NULL,
    realized_pnl {money} NOT NULL,
    maker        INTEGER NOT NULL,
    time         BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS fills_newest_first
    ON fills (account_id, time DESC, length(fill_id) DESC, fill_id DESC);
-- A FILLED order's fee is the sum of its fills' (the order row keeps none).
CREATE INDEX IF NOT EXISTS fills_by_order ON fills (order_id);

-- Funding (SPEC 12): one row per position and boundary charged, projected from FundingCharged
-- in the group commit's transaction. amount is the trader's (+ received, - paid); rate is a
-- fraction in units of 10^-8 (may be negative); seq the event's journal sequence (unique).
CREATE TABLE IF NOT EXISTS funding (
    order_id   TEXT NOT NULL,
    boundary   BIGINT NOT NULL,
    account_id TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    asset      TEXT NOT NULL,
    mark_price {money} NOT NULL,
    rate       BIGINT NOT NULL,
    amount     {money} NOT NULL,
    seq        BIGINT NOT NULL UNIQUE,
    ts         BIGINT NOT NULL,
    PRIMARY KEY (order_id, boundary)
);

CREATE INDEX IF NOT EXISTS funding_newest_first ON funding (account_id, boundary DESC, seq DESC);

-- Deposits (an account's initial balance, a reset's adjustment, a deposit), projected from
-- Deposited in the group commit's transaction: the history's equity curve reads one
-- account's here (the journal holds the whole platform's). account_id is NULL for a v1
-- event (the user's first account); seq is the event's journal sequence.
CREATE TABLE IF NOT EXISTS deposits (
    seq        BIGINT PRIMARY KEY,
    account_id TEXT,
    user_id    TEXT NOT NULL,
    amount     {money} NOT NULL,
    kind       TEXT NOT NULL,
    ts         BIGINT NOT NULL
);

-- Read per user (a user has a few deposits per account), filtered to one account like
-- closed_orders (velox/store/pages.py, in_account).
CREATE INDEX IF NOT EXISTS deposits_by_user ON deposits (user_id, seq);

-- The boundaries charged per symbol (public GET /fapi/v1/fundingRate): the first charge of
-- each (asset, boundary), so the public read never scans the per-position rows.
CREATE TABLE IF NOT EXISTS funding_boundaries (
    asset      TEXT NOT NULL,
    boundary   BIGINT NOT NULL,
    mark_price {money} NOT NULL,
    rate       BIGINT NOT NULL,
    seq        BIGINT NOT NULL,
    PRIMARY KEY (asset, boundary)
);

CREATE INDEX IF NOT EXISTS funding_boundaries_by_time ON funding_boundaries (boundary, asset);

-- TradingView webhook tokens, one per account (SPEC 13): only a SHA-256 of the token is
-- kept, compared in constant time; a new token replaces the old one (rotation).
CREATE TABLE IF NOT EXISTS webhook_tokens (
    account_id TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
