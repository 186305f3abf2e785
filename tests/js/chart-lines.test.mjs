// static/trade/chart-lines.js: the lines and markers drawn over the chart for the shown asset.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  DRAG_FIELDS, bucketSeconds, chartMarkers, closeMarkers, diffLines, dragPrice, fillMarkers,
  pendingLines, positionLines, trailingLevel,
} from "../../static/trade/chart-lines.js";

const long = {
  orderId: "1", asset: "BTCUSDT", side: "LONG", leverage: 10, openPrice: "60030.00000000",
  liquidationPrice: "54627.30000000", stopLoss: "55000.00000000", takeProfit: null,
  trailingStop: null,
};
const short = { ...long, orderId: "2", side: "SHORT", leverage: 5, openPrice: "59970.00000000", liquidationPrice: "71964.00000000", stopLoss: null };
const eth = { ...long, orderId: "3", asset: "ETHUSDT", openPrice: "3001.50000000" };

const strip = (lines) => lines.map(({ key, price, title, draggable }) => [key, price, title, draggable]);

test("entry, liquidation and the stops that are set, for the shown asset only", () => {
  assert.deepEqual(strip(positionLines([long, short, eth], "BTCUSDT")), [
    ["1:entry", "60030.00000000", "LONG 10x", false],
    ["1:liq", "54627.30000000", "Liq.", false],
    ["1:sl", "55000.00000000", "SL", true],
    ["2:entry", "59970.00000000", "SHORT 5x", false],
    ["2:liq", "71964.00000000", "Liq.", false],
  ]);
  const [entry] = positionLines([long], "BTCUSDT");
  assert.deepEqual(entry, {
    key: "1:entry", orderId: "1", kind: "entry", price: "60030.00000000", color: "#3b82f6",
    title: "LONG 10x", style: "dashed", draggable: false,
  });
});

test("take-profit drags; the trailing stop sits at its mark less (LONG) or plus (SHORT) the distance", () => {
  const o = { ...long, takeProfit: "70000.00000000", trailingStop: "500.00000000", trailingMark: "61000.00000000" };
  assert.deepEqual(strip(positionLines([o], "BTCUSDT")).slice(2), [
    ["1:sl", "55000.00000000", "SL", true],
    ["1:tp", "70000.00000000", "TP", true],
    ["1:trail", "60500.00000000", "Trail", false],
  ]);
  assert.equal(trailingLevel({ ...o, side: "SHORT", trailingMark: "59000.00000000" }), "59500.00000000");
  assert.equal(trailingLevel({ ...o, trailingMark: undefined }), null);
});

test("only changed lines are touched", () => {
  const before = new Map(positionLines([long, short], "BTCUSDT").map((l) => [l.key, l]));
  const moved = { ...long, stopLoss: "56000.00000000", liquidationPrice: "54627.30000000" };
  const d = diffLines(before, positionLines([moved, { ...short, takeProfit: "50000.00000000" }], "BTCUSDT"));
  assert.deepEqual(d.changed.map((l) => [l.key, l.price]), [["1:sl", "56000.00000000"]]);
  assert.deepEqual(d.added.map((l) => l.key), ["2:tp"]);
  assert.deepEqual(d.removed, []);
  assert.deepEqual(diffLines(before, positionLines([short], "BTCUSDT")).removed, ["1:entry", "1:liq", "1:sl"]);
});

test("a dragged price is the chart's value at the scale's precision, exactly", () => {
  assert.equal(dragPrice(58123.456789, 2), "58123.46");
  assert.equal(dragPrice(0.1 + 0.2, 4), "0.3000");
  assert.equal(dragPrice(-5, 2), null);
  assert.equal(dragPrice(Number.NaN, 2), null);
});

test("close markers sit on their candle, oldest first, coloured by the result", () => {
  const closed = [
    { orderId: "9", asset: "BTCUSDT", side: "LONG", pnl: "-5.00000000", closeReason: "STOP_LOSS", closedAt: 125_000 },
    { orderId: "7", asset: "BTCUSDT", side: "SHORT", pnl: "3.00000000", closeReason: "MANUAL", closedAt: 61_000 },
    { orderId: "8", asset: "ETHUSDT", side: "LONG", pnl: "1.00000000", closeReason: "MANUAL", closedAt: 1000 },
  ];
  assert.deepEqual(closeMarkers(closed, "BTCUSDT", "1m").map((m) => [m.id, m.time, m.text, m.color, m.shape]), [
    ["7", 60, "Close", "#16c784", "arrowUp"],
    ["9", 120, "SL", "#ea3943", "arrowDown"],
  ]);
  assert.equal(bucketSeconds(86_400_000 + 5, "1d"), 86_400);
});

test("a NETTING reduce's closed part is marked as a reduce, not a manual close", () => {
  const reduced = [{ orderId: "4", asset: "ETHUSDT", side: "LONG", pnl: "1.00000000",
    closeReason: "REDUCE", closedAt: 1000 }];
  assert.deepEqual(closeMarkers(reduced, "ETHUSDT", "1m").map((m) => m.text), ["Red."]);
});

test("a pending order draws its price (draggable: PATCH price) and the stops it will attach", () => {
  const limit = {
    orderId: "5", asset: "BTCUSDT", side: "LONG", type: "LIMIT", status: "PENDING",
    price: "58000.00000000", stopLoss: "57000.00000000", takeProfit: null,
  };
  const ocoLeg = { ...limit, orderId: "6", side: "SHORT", type: "STOP", price: "57500.00000000", stopLoss: null, ocoGroupId: "g1" };
  const lines = pendingLines([limit, ocoLeg, { ...limit, orderId: "7", asset: "ETHUSDT" }], "BTCUSDT");
  assert.deepEqual(lines.map(({ key, price, title, draggable }) => [key, price, title, draggable]), [
    ["5:pending", "58000.00000000", "LIMIT Buy", true],
    ["5:sl", "57000.00000000", "SL (pending)", true],
    ["6:pending", "57500.00000000", "OCO STOP Sell", true],
  ]);
  assert.equal(DRAG_FIELDS[lines[0].kind], "price");
});

test("fill markers join the close markers, oldest first", () => {
  const closed = [{ orderId: "9", asset: "BTCUSDT", side: "LONG", pnl: "1.00000000", closeReason: "MANUAL", closedAt: 180_000 }];
  const fills = [
    { fillId: "2", asset: "BTCUSDT", side: "SELL", time: 200_000 },
    { fillId: "1", asset: "BTCUSDT", side: "BUY", time: 61_000 },
    { fillId: "3", asset: "SOLUSDT", side: "BUY", time: 61_000 },
  ];
  assert.deepEqual(chartMarkers({ closed, fills }, "BTCUSDT", "1m").map((m) => [m.id, m.time, m.text]), [
    ["fill:1", 60, "B"],
    ["9", 180, "Close"],
    ["fill:2", 180, "S"],
  ]);
  assert.deepEqual(fillMarkers(fills, "BTCUSDT", "1m").map((m) => m.position), ["aboveBar", "belowBar"]);
});
