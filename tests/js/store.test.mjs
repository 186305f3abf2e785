// static/trade/store.js: orders are ordered by their lifecycle, not by arrival, and views
// hear exactly the changes that happened.
import assert from "node:assert/strict";
import { beforeEach, describe, test } from "node:test";

import { Store } from "../../static/trade/store.js";

const order = (status, extra = {}) => ({
  orderId: "7",
  asset: "BTCUSDT",
  side: "LONG",
  leverage: 100,
  margin: "50.00000000",
  qty: "0.08328336",
  openPrice: "60030.00000000",
  unrealizedPnl: status === "OPEN" ? "-4.99700160" : null,
  status,
  closedAt: status === "CLOSED" ? 1700000000000 : null,
  ...extra,
});

describe("orders by lifecycle", () => {
  let store;
  let heard;
  beforeEach(() => {
    store = new Store({ mmr: 10000000n });
    heard = [];
    store.on("position", ({ kind, order: o }) => heard.push(`${kind}:${o.orderId}`));
    store.on("history", () => heard.push("history"));
  });

  test("a late OPEN reply after the websocket's CLOSED changes nothing", () => {
    assert.equal(store.applyOrder(order("OPEN")), "opened"); // websocket order_opened
    assert.equal(store.applyOrder(order("CLOSED")), "closed"); // websocket order_closed
    assert.equal(store.applyOrder(order("OPEN")), null); // the HTTP reply to the open
    assert.equal(store.open.size, 0);
    assert.deepEqual(store.closedOrders().map((o) => o.orderId), ["7"]);
    assert.deepEqual(heard, ["opened:7", "closed:7", "history"]);
  });

  test("CLOSED first, then the OPEN it replaced: never open", () => {
    assert.equal(store.applyOrder(order("CLOSED")), "closed");
    assert.equal(store.applyOrder(order("OPEN")), null);
    assert.equal(store.open.size, 0);
    assert.deepEqual(heard, ["history"]);
  });

  test("OPEN twice is an update, the last one wins", () => {
    store.applyOrder(order("OPEN"));
    assert.equal(store.applyOrder(order("OPEN", { margin: "60.00000000" })), "updated");
    assert.equal(store.open.get("7").margin, "60.00000000");
    assert.deepEqual(heard, ["opened:7", "updated:7"]);
  });

  test("a pending order becomes open, and a pending copy after that is stale", () => {
    assert.equal(store.applyOrder(order("PENDING")), "pending");
    assert.equal(store.applyOrder(order("OPEN")), "opened");
    assert.equal(store.pending.size, 0);
    assert.equal(store.applyOrder(order("PENDING")), null);
    assert.equal(store.pending.size, 0);
    assert.equal(store.open.size, 1);
  });

  test("a cancelled pending order ends without a closed position", () => {
    store.applyOrder(order("PENDING"));
    assert.equal(store.applyOrder(order("CANCELLED")), "ended");
    assert.equal(store.pending.size, 0);
    assert.equal(store.closed.size, 0);
    assert.deepEqual(heard, []);
  });

  test("forgetOpen removes the row and refuses a later OPEN of it", () => {
    store.applyOrder(order("OPEN"));
    store.forgetOpen("7");
    assert.equal(store.applyOrder(order("OPEN")), null);
    assert.equal(store.open.size, 0);
    assert.deepEqual(heard, ["opened:7", "closed:7"]);
  });

  test("a status the page does not know is ignored", () => {
    assert.equal(store.applyOrder(order("SOMETHING")), null);
    assert.deepEqual(heard, []);
  });
});

describe("quotes and live figures", () => {
  test("PnL follows the quote; before any quote it is the server's", () => {
    const store = new Store({ mmr: 10000000n });
    store.applyOrder(order("OPEN"));
    const o = store.open.get("7");
    assert.equal(store.pnlOf(o), -499700160n);
    assert.equal(store.liveFigures, false);
    // bid 61000: (61000 - 60030) * 0.08328336 = 80.7848592, floored to 10^-8
    store.setQuote("BTCUSDT", 6100000000000n, 6110000000000n, 1, 1);
    assert.equal(store.pnlOf(o), 8078485920n);
    assert.equal(store.liveFigures, true);
    store.setAccount({ balance: "950.00000000" });
    assert.equal(store.liveFigures, false);
    store.setQuote("ETHUSDT", 300000000000n, 300300000000n, 2, 2); // no position there
    assert.equal(store.liveFigures, false);
  });

  test("select tells listeners only about a real change", () => {
    const store = new Store({ mmr: 10000000n });
    const heard = [];
    store.on("symbol", (s) => heard.push(s));
    assert.equal(store.select("symbol", "ETHUSDT"), true);
    assert.equal(store.select("symbol", "ETHUSDT"), false);
    assert.deepEqual(heard, ["ETHUSDT"]);
  });
});

describe("fills", () => {
  test("each fill is heard once, however many copies arrive", () => {
    const store = new Store({ mmr: 10_000_000n });
    const heard = [];
    store.on("fill", (f) => heard.push(f.fillId));
    const fill = { fillId: "11", orderId: "7", asset: "BTCUSDT", side: "BUY", time: 1 };
    assert.equal(store.addFill(fill), true);
    assert.equal(store.addFill({ ...fill }), false);
    assert.equal(store.addFill({ orderId: "8" }), false); // not a fill
    assert.deepEqual(heard, ["11"]);
  });
});

describe("pending orders", () => {
  test("a pending order is heard, then gone when it fills or the server forgets it", () => {
    const store = new Store({ mmr: 10_000_000n });
    const heard = [];
    store.on("pending", ({ kind, order }) => heard.push([kind, order.orderId]));
    store.applyOrder({ orderId: "20", status: "PENDING", asset: "BTCUSDT" });
    store.applyOrder({ orderId: "21", status: "PENDING", asset: "BTCUSDT" });
    store.applyOrder({ orderId: "20", status: "OPEN", asset: "BTCUSDT" });
    store.forgetPending("21");
    store.forgetPending("21");
    assert.deepEqual(heard, [["pending", "20"], ["pending", "21"], ["gone", "20"], ["gone", "21"]]);
    assert.equal(store.pending.size, 0);
  });
});

describe("the account shown", () => {
  test("choosing another account forgets the previous one's and drops its late replies", () => {
    const store = new Store({ mmr: 10_000_000n });
    const heard = [];
    store.on("position", ({ kind, order: o }) => heard.push(`${kind}:${o.orderId}`));
    store.setAccounts([{ accountId: "1", name: "Main" }, { accountId: "2", name: "Swing" }]);
    assert.equal(store.accountName("2"), "Swing");
    assert.equal(store.accountName("9"), null);
    assert.equal(store.showAccount("1"), true);
    assert.equal(store.applyOrder(order("OPEN", { accountId: "1" })), "opened");
    assert.equal(store.addFill({ fillId: "11", accountId: "1", asset: "BTCUSDT" }), true);
    store.setAccount({ balance: "1000" });
    const figures = [];
    store.on("account", (a) => figures.push(a));

    assert.equal(store.showAccount("2"), true);
    assert.deepEqual(figures, [null]); // the top bar blanks the previous account's figures
    assert.equal(store.showAccount("2"), false); // already shown: nothing forgotten
    assert.deepEqual([store.open.size, store.fills.size, store.account], [0, 0, null]);
    // a reply about the first account that left before the switch
    assert.equal(store.applyOrder(order("OPEN", { accountId: "1" })), null);
    assert.equal(store.addFill({ fillId: "11", accountId: "1", asset: "BTCUSDT" }), false);
    assert.equal(store.applyOrder(order("OPEN", { orderId: "8", accountId: "2" })), "opened");
    assert.equal(store.applyOrder(order("OPEN", { orderId: "9" })), "opened"); // v1: none named
    assert.deepEqual(heard, ["opened:7", "closed:7", "opened:8", "opened:9"]);
  });
});

describe("loads are one change per table", () => {
  // Before: applyOrders told "position"/"pending" once per order, and each listener rebuilt
  // its whole table: a load of 2,000 orders was 2,000 renders (rev7: the page froze).
  const many = (n, status, from = 1000) =>
    Array.from({ length: n }, (_, i) => order(status, { orderId: String(from + i) }));

  test("a load of 2,000 open positions and 2,000 pending orders: one event per topic", () => {
    const store = new Store({ mmr: 10_000_000n });
    const heard = { position: [], pending: [] };
    store.on("position", (d) => heard.position.push(d));
    store.on("pending", (d) => heard.pending.push(d));
    const kinds = store.applyOrders([...many(2000, "OPEN"), ...many(2000, "PENDING", 5000)]);
    assert.equal(kinds.length, 4000);
    assert.equal(heard.position.length, 1);
    assert.equal(heard.pending.length, 1);
    assert.equal(heard.position[0].kind, "batch");
    assert.equal(heard.position[0].changes.length, 2000);
    assert.deepEqual(heard.position[0].changes[0], { kind: "opened", order: store.open.get("1000") });
    assert.equal(heard.pending[0].changes.length, 2000);
    assert.equal(store.open.size, 2000);
    assert.equal(store.pending.size, 2000);
  });

  test("a reload that fills pending orders: one event per topic, every change in it", () => {
    const store = new Store({ mmr: 10_000_000n });
    store.applyOrders(many(3, "PENDING"));
    const heard = [];
    store.on("position", (d) => heard.push(["position", d.kind, d.changes.map((c) => c.kind)]));
    store.on("pending", (d) => heard.push(["pending", d.kind, d.changes.map((c) => c.kind)]));
    store.applyOrders(many(3, "OPEN"));
    assert.deepEqual(heard, [
      ["pending", "batch", ["gone", "gone", "gone"]],
      ["position", "batch", ["opened", "opened", "opened"]],
    ]);
  });

  test("a load of one order is told as before; nothing changed is not told", () => {
    const store = new Store({ mmr: 10_000_000n });
    const heard = [];
    store.on("position", (d) => heard.push(`${d.kind}:${d.order.orderId}`));
    store.applyOrders([order("OPEN")]);
    store.applyOrders([]);
    store.applyOrders(many(2, "CLOSED", 7)); // "7" closes; "8" was never open: no position change
    assert.deepEqual(heard, ["opened:7", "closed:7"]);
  });

  test("switching accounts forgets 2,000 positions in one event", () => {
    const store = new Store({ mmr: 10_000_000n });
    store.showAccount("1");
    store.applyOrders(many(2000, "OPEN"));
    const heard = [];
    store.on("position", (d) => heard.push(d));
    store.showAccount("2");
    assert.equal(heard.length, 1);
    assert.equal(heard[0].changes.length, 2000);
    assert.ok(heard[0].changes.every((c) => c.kind === "closed"));
  });
});
