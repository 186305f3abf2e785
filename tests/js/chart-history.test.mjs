// static/trade/chart-history.js: the candle chart's history, apart from drawing it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { MAX_WAIT_MS, RETRY_MS, retryDelay } from "../../static/trade/chart-history.js";

test("a failed history request is asked again after a wait that grows, then stays bounded", () => {
  const waits = [0, 1, 2, 3, 4, 5, 50].map((n) => retryDelay(n));
  assert.deepEqual(waits, [1000, 2000, 5000, 10000, 30000, 30000, 30000]);
  assert.equal(retryDelay(0, 12), 12000); // a 429's Retry-After is followed
  assert.equal(retryDelay(4, 12), RETRY_MS[4]);
  assert.equal(retryDelay(0, 86400), MAX_WAIT_MS); // ... up to a bound
  assert.equal(retryDelay(0, null), 1000);
});
