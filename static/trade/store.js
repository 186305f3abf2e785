// Everything the trade screen knows, in one object, and who wants to hear when it changes.
//
// Views never keep state of their own: they read the store and re-render on its topics
// ("quote", "account", "position", "pending", "history", "fill", "symbol", "duration",
// "side"). A
// new panel (pending orders, more chart lines, history) subscribes to the same topics.
//
// Orders are ordered by their lifecycle, not by arrival: the reply to a request and the
// websocket's messages about the same order race each other, and a reply that left the
// server before the order closed must not bring it back. An order's stage only moves
// forward (PENDING -> OPEN -> a final state); anything older than what we know is dropped.
// Orders and fills of another account than the one shown (a reply that left before the
// switch) are dropped too.
// No DOM here: Node's test runner imports this module as it is.
import { unrealizedPnl } from "../estimates.js";
import { toUnits } from "../format.js";

const STAGE = { PENDING: 0, OPEN: 1, CLOSED: 2, FILLED: 2, CANCELLED: 2, EXPIRED: 2, REJECTED: 2 };
const FINAL = STAGE.CLOSED;
const SELECTABLE = new Set(["symbol", "duration", "side"]);
const BATCHED = new Set(["position", "pending"]); // topics a batch gathers into one event

export class Store {
  constructor({ mmr }) {
    this.mmr = mmr; // maintenance margin ratio, units
    this.symbols = [];
    this.quotes = new Map(); // symbol -> {bid, ask, ts, seenAt} (BigInt units)
    this.dayOpen = new Map(); // symbol -> {price, start} of the day's 1d candle (units, UTC ms)
    this.symbol = null;
    this.duration = "1m";
    this.side = "LONG";
    this.accounts = []; // the user's accounts ({accountId, name, mode})
    this.accountId = null; // the one shown (null: not chosen yet)
    this.account = null; // the server's figures of the one shown (decimal strings)
    this.accountPushes = 0; // figures received from the websocket so far
    this.liveFigures = false; // true once a quote moved an open position since `account`
    this.open = new Map(); // orderId -> open position (API shape)
    this.pending = new Map(); // orderId -> pending order (SPEC 12)
    this.closed = new Map(); // orderId -> closed position
    this.fills = new Map(); // fillId -> fill (SPEC 12), for the chart's markers
    this.stages = new Map(); // orderId -> furthest stage seen
    this.announced = new Set(); // "opened:<id>" / "closed:<id>" already toasted
    this.leaving = false; // for /signin or / (signed out): nothing more to do here
    this.listeners = new Map();
    this.gathered = null; // during `batch`: topic -> the changes heard so far
  }

  /** Call `listener(detail)` on every `topic` change; returns the unsubscribe function. */
  on(topic, listener) {
    if (!this.listeners.has(topic)) this.listeners.set(topic, new Set());
    this.listeners.get(topic).add(listener);
    return () => this.listeners.get(topic).delete(listener);
  }

  emit(topic, detail) {
    if (this.gathered && BATCHED.has(topic)) {
      if (!this.gathered.has(topic)) this.gathered.set(topic, []);
      this.gathered.get(topic).push(detail);
      return;
    }
    for (const listener of this.listeners.get(topic) || []) listener(detail);
  }

  /**
   * Run `task`, then tell each of "position" and "pending" once: the one change as usual, or
   * several as `{kind: "batch", changes}` (each change a `{kind, order}`). A load of 5,000
   * orders is then one render per table, not 5,000 (each a render of the whole table).
   */
  batch(task) {
    if (this.gathered) return task(); // inside a batch already: it tells at its end
    this.gathered = new Map();
    try {
      return task();
    } finally {
      const gathered = this.gathered;
      this.gathered = null;
      for (const [topic, changes] of gathered) {
        this.emit(topic, changes.length === 1 ? changes[0] : { kind: "batch", changes });
      }
    }
  }

  // ------------------------------------------------------------ selection

  /** Set `symbol`, `duration` or `side`; listeners hear only a real change. */
  select(key, value) {
    if (!SELECTABLE.has(key)) throw new Error(`not a selection: ${key}`);
    if (this[key] === value) return false;
    this[key] = value;
    this.emit(key, value);
    return true;
  }

  /** True the first time only: the page is leaving (signed out); do it once. */
  leave() {
    if (this.leaving) return false;
    this.leaving = true;
    return true;
  }

  // ------------------------------------------------------------ market

  setSymbols(symbols) {
    this.symbols = [...symbols];
  }

  setQuote(symbol, bid, ask, ts, seenAt) {
    const previous = this.quotes.get(symbol) || null;
    this.quotes.set(symbol, { bid, ask, ts, seenAt });
    if (this.openOn(symbol).length) this.liveFigures = true;
    this.emit("quote", { symbol, previous });
  }

  setDayOpen(symbol, price, start) {
    this.dayOpen.set(symbol, { price, start });
    this.emit("quote", { symbol, previous: null });
  }

  // ------------------------------------------------------------ account

  /**
   * The server's account figures. `pushed`: they came from the websocket, which sends new
   * figures after every change, so a request's reply that was in flight meanwhile is not
   * newer than them (see `accountPushes`).
   */
  setAccount(figures, { pushed = false } = {}) {
    if (pushed) this.accountPushes += 1;
    this.account = figures;
    this.liveFigures = false; // the server's numbers until the next quote moves them
    this.emit("account", figures);
  }

  // ------------------------------------------------------------ orders

  openOn(symbol) {
    return [...this.open.values()].filter((o) => o.asset === symbol);
  }

  /** An open position's PnL at the current quote (the server's figure before any quote). */
  pnlOf(order) {
    const quote = this.quotes.get(order.asset);
    if (!quote) return toUnits(order.unrealizedPnl ?? "0");
    return unrealizedPnl(order.side, toUnits(order.openPrice), toUnits(order.qty), quote);
  }

  /**
   * Take in orders as the server describes them (an HTTP reply, a websocket message, a
   * reload). Returns, per order, what changed: "opened", "updated", "closed", "pending",
   * "ended" (cancelled, expired, ...), or null when the order is already further along than
   * this description (a late reply), which then changes nothing.
   */
  applyOrders(orders) {
    const kinds = this.batch(() => orders.map((order) => this.#apply(order)));
    if (kinds.includes("closed")) this.emit("history");
    return kinds;
  }

  applyOrder(order) {
    return this.applyOrders([order])[0];
  }

  /** The user's accounts, as the server lists them. */
  setAccounts(accounts) {
    this.accounts = [...accounts];
  }

  /** The name of account `accountId` (null when it is not listed). */
  accountName(accountId) {
    return this.accounts.find((a) => a.accountId === accountId)?.name ?? null;
  }

  /**
   * Show `accountId` from now on: the previous one's orders, fills and figures are forgotten
   * (a reload follows), and anything of another account that arrives later is dropped.
   */
  showAccount(accountId) {
    if (accountId === this.accountId) return false;
    this.accountId = accountId;
    this.batch(() => {
      for (const id of [...this.open.keys()]) this.forgetOpen(id);
      for (const id of [...this.pending.keys()]) this.forgetPending(id);
    });
    this.closed.clear();
    this.fills.clear();
    this.stages.clear();
    this.account = null;
    this.emit("account", null); // the previous account's figures go until this one's come
    this.emit("history");
    return true;
  }

  /** Whether `item` (an order or a fill) is the shown account's; v1 rows name none. */
  #shown(item) {
    return !item.accountId || !this.accountId || item.accountId === this.accountId;
  }

  /** The server says `orderId` is no longer open (closed elsewhere, or missing on reload). */
  forgetOpen(orderId) {
    this.stages.set(orderId, FINAL);
    const order = this.open.get(orderId);
    if (!order) return;
    this.open.delete(orderId);
    this.emit("position", { kind: "closed", order });
  }

  /** A fill (SPEC 12 `fill` message), once per fillId however many copies come. */
  addFill(fill) {
    if (!fill || fill.fillId === undefined || this.fills.has(fill.fillId) || !this.#shown(fill)) return false;
    this.fills.set(fill.fillId, fill);
    this.emit("fill", fill);
    return true;
  }

  /** The server no longer lists `orderId` as pending (it ended while we were away). */
  forgetPending(orderId) {
    const order = this.pending.get(orderId);
    if (!order) return;
    this.pending.delete(orderId);
    this.emit("pending", { kind: "gone", order });
  }

  /** Closed positions, newest first. */
  closedOrders() {
    return [...this.closed.values()].sort((a, b) => Number(b.closedAt) - Number(a.closedAt));
  }

  /** True the first time `key` is announced (a toast per event, however many copies come). */
  announceOnce(key) {
    if (this.announced.has(key)) return false;
    this.announced.add(key);
    return true;
  }

  /** Count `key` as announced without a toast (history loaded, not news). */
  markAnnounced(key) {
    this.announced.add(key);
  }

  #apply(order) {
    const stage = STAGE[order.status];
    if (stage === undefined || !this.#shown(order)) return null;
    const id = order.orderId;
    if (stage < (this.stages.get(id) ?? -1)) return null;
    this.stages.set(id, stage);
    if (stage === STAGE.PENDING) {
      this.pending.set(id, order);
      this.emit("pending", { kind: "pending", order });
      return "pending";
    }
    if (this.pending.delete(id)) this.emit("pending", { kind: "gone", order });
    if (stage === STAGE.OPEN) {
      const kind = this.open.has(id) ? "updated" : "opened";
      this.open.set(id, order);
      this.emit("position", { kind, order });
      return kind;
    }
    if (this.open.delete(id)) this.emit("position", { kind: "closed", order });
    if (order.status !== "CLOSED") return "ended"; // a pending order's end (SPEC 12)
    this.closed.set(id, order);
    return "closed";
  }
}
