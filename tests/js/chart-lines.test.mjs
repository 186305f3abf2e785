// static/trade/chart-lines.js: the lines drawn over the chart for the shown asset.
import assert from "node:assert/strict";
import { test } from "node:test";

import { positionLines } from "../../static/trade/chart-lines.js";

const long = {
  asset: "BTCUSDT", side: "LONG", leverage: 10, openPrice: "60030.00000000",
  liquidationPrice: "54627.30000000", stopLoss: "55000.00000000", takeProfit: null,
};
const short = { ...long, side: "SHORT", leverage: 5, openPrice: "59970.00000000", liquidationPrice: "71964.00000000", stopLoss: null };
const eth = { ...long, asset: "ETHUSDT", openPrice: "3001.50000000" };

test("entry, liquidation and the stops that are set, for the shown asset only", () => {
  assert.deepEqual(positionLines([long, short, eth], "BTCUSDT"), [
    { price: "60030.00000000", color: "#3b82f6", title: "LONG 10x", style: "dashed" },
    { price: "54627.30000000", color: "#ea3943", title: "Liq.", style: "dotted" },
    { price: "55000.00000000", color: "#f97316", title: "SL", style: "dotted" },
    { price: "59970.00000000", color: "#f59e0b", title: "SHORT 5x", style: "dashed" },
    { price: "71964.00000000", color: "#ea3943", title: "Liq.", style: "dotted" },
  ]);
});

test("no position on the asset: no lines", () => {
  assert.deepEqual(positionLines([eth], "SOLUSDT"), []);
});
