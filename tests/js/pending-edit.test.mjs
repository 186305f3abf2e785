// static/trade/order-request.js pendingEditRequest: the Pending tab's Edit dialog (PATCH of
// a pending order, SPEC 12: price, stops and expiresAt) sends only what changed.
import assert from "node:assert/strict";
import { test } from "node:test";

import { pendingEditRequest } from "../../static/trade/order-request.js";

const initial = { price: "59000.00", stopLoss: "58000.00", takeProfit: "", trailingStop: "" };
const NOW = 1_800_000_000_000;

test("nothing changed: an empty body", () => {
  assert.deepEqual(pendingEditRequest({ ...initial, expiry: "keep" }, initial, NOW), { body: {} });
});

test("a new price, a take-profit added, the stop-loss removed, an expiry in 1 hour", () => {
  const fields = { price: " 59100 ", stopLoss: "", takeProfit: "61000", trailingStop: "", expiry: "1h" };
  assert.deepEqual(pendingEditRequest(fields, initial, NOW), {
    body: { price: "59100", stopLoss: null, takeProfit: "61000", expiresAt: NOW + 3_600_000 },
  });
});

test("good till cancelled removes the expiry (null)", () => {
  assert.deepEqual(pendingEditRequest({ ...initial, expiry: "" }, initial, NOW), { body: { expiresAt: null } });
});

test("a price cannot be removed or malformed; a bad stop is named", () => {
  for (const price of ["", "0", "-1", "1.123456789", "x"]) {
    assert.deepEqual(pendingEditRequest({ ...initial, price, expiry: "keep" }, initial, NOW), {
      error: "Price must be a positive number with at most 8 decimals.", field: "price",
    });
  }
  assert.deepEqual(pendingEditRequest({ ...initial, takeProfit: "abc", expiry: "keep" }, initial, NOW), {
    error: "Take-profit must be a positive number with at most 8 decimals.", field: "takeProfit",
  });
});
