// static/estimates.js against the worked examples of SPEC section 12
// (tests/vectors/orders-v2.json): fees, margins reserved for pending orders, fills at the
// order's price, the liquidation price after funding or a netting reduce, and what the ticket
// says an order on a NETTING account does to its position (scale-in, reduce, close, flip).
// Funding amounts are server figures the page never estimates.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  entryPrice, exitPrice, fee, liquidationPrice, marginForQty, nettedEstimate, pnl, quoteFromRef,
  settlement, ticketEstimate,
} from "../../static/estimates.js";
import { loadVectors, text, u } from "./vectors.mjs";

const { cases } = loadVectors("orders-v2");
const SPREAD = u("0.001");
const MMR = u("0.1");

const byName = (prefix) => {
  const found = cases.filter((c) => c.name.startsWith(prefix));
  assert.equal(found.length, 1, prefix);
  return found[0];
};

/** The ticket's estimate for `order` filled at `price`. */
function sized(order, price, feeRate = 0n) {
  return ticketEstimate({
    side: order.side,
    price,
    leverage: order.leverage,
    margin: order.margin === undefined ? null : u(order.margin),
    qty: order.qty === undefined ? null : u(order.qty),
    mmr: MMR,
    feeRate,
  });
}

/** The vector's figures of a fill (those it gives) against the ticket's estimate `fill`. */
const FILL_FIELDS = { openPrice: "price", qty: "qty", margin: "margin", openFee: "fee", liquidationPrice: "liquidationPrice" };
function checkFill(fill, want) {
  const given = Object.keys(FILL_FIELDS).filter((key) => key in want);
  assert.ok(given.length >= 3, `too few figures to check: ${given}`);
  for (const key of given) assert.equal(text(fill[FILL_FIELDS[key]]), want[key], key);
}

/** A taker close of `fill` at `ref`: checks price, PnL, fee and settlement; returns the fee. */
function checkClose(side, fill, ref, takerFee, want) {
  const close = exitPrice(side, quoteFromRef(u(ref), SPREAD));
  const profit = pnl(side, fill.price, close, fill.qty);
  const closeFee = fee(close, fill.qty, u(takerFee));
  assert.equal(text(close), want.closePrice);
  assert.equal(text(profit), want.pnl);
  assert.equal(text(closeFee), want.closeFee);
  assert.equal(text(settlement(fill.margin, profit, closeFee)), want.settlement);
  return closeFee;
}

describe("orders-v2.json", () => {
  test("quotes of every step", () => {
    let checked = 0;
    for (const c of cases) {
      for (const step of [c.place, c.fillTick, c.open]) {
        if (!step || !step.bid) continue;
        const q = quoteFromRef(u(step.ref), SPREAD);
        assert.equal(text(q.bid), step.bid, c.name);
        assert.equal(text(q.ask), step.ask, c.name);
        checked += 1;
      }
    }
    assert.equal(checked, 7);
  });

  test("limit long: maker fill at its price, maker open fee, taker close fee, settlement", () => {
    const c = byName("limit long 10x");
    const order = c.place.order;
    assert.equal(text(u(order.margin)), c.place.expect.pendingMargin); // reserved as given
    const fill = sized(order, u(order.price), u(c.settings.makerFee));
    checkFill(fill, c.fillTick.expect);

    const closeFee = checkClose(order.side, fill, c.close.ref, c.settings.takerFee, c.close.expect);
    assert.equal(text(fill.fee + closeFee), c.close.expect.fee);
  });

  test("stop long by qty: margin reserved at its price, re-sized at the gap's ask", () => {
    const c = byName("stop long 20x");
    const order = c.place.order;
    const reserved = marginForQty(u(order.qty), order.leverage, u(order.price));
    assert.equal(text(reserved), c.place.expect.pendingMargin);
    const ask = entryPrice(order.side, quoteFromRef(u(c.fillTick.ref), SPREAD));
    const fill = sized(order, ask, u(c.settings.takerFee));
    checkFill(fill, c.fillTick.expect);
  });

  test("stop short by margin: qty from the margin at the triggering bid", () => {
    const c = byName("stop short 5x");
    const bid = entryPrice("SHORT", quoteFromRef(u(c.fillTick.ref), SPREAD));
    const fill = sized(c.place.order, bid);
    checkFill(fill, c.fillTick.expect);
    assert.equal(fill.fee, 0n);
  });

  test("market long with a taker fee, liquidated by a gap: the close fee comes out of nothing", () => {
    const c = byName("market long 50x");
    const order = c.open.order;
    const ask = entryPrice(order.side, quoteFromRef(u(c.open.ref), SPREAD));
    const fill = sized(order, ask, u(c.settings.takerFee));
    checkFill(fill, c.open.expect);
    checkClose(order.side, fill, c.close.ref, c.settings.takerFee, c.close.expect);
  });

  test("funding moves the margin: the liquidation price follows it", () => {
    const funded = cases.filter((c) => c.funding);
    assert.equal(funded.length, 3);
    for (const c of funded) {
      const order = c.open.order;
      const price = entryPrice(order.side, quoteFromRef(u(c.open.ref), SPREAD));
      const fill = sized(order, price);
      checkFill(fill, c.open.expect);
      const margin = fill.margin + u(c.funding.expect.funding);
      assert.equal(text(margin), c.funding.expect.margin, c.name);
      const liq = liquidationPrice(order.side, fill.price, margin, fill.qty, MMR);
      assert.equal(text(liq), c.funding.expect.liquidationPrice, c.name);
    }
  });

  test("netting reduce: the closed part settles, the rest keeps its price", () => {
    const c = byName("netting LONG 10x margin 300 at ref 2000, then a SHORT of a third");
    const [first, second] = c.fills;
    const long = sized(first.order, entryPrice("LONG", quoteFromRef(u(first.ref), SPREAD)));
    const q = u(second.order.qty);
    const close = exitPrice("LONG", quoteFromRef(u(second.ref), SPREAD));
    const partMargin = (long.margin * q) / long.qty; // SPEC 12: floor(M * q / Q)
    const profit = pnl("LONG", long.price, close, q);
    const { closedPart, remaining } = c.expect;
    assert.equal(text(close), closedPart.closePrice);
    assert.equal(text(partMargin), closedPart.margin);
    assert.equal(text(profit), closedPart.pnl);
    assert.equal(text(settlement(partMargin, profit)), closedPart.settlement);
    assert.equal(text(long.price), remaining.openPrice);
    const liq = liquidationPrice("LONG", long.price, long.margin - partMargin, long.qty - q, MMR);
    assert.equal(text(long.qty - q), remaining.qty);
    assert.equal(text(liq), remaining.liquidationPrice);
  });

  test("netting flip: the remainder opens on the other side from its qty at the fill", () => {
    const c = byName("netting LONG 10x margin 300 at ref 2000, then a SHORT of its qty + 0.1");
    const [first, second] = c.fills;
    const long = sized(first.order, entryPrice("LONG", quoteFromRef(u(first.ref), SPREAD)));
    const close = exitPrice("LONG", quoteFromRef(u(second.ref), SPREAD));
    const profit = pnl("LONG", long.price, close, long.qty);
    assert.equal(text(long.qty), c.expect.closed.qty);
    assert.equal(text(profit), c.expect.closed.pnl);
    assert.equal(text(settlement(long.margin, profit)), c.expect.closed.settlement);
    const rest = sized({ ...second.order, qty: text(u(second.order.qty) - long.qty) }, close);
    const { opened } = c.expect;
    assert.equal(text(rest.price), opened.openPrice);
    assert.equal(text(rest.qty), opened.qty);
    assert.equal(text(rest.margin), opened.margin);
    assert.equal(text(rest.liquidationPrice), opened.liquidationPrice);
  });
});

describe("nettedEstimate: what an order on a NETTING account does to its position", () => {
  /** The vector's two fills: the position the first opens, and the ticket's estimate of the
   * second's effect on it at its fill price. */
  function netted(c) {
    const [first, second] = c.fills;
    const opened = sized(first.order, entryPrice(first.order.side, quoteFromRef(u(first.ref), SPREAD)));
    const held = { side: first.order.side, qty: opened.qty, margin: opened.margin, openPrice: opened.price, leverage: first.order.leverage };
    const same = second.order.side === first.order.side;
    const quote = quoteFromRef(u(second.ref), SPREAD);
    const price = same ? entryPrice(second.order.side, quote) : exitPrice(first.order.side, quote);
    const order = sized(second.order, price);
    return nettedEstimate(held, { side: second.order.side, price, leverage: second.order.leverage, mmr: MMR }, order);
  }
  const shown = (p) => ({ qty: text(p.qty), margin: text(p.margin), openPrice: text(p.openPrice), liquidationPrice: text(p.liquidationPrice) });

  for (const side of ["LONG", "SHORT"]) {
    test(`${side} scale-in: quantities and margins add, the entry averages against the trader`, () => {
      const c = byName(`netting ${side} 10x: margin 100 at ref 100000, then margin 37`);
      const { effect, position } = netted(c);
      assert.equal(effect, "ADD");
      assert.deepEqual(shown(position), c.expect);
    });
  }

  const OTHER_SIDE = [
    // [effect, the vector, its figures of the position after, what the test says]
    ["REDUCE", "then a SHORT of a third", "remaining", "the rest keeps its price, its margin less floor(M * q / Q)"],
    ["FLIP", "then a SHORT of its qty + 0.1", "opened", "the rest opens the other way at the fill, margin from its leverage"],
  ];
  for (const [want, name, after, says] of OTHER_SIDE) {
    test(`${want.toLowerCase()}: ${says}`, () => {
      const c = byName(`netting LONG 10x margin 300 at ref 2000, ${name}`);
      const { effect, position } = netted(c);
      assert.equal(effect, want);
      const { side, ...figures } = c.expect[after];
      assert.equal(position.side, side);
      assert.deepEqual(shown(position), figures);
    });
  }

  const HELD = { side: "LONG", qty: u("0.5"), margin: u("100"), openPrice: u("2000"), leverage: 10 };
  const RATES = { mmr: MMR, feeRate: u("0.0002"), takerRate: u("0.0005") }; // a resting limit's

  test("close: an opposite order of exactly the position's size leaves nothing", () => {
    const order = { qty: u("0.5"), margin: u("50") };
    const net = nettedEstimate(HELD, { side: "SHORT", price: u("2100"), leverage: 10, ...RATES }, order);
    // the close is a taker fill whatever the order: 2100 * 0.5 * 0.0005 = 0.525
    assert.deepEqual(net, { effect: "CLOSE", position: null, fee: u("0.525") });
  });

  test("fees: the order's rate on what it adds or opens, the taker's on what it closes", () => {
    const at = { side: "SHORT", price: u("2100"), leverage: 10, ...RATES };
    // reduce 0.2 of 0.5: 2100 * 0.2 * 0.0005 = 0.21
    assert.equal(nettedEstimate(HELD, at, { qty: u("0.2"), margin: u("42") }).fee, u("0.21"));
    // flip with 0.8: closes 0.5 (0.525 taker), opens 0.3 at the maker rate (0.126)
    assert.equal(nettedEstimate(HELD, at, { qty: u("0.8"), margin: u("168") }).fee, u("0.651"));
    // add 0.1 at 2001: 2001 * 0.1 * 0.0002 = 0.04002
    const add = nettedEstimate(HELD, { ...at, side: "LONG", price: u("2001") }, { qty: u("0.1"), margin: u("20.01") });
    assert.equal(add.fee, u("0.04002"));
  });

  test("an empty order (the ticket before a size is typed) says what any order of its side does", () => {
    const none = { qty: 0n, margin: 0n };
    const effect = (side, leverage) => nettedEstimate(HELD, { side, price: 0n, leverage, mmr: MMR }, none).effect;
    assert.deepEqual([effect("LONG", 10), effect("LONG", 20), effect("SHORT", 20)], ["ADD", "LEVERAGE", "REDUCE"]);
  });

  test("a scale-in at another leverage is refused (SPEC 12: LEVERAGE_MISMATCH)", () => {
    const at = { side: "LONG", price: u("2001"), leverage: 20, ...RATES };
    assert.deepEqual(nettedEstimate(HELD, at, { qty: u("0.1"), margin: u("10") }),
      { effect: "LEVERAGE", position: null, fee: 0n });
    // the other side may use any leverage (a reduce closes at the position's own terms)
    assert.equal(nettedEstimate(HELD, { ...at, side: "SHORT" }, { qty: u("0.1"), margin: u("10") }).effect, "REDUCE");
  });
});

describe("fee = ceil(price * qty * rate)", () => {
  test("rounds a fraction of a unit up, never down", () => {
    // 1 unit of qty at 1 USD with rate 0.0005: 5e-12 USD, charged as one unit.
    assert.equal(fee(100000000n, 1n, 50000n), 1n);
    assert.equal(fee(100000000n, 100000000n, 50000n), 50000n); // exactly 0.0005 USD
    assert.equal(fee(100000000n, 100000000n, 0n), 0n);
  });
});
