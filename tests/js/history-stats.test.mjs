// static/history/view.js statTexts: the server rounds the statistics against the trader to
// 8 decimals; the page's 2 decimals must not round them back in the trader's favour (a
// profit factor of 1.06601751 is not "1.07", a Sharpe of 0.16789121 not "0.17").
import assert from "node:assert/strict";
import { test } from "node:test";

import { formatUnits, toUnits } from "../../static/format.js";
import { statTexts } from "../../static/history/view.js";

const STATS = {
  trades: 5,
  winRate: "66.66666667",
  netResult: "5.30852263",
  profitFactor: "1.06601751",
  averageWin: "28.57311622",
  averageLoss: "-40.20541302",
  maxDrawdown: "71.56473431",
  maxDrawdownPercent: "6.69226253",
  sharpe: "0.16789121",
};

test("what favours the trader is rounded down, what counts against him up", () => {
  const t = statTexts(STATS);
  assert.equal(t.profitFactor, "1.06");
  assert.equal(t.sharpe, "0.16");
  assert.equal(t.winRate, "66.66 %");
  assert.equal(t.netResult, "+5.30 USD");
  assert.equal(t.averageWin, "+28.57");
  assert.equal(t.averageLoss, "−40.21"); // a loss: toward the larger
  assert.equal(t.maxDrawdown, "71.57 (6.70 %)"); // a drawdown: toward the larger
});

test("negative figures round toward the worse too; exact ones are unchanged", () => {
  const t = statTexts({ ...STATS, netResult: "-0.33483203", sharpe: "-0.12345678", profitFactor: "2.00000000" });
  assert.equal(t.netResult, "−0.34 USD");
  assert.equal(t.sharpe, "−0.13");
  assert.equal(t.profitFactor, "2.00");
  assert.equal(statTexts({ ...STATS, sharpe: null, profitFactor: null }).sharpe, "—");
});

test("formatUnits rounds half away from zero unless told a direction", () => {
  assert.equal(formatUnits(toUnits("1.066"), 2), "1.07");
  assert.equal(formatUnits(toUnits("1.066"), 2, { round: "down" }), "1.06");
  assert.equal(formatUnits(toUnits("1.061"), 2, { round: "up" }), "1.07");
  assert.equal(formatUnits(toUnits("-1.061"), 2, { round: "down" }), "−1.07");
  assert.equal(formatUnits(toUnits("-1.069"), 2, { round: "up" }), "−1.06");
  assert.equal(formatUnits(toUnits("-0.001"), 2, { round: "up" }), "0.00");
});
