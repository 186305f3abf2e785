// static/history/filter.js: the history filter's query (UTC days, both inclusive).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  dayStart, filterError, historyPath, historyQuery, olderQuery, withOlder,
} from "../../static/history/filter.js";
import { equitySeries } from "../../static/history/equity-chart.js";

test("a date is its UTC midnight in ms", () => {
  assert.equal(dayStart("2026-01-01"), 1767225600000);
  assert.equal(dayStart(""), null);
  assert.equal(dayStart("01/02/2026"), null);
});

test("the end date is inclusive: its last millisecond", () => {
  const q = historyQuery({ asset: "ETHUSDT", from: "2026-01-01", to: "2026-01-02" });
  assert.equal(q.toString(), "asset=ETHUSDT&startTime=1767225600000&endTime=1767398399999");
});

test("no filter, no query string", () => {
  assert.equal(historyPath("positions.csv", { asset: "", from: "", to: "" }), "/api/v1/history/positions.csv");
  assert.equal(historyPath("stats", { asset: "BTCUSDT" }), "/api/v1/history/stats?asset=BTCUSDT");
});

test("a range ending before it starts is refused before asking", () => {
  assert.equal(filterError({ from: "2026-01-02", to: "2026-01-01" }), "The end date is before the start date.");
  assert.equal(filterError({ from: "2026-01-02", to: "2026-01-02" }), "");
});

test("equity points in one second keep the last equity (the chart needs increasing times)", () => {
  assert.deepEqual(equitySeries([
    { time: 1000, equity: "1000.00000000" },
    { time: 5000, equity: "1100.00000000" },
    { time: 5900, equity: "1050.00000000" },
    { time: 7000, equity: "1080.00000000" },
  ]), [{ time: 1, value: 1000 }, { time: 5, value: 1050 }, { time: 7, value: 1080 }]);
});

test("the page after a full one ends at its oldest millisecond, and drops what was seen", () => {
  const time = (r) => r.t;
  const first = [{ id: 9, t: 5000 }, { id: 8, t: 4000 }, { id: 7, t: 3000 }, { id: 6, t: 3000 }];
  const q = olderQuery({ asset: "BTCUSDT", from: "", to: "" }, first, time);
  // 3000 again, inclusive: a third order that ended in that millisecond is not skipped
  assert.equal(q.toString(), "asset=BTCUSDT&endTime=3000&limit=502");
  const next = [{ id: 7, t: 3000 }, { id: 6, t: 3000 }, { id: 5, t: 3000 }, { id: 4, t: 2000 }];
  assert.deepEqual(withOlder(first, next, (r) => r.id).map((r) => r.id), [9, 8, 7, 6, 5, 4]);
  assert.equal(olderQuery({}, [], time).toString(), "limit=500"); // the first page
  const busy = Array.from({ length: 900 }, (_, i) => ({ id: i, t: 1000 }));
  assert.equal(olderQuery({}, busy, time).get("limit"), "1000"); // never over the server's most
});
