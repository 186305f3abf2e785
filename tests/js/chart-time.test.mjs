// static/trade/chart-time.js: the chart's time axis in the trader's time zone. The oracle is
// Intl's own time zone data, not the module's offset arithmetic.
import assert from "node:assert/strict";
import { test } from "node:test";

import { realTime, tickLabel, timeLabel, toChartTime } from "../../static/trade/chart-time.js";

const s = (iso) => Date.parse(iso) / 1000;
function wall(t, timeZone) { // "YYYY-MM-DD HH:MM:SS" of the instant t (s) in timeZone
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
    timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
    minute: "2-digit", second: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date(t * 1000)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}
const asUtc = (c) => new Date(c * 1000).toISOString().slice(0, 19).replace("T", " ");
const inZone = (zone, fn) => () => {
  const was = process.env.TZ;
  process.env.TZ = zone;
  try { fn(); } finally { process.env.TZ = was; }
};

test("New York, hourly bars: the chart time reads the local wall time; labels agree", inZone("America/New_York", () => {
  for (let t = s("2026-11-28T00:00:00Z"); t < s("2026-12-08T00:00:00Z"); t += 3600) {
    const c = toChartTime(t, "1h");
    assert.equal(asUtc(c), wall(t, "America/New_York")); // day ticks at local midnight
    assert.equal(realTime(c, "1h"), t);
    assert.equal(timeLabel(c, "1h"), wall(t, "America/New_York").slice(0, 16));
  }
  const midnight = toChartTime(s("2026-12-06T05:00:00Z"), "1h"); // local 2026-12-06 00:00
  assert.equal(midnight % 86400, 0);
  assert.equal(tickLabel(midnight, 2, "1h"), "6"); // it was "5" (the UTC-midnight bar's local date)
  assert.equal(tickLabel(toChartTime(s("2026-12-01T05:00:00Z"), "1h"), 1, "1h"), "Dec"); // was "Nov"
  assert.equal(tickLabel(toChartTime(s("2026-12-06T00:00:00Z"), "1h"), 3, "1h"), "19:00");
}));

test("daily candles are UTC days: not shifted, labelled with their UTC date in any zone", () => {
  for (const zone of ["America/New_York", "Asia/Tokyo", "Pacific/Kiritimati", "Pacific/Pago_Pago"]) {
    inZone(zone, () => {
      const day = s("2026-12-06T00:00:00Z");
      assert.equal(toChartTime(day, "1d"), day);
      assert.equal(realTime(day, "1d"), day);
      assert.equal(timeLabel(day, "1d"), "2026-12-06");
      assert.equal(tickLabel(day, 2, "1d"), "6");
      assert.equal(tickLabel(s("2026-12-01T00:00:00Z"), 1, "1d"), "Dec");
      assert.equal(tickLabel(s("2027-01-01T00:00:00Z"), 0, "1d"), "2027");
    })();
  }
});

test("Tokyo (UTC+9): the local midnight bar carries the local date", inZone("Asia/Tokyo", () => {
  const c = toChartTime(s("2026-12-06T15:00:00Z"), "4h"); // 2026-12-07 00:00 in Tokyo
  assert.equal(c % 86400, 0);
  assert.equal(tickLabel(c, 2, "4h"), "7");
  assert.equal(timeLabel(c, "4h"), "2026-12-07 00:00");
}));

for (const [zone, back, forward] of [
  ["America/New_York", "2026-11-01T06:00:00Z", "2026-03-08T07:00:00Z"],
  ["Europe/Berlin", "2026-10-25T01:00:00Z", "2026-03-29T01:00:00Z"],
  ["Australia/Lord_Howe", "2026-04-04T15:00:00Z", "2026-10-03T16:00:00Z"], // 30 min changes
]) {
  test(`${zone}: across the clock changes every bar stays, in order, labelled with its local time`, inZone(zone, () => {
    for (const change of [back, forward]) {
      for (const [duration, step] of [["1s", 1], ["30s", 30], ["1m", 60], ["1h", 3600]]) {
        let previous = -Infinity;
        for (let t = s(change) - 4 * 3600; t < s(change) + 4 * 3600; t += step) {
          const c = toChartTime(t, duration);
          assert.ok(c > previous, `${duration} ${asUtc(t)}: ${c} after ${previous}`);
          previous = c;
          assert.equal(realTime(c, duration), t);
          if (step >= 60 || t % 600 === 0) {
            assert.equal(timeLabel(c, duration, true), wall(t, zone));
          }
        }
      }
    }
  }));
}
