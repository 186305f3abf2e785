// static/estimates.js closedResult: a closed position's result after fees and funding, the
// figure the history page shows (SPEC 12: settlement less all the trader put in), not the
// gross P/L the trade screen used to show.
import assert from "node:assert/strict";
import { test } from "node:test";

import { closedResult } from "../../static/estimates.js";
import { toUnits } from "../../static/format.js";

test("gross +0.67 that paid 1.00 of fees is -0.33 (the server's result, to the unit)", () => {
  const order = { pnl: "0.66550028", fee: "1.00033231", funding: "0.00000000", margin: "100.00000000" };
  assert.equal(closedResult(order), toUnits("-0.33483203"));
});

test("funding received counts; no fee field counts as none", () => {
  assert.equal(closedResult({ pnl: "5.00000000", funding: "0.25000000", margin: "50" }), toUnits("5.25"));
  assert.equal(closedResult({ pnl: "-2.5", fee: "0.5", funding: "-0.1", margin: "10" }), toUnits("-3.1"));
});

test("settled at 0 (a gap through the liquidation): the loss is at most all put in", () => {
  // margin 100, pnl -105, open fee 0.05; the close fee found nothing left to pay it, so the
  // row's fee is 0.05 and the server says -100.05, with the taker rate known or not
  assert.equal(closedResult({ pnl: "-105", fee: "0.05", funding: "0", margin: "100" }), toUnits("-100.05"));
  // a row an older Velox wrote with the whole close fee (0.05 more): never better
  const shown = closedResult({ pnl: "-105", fee: "0.1", funding: "0", margin: "100" });
  assert.equal(shown, toUnits("-100.1"));
  assert.ok(shown <= toUnits("-100.05"));
});

test("settled at 0 with the taker rate known: the server's figure to the unit", () => {
  // an outside review's gap liquidation: LONG 10x, margin 100, qty 0.01665833, closed at
  // 49,975 with the open fee 0.49999978 paid (the close fee, ceil(49975 * 0.01665833 *
  // 0.0005) = 0.41625003, never was); the server's result -100.49999978
  const order = {
    pnl: "-167.49950815", fee: "0.49999978", funding: "0", margin: "100",
    closePrice: "49975", qty: "0.01665833",
  };
  assert.equal(closedResult(order, toUnits("0.0005")), toUnits("-100.49999978"));
  assert.equal(closedResult(order), toUnits("-100.49999978"));
  // the same close as an older Velox wrote it (fee 0.91624981): never better
  assert.equal(closedResult({ ...order, fee: "0.91624981" }, toUnits("0.0005")), toUnits("-100.91624981"));
  // a partial close's part has no open fee in its row
  assert.equal(closedResult({ ...order, fee: "0", parentOrderId: "7" }, toUnits("0.0005")), toUnits("-100"));
});

test("a close fee only partly paid: margin + pnl below the close fee", () => {
  // LONG 100x, margin 10, qty 0.01, open fee 0.5; closed at 99,010: pnl -9.9, close fee
  // ceil(99010 * 0.01 * 0.0005) = 0.49505, of which margin + pnl = 0.1 was paid; the row's
  // fee 0.6; the server's result -(10 - 0) - 0.5 = -10.5
  const order = {
    pnl: "-9.9", fee: "0.6", funding: "0", margin: "10", closePrice: "99010", qty: "0.01",
  };
  assert.equal(closedResult(order, toUnits("0.0005")), toUnits("-10.5"));
  // pnl - fee is then the result too (all that margin + pnl held went to the fee)
  assert.equal(closedResult(order), toUnits("-10.5"));
});
