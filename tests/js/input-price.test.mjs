// static/format.js inputPrice: an edit dialog's inputs show a price or distance exactly, with
// at least the price's usual decimals (they were rounded to them: 140.123456 read 140.12 and
// a trailing distance of 0.004 read 0.00, "no trailing stop").
import assert from "node:assert/strict";
import { test } from "node:test";

import { inputPrice } from "../../static/format.js";

test("exact, never rounded", () => {
  assert.equal(inputPrice("140.12345600"), "140.123456");
  assert.equal(inputPrice("0.00400000", 2), "0.004");
  assert.equal(inputPrice("0.00000001", 2), "0.00000001");
});

test("at least the usual decimals, and empty for none", () => {
  assert.equal(inputPrice("59000.00000000"), "59000.00");
  assert.equal(inputPrice("59000.5"), "59000.50");
  assert.equal(inputPrice("0.5"), "0.5000"); // under 1: four decimals at least, as shown
  assert.equal(inputPrice("12", 2), "12.00");
  assert.equal(inputPrice(null), "");
  assert.equal(inputPrice(""), "");
});
