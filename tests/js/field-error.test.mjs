// static/trade/field-error.js: which field a refusal is about, and aria-describedby lists.
import assert from "node:assert/strict";
import { test } from "node:test";

import { errorField, withId } from "../../static/trade/field-error.js";

test("a refusal's own field first, else the field its code is about", () => {
  assert.equal(errorField({ code: "VALIDATION_ERROR", field: "trailingStop" }), "trailingStop");
  assert.equal(errorField({ code: "INSUFFICIENT_BALANCE", field: null }), "margin");
  assert.equal(errorField({ code: "INVALID_STOP_LOSS" }), "stopLoss");
  assert.equal(errorField({ code: "INVALID_TAKE_PROFIT" }), "takeProfit");
  assert.equal(errorField({ code: "WOULD_TRIGGER_IMMEDIATELY" }), "price");
  assert.equal(errorField({ code: "ORDER_CLOSED" }), null);
  assert.equal(errorField(null), null);
  // the margin dialog's one field is "amount"
  assert.equal(errorField({ code: "INSUFFICIENT_BALANCE" }, { margin: "amount" }), "amount");
});

test("the error's id joins the hint's in aria-describedby and leaves it alone", () => {
  assert.equal(withId("order-margin-hint", "order-error", true), "order-margin-hint order-error");
  assert.equal(withId("order-margin-hint order-error", "order-error", true), "order-margin-hint order-error");
  assert.equal(withId("order-margin-hint order-error", "order-error", false), "order-margin-hint");
  assert.equal(withId(null, "edit-error", true), "edit-error");
  assert.equal(withId("edit-error", "edit-error", false), "");
});
