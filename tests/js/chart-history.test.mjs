// static/trade/chart-history.js: the candle chart's history, apart from drawing it.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  MAX_WAIT_MS, RETRY_MS, following, mergeNewest, retryDelay, shiftedRange, toBars,
} from "../../static/trade/chart-history.js";

test("a failed history request is asked again after a wait that grows, then stays bounded", () => {
  const waits = [0, 1, 2, 3, 4, 5, 50].map((n) => retryDelay(n));
  assert.deepEqual(waits, [1000, 2000, 5000, 10000, 30000, 30000, 30000]);
  assert.equal(retryDelay(0, 12), 12000); // a 429's Retry-After is followed
  assert.equal(retryDelay(4, 12), RETRY_MS[4]);
  assert.equal(retryDelay(0, 86400), MAX_WAIT_MS); // ... up to a bound
  assert.equal(retryDelay(0, null), 1000);
});

const bar = (time, close = 1) => ({ time, close });
const times = (bars) => bars.map((b) => b.time);

test("toBars keeps each bar later than the one before", () => {
  const bars = toBars([{ t: 1 }, { t: 3 }, { t: 3 }, { t: 2 }, { t: 4 }], (c) => bar(c.t));
  assert.deepEqual(times(bars), [1, 3, 4]);
});

test("a reload keeps the older pages and replaces the newest part with what was read", () => {
  const shown = [1, 2, 3, 4, 5, 6].map((t) => bar(t, 0));
  const fresh = [4, 5, 6, 7].map((t) => bar(t, 9));
  const { bars, joined } = mergeNewest(shown, fresh, false);
  assert.equal(joined, true);
  assert.deepEqual(times(bars), [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(bars.map((b) => b.close), [0, 0, 0, 9, 9, 9, 9]); // the server's bars win
  // a bar filled in among the shown ones
  assert.deepEqual(times(mergeNewest(shown, [3, 3.5, 4, 5, 6].map((t) => bar(t)), false).bars),
    [1, 2, 3, 3.5, 4, 5, 6]);
  assert.deepEqual(times(mergeNewest(shown, [], false).bars), times(shown)); // nothing read: kept
  assert.deepEqual(times(mergeNewest([], fresh, false).bars), [4, 5, 6, 7]);
});

test("a page that starts after the last bar shown leaves a hole, unless it is the whole history", () => {
  const shown = [1, 2, 3].map((t) => bar(t));
  const fresh = [10, 11].map((t) => bar(t));
  assert.deepEqual(mergeNewest(shown, fresh, false), { bars: fresh, joined: false });
  assert.deepEqual(times(mergeNewest(shown, fresh, true).bars), [1, 2, 3, 10, 11]);
});

test("the view keeps the bar at its left edge where it is; following is the newest bar shown", () => {
  const before = [5, 6, 7, 8].map((t) => bar(t));
  const after = [1, 2, 3, 5, 6, 7, 8, 9].map((t) => bar(t));
  assert.deepEqual(shiftedRange(before, after, { from: 1.5, to: 2.5 }), { from: 4.5, to: 5.5 });
  assert.deepEqual(shiftedRange(before, after, { from: -3, to: 2 }), { from: 0, to: 5 });
  assert.equal(shiftedRange(before, after, null), null);
  assert.equal(following({ from: 0, to: 3.4 }, 4), true);
  assert.equal(following({ from: 0, to: 1.5 }, 4), false);
});
