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
  // margin 100, pnl -105, fees 0.05 open + 0.05 close (never paid): the server says -100.05;
  // the close fee is not told apart, so the figure shown is never better than the server's.
  const shown = closedResult({ pnl: "-105", fee: "0.1", funding: "0", margin: "100" });
  assert.equal(shown, toUnits("-100.1"));
  assert.ok(shown <= toUnits("-100.05"));
});

test("settled at 0 with the taker rate known: the server's figure to the unit", () => {
  // an outside review's gap liquidation: LONG 10x, margin 100, qty 0.01665833, closed at
  // 49,975 with fees 0.91624981 (open 0.49999978 + the close fee never paid,
  // ceil(49975 * 0.01665833 * 0.0005) = 0.41625003); the server's result -100.49999978
  const order = {
    pnl: "-167.49950815", fee: "0.91624981", funding: "0", margin: "100",
    closePrice: "49975", qty: "0.01665833",
  };
  assert.equal(closedResult(order, toUnits("0.0005")), toUnits("-100.49999978"));
  assert.equal(closedResult(order), toUnits("-100.91624981")); // rate unknown: never better
  // a partial close's part has no open fee in its row
  assert.equal(closedResult({ ...order, parentOrderId: "7" }, toUnits("0.0005")), toUnits("-100"));
});
