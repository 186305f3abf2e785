// static/estimates.js against the worked examples of SPEC sections 1-4
// (tests/vectors/positions.json), to the unit. Run: node --test tests/js/
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  accountFigures, affordableMargin, liquidationPrice, marginForQty, marginShare, pnl, qtyForMargin, quoteFromRef,
  settlement, ticketEstimate, unrealizedPnl,
} from "../../static/estimates.js";
import { loadVectors, u, text } from "./vectors.mjs";

const { cases } = loadVectors("positions");

/** The position a case opens, sized as the ticket sizes it (from margin or from qty). */
function opened(c) {
  const spread = u(c.settings.spread);
  const quote = quoteFromRef(u(c.ref), spread);
  const side = c.open.side;
  const price = side === "LONG" ? quote.ask : quote.bid;
  const est = ticketEstimate({
    side,
    price,
    leverage: c.open.leverage,
    margin: c.open.margin === undefined ? null : u(c.open.margin),
    qty: c.open.qty === undefined ? null : u(c.open.qty),
    mmr: u(c.settings.mmr),
  });
  return { side, quote, spread, mmr: u(c.settings.mmr), ...est };
}

describe("positions.json", () => {
  test("has the cases this suite walks through", () => {
    assert.equal(cases.length, 17);
    assert.equal(cases.filter((c) => c.closeAtRef).length, 13);
    assert.equal(cases.filter((c) => c.addMargin).length, 2);
    assert.equal(cases.filter((c) => c.partialClose).length, 2);
  });

  for (const c of cases) {
    describe(c.name, () => {
      test("bid and ask from the reference price", () => {
        const q = quoteFromRef(u(c.ref), u(c.settings.spread));
        assert.equal(text(q.bid), c.bid);
        assert.equal(text(q.ask), c.ask);
      });

      test("open: price, qty, margin and liquidation price", () => {
        const p = opened(c);
        assert.equal(text(p.price), c.expect.openPrice);
        assert.equal(text(p.qty), c.expect.qty);
        assert.equal(text(p.margin), c.expect.margin);
        assert.equal(text(p.liquidationPrice), c.expect.liquidationPrice);
      });

      if (c.closeAtRef) {
        test("close: price, PnL and settlement", () => {
          const p = opened(c);
          const at = quoteFromRef(u(c.closeAtRef), p.spread);
          const profit = unrealizedPnl(p.side, p.price, p.qty, at);
          const margin = p.margin + (c.addMargin ? u(c.addMargin.amount) : 0n); // added before
          assert.equal(text(p.side === "LONG" ? at.bid : at.ask), c.closeExpect.closePrice);
          assert.equal(text(profit), c.closeExpect.pnl);
          assert.equal(text(settlement(margin, profit)), c.closeExpect.settlement);
        });
      }

      if (c.addMargin) {
        test("add margin: the new margin and liquidation price", () => {
          const p = opened(c);
          const margin = p.margin + u(c.addMargin.amount);
          assert.equal(text(margin), c.addMargin.expect.margin);
          const liq = liquidationPrice(p.side, p.price, margin, p.qty, p.mmr);
          assert.equal(text(liq), c.addMargin.expect.liquidationPrice);
        });
      }

      if (c.partialClose) {
        test("partial close: the closed part settles, the rest gets a new liquidation price", () => {
          const p = opened(c);
          const { percent, atRef, closedPart, remaining } = c.partialClose;
          const qty = (p.qty * BigInt(percent)) / 100n; // SPEC 3: floor(qty * p / 100)
          const margin = (p.margin * BigInt(percent)) / 100n;
          const at = quoteFromRef(u(atRef), p.spread);
          const close = p.side === "LONG" ? at.bid : at.ask;
          const profit = pnl(p.side, p.price, close, qty);
          assert.equal(text(qty), closedPart.qty);
          assert.equal(text(margin), closedPart.margin);
          assert.equal(text(close), closedPart.closePrice);
          assert.equal(text(profit), closedPart.pnl);
          assert.equal(text(settlement(margin, profit)), closedPart.settlement);
          const restQty = p.qty - qty;
          const restMargin = p.margin - margin;
          assert.equal(text(restQty), remaining.qty);
          assert.equal(text(restMargin), remaining.margin);
          assert.equal(
            text(liquidationPrice(p.side, p.price, restMargin, restQty, p.mmr)),
            remaining.liquidationPrice,
          );
        });
      }
    });
  }
});

describe("rounding against the trader", () => {
  const SCALE = 100000000n;
  test("qty rounds down, margin rounds up", () => {
    // 1 USD at 3x on a price of 7: qty 3/7 = 0.428571428..., margin of 1 unit of qty at 3x
    // on 7 USD: 7/3 * 10^-8 USD.
    assert.equal(qtyForMargin(SCALE, 3, 7n * SCALE), 42857142n);
    assert.equal(marginForQty(1n, 3, 7n * SCALE), 3n);
  });

  test("a loss is floored too (it grows, never shrinks)", () => {
    // LONG 0.00000001 at 1.00000001 marked at 1.00000000: -10^-16 USD floors to -10^-8.
    assert.equal(pnl("LONG", SCALE + 1n, SCALE, 1n), -1n);
    assert.equal(pnl("SHORT", SCALE, SCALE + 1n, 1n), -1n);
    assert.equal(pnl("LONG", SCALE, SCALE + 1n, 1n), 0n);
  });

  test("liquidation: a LONG rounds up, a SHORT down, and a LONG never shows below 0", () => {
    const mmr = SCALE / 10n;
    // cushion = 1 * 0.9 / 7 = 0.12857142857... USD of price
    assert.equal(liquidationPrice("LONG", 10n * SCALE, SCALE, 7n * SCALE, mmr), 987142858n);
    assert.equal(liquidationPrice("SHORT", 10n * SCALE, SCALE, 7n * SCALE, mmr), 1012857142n);
    assert.equal(liquidationPrice("LONG", SCALE, 100n * SCALE, SCALE, mmr), 0n);
    assert.equal(liquidationPrice("LONG", SCALE, SCALE, 0n, mmr), null);
  });

  test("settlement never goes below zero", () => {
    assert.equal(settlement(10n, -11n), 0n);
    assert.equal(settlement(10n, -9n), 1n);
    assert.equal(settlement(10n, 0n, 10n), 0n);
  });
});

describe("account figures (SPEC 3)", () => {
  test("one position: what the server pushed for it", () => {
    // The server's balance message for a 100x LONG of 50 USD right after its open.
    const f = accountFigures(u("950"), [{ margin: u("50"), pnl: u("-4.99750080") }]);
    assert.equal(text(f.balance), "950.00000000");
    assert.equal(text(f.freeMargin), "950.00000000");
    assert.equal(text(f.usedMargin), "50.00000000");
    assert.equal(text(f.unrealizedPnl), "-4.99750080");
    assert.equal(text(f.equity), "995.00249920");
    assert.equal(f.marginLevel, "1990.00");
  });

  test("a position under water counts 0 toward equity; the level rounds down", () => {
    const f = accountFigures(u("950"), [
      { margin: u("50"), pnl: u("-4.99750080") },
      { margin: u("100"), pnl: u("-120") },
    ]);
    assert.equal(text(f.usedMargin), "150.00000000");
    assert.equal(text(f.unrealizedPnl), "-124.99750080");
    assert.equal(text(f.equity), "995.00249920");
    assert.equal(f.marginLevel, "663.33"); // 663.3349994...
  });

  test("nothing open: equity is the balance, no margin level", () => {
    const f = accountFigures(u("1000"), []);
    assert.equal(text(f.equity), "1000.00000000");
    assert.equal(text(f.usedMargin), "0.00000000");
    assert.equal(f.marginLevel, null);
  });

  test("margin reserved by pending orders is still the trader's: it counts in equity", () => {
    // as the server's balance says (views.account_figures): 50 free, 850 reserved by a
    // resting limit, 100 in a position 1.48 under water
    const f = accountFigures(u("50"), [{ margin: u("100"), pnl: u("-1.48") }], u("850"));
    assert.equal(text(f.balance), "50.00000000");
    assert.equal(text(f.freeMargin), "50.00000000");
    assert.equal(text(f.equity), "998.52000000");
    assert.equal(f.marginLevel, "998.52"); // not 148.52: no margin warning
  });
});

describe("the Max chip leaves room for the open fee", () => {
  // SPEC 12, written here: qty = floor(margin * leverage / price), fee = ceil(price * qty * rate)
  const price = u("100050"), rate = u("0.0005");
  const cost = (m, lev) => m + -(-(price * ((m * BigInt(lev) * 10n ** 8n) / price) * rate) / 10n ** 16n);

  test("margin + fee fits the free balance, to the cent", () => {
    const m = affordableMargin(u("1000"), u("1000"), { price, leverage: 10, feeRate: rate });
    assert.equal(text(m), "995.02000000"); // 995.02 + 4.9749... = 999.99..., 995.03 would not fit
    assert.ok(cost(m, 10) <= u("1000"));
    assert.ok(cost(m + u("0.01"), 10) > u("1000"));
  });

  test("a smaller share that fits is kept; no fee, no change", () => {
    assert.equal(text(affordableMargin(u("250"), u("1000"), { price, leverage: 10, feeRate: rate })), "250.00000000");
    assert.equal(text(affordableMargin(u("1000"), u("1000"), { price, leverage: 100 })), "1000.00000000");
    assert.equal(text(affordableMargin(u("0.01"), u("0.01"), { price, leverage: 100, feeRate: rate })), "0.00000000");
  });
});

describe("margin share chips", () => {
  test("a share of the free margin, rounded down to the cent", () => {
    assert.equal(text(marginShare(u("950.12345678"), 25)), "237.53000000");
    assert.equal(text(marginShare(u("950.12345678"), 100)), "950.12000000");
    assert.equal(text(marginShare(u("0.05"), 10)), "0.00000000");
    assert.equal(text(marginShare(0n, 50)), "0.00000000");
  });
});
