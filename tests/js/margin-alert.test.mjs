// static/trade/margin-alert.js: the warning under a margin level of 150 % (SPEC 16).
import assert from "node:assert/strict";
import { test } from "node:test";

import { underWarning } from "../../static/trade/margin-alert.js";

test("under 150 % warns; 150 % itself, no position (null) and nothing known do not", () => {
  assert.equal(underWarning("149.99"), true);
  assert.equal(underWarning("55.00"), true);
  assert.equal(underWarning("150.00"), false);
  assert.equal(underWarning("999.00"), false);
  assert.equal(underWarning(null), false);
  assert.equal(underWarning(""), false);
  assert.equal(underWarning(14_999_000_000n), true); // units, as the live figures give it
});
