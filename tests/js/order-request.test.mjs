// static/trade/order-request.js: the ticket and the dialogs refuse what the server would
// refuse, name the field, and send exactly what the trader typed.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  marginRequest, ocoRequest, openRequest, pendingRequest, stopsRequest,
} from "../../static/trade/order-request.js";

const ticket = (fields) => openRequest({ asset: "BTCUSDT", side: "LONG", leverage: 10, fields });

describe("openRequest", () => {
  test("margin and the stops typed, as typed (trimmed)", () => {
    assert.deepEqual(ticket({ margin: " 100.5 ", stopLoss: "55000", takeProfit: "", trailingStop: "250.12345678" }), {
      body: { asset: "BTCUSDT", side: "LONG", leverage: 10, margin: "100.5", stopLoss: "55000", trailingStop: "250.12345678" },
    });
  });

  for (const margin of ["", "0", "0.000000000", "-5", "1e3", "1.123456789", "abc", "."]) {
    test(`margin ${JSON.stringify(margin)} is refused`, () => {
      assert.deepEqual(ticket({ margin }), {
        error: "Margin must be a positive USD amount with at most 8 decimals.", field: "margin",
      });
    });
  }

  test("the first bad stop is named", () => {
    assert.deepEqual(ticket({ margin: "100", stopLoss: "0", takeProfit: "x" }), {
      error: "Stop-loss must be a positive number with at most 8 decimals.", field: "stopLoss",
    });
    assert.deepEqual(ticket({ margin: "100", takeProfit: "70000.000000001" }), {
      error: "Take-profit must be a positive number with at most 8 decimals.", field: "takeProfit",
    });
  });
});

describe("stopsRequest", () => {
  const initial = { stopLoss: "55000.00", takeProfit: "70000.00", trailingStop: "" };

  test("only what changed; an emptied stop is removed (null)", () => {
    assert.deepEqual(stopsRequest({ stopLoss: "56000", takeProfit: "", trailingStop: "" }, initial), {
      body: { stopLoss: "56000", takeProfit: null },
    });
  });

  test("nothing changed: an empty body", () => {
    assert.deepEqual(stopsRequest({ ...initial, stopLoss: " 55000.00 " }, initial), { body: {} });
  });

  test("a bad value is refused with its field", () => {
    assert.deepEqual(stopsRequest({ ...initial, trailingStop: "-1" }, initial), {
      error: "Trailing stop must be a positive number with at most 8 decimals.", field: "trailingStop",
    });
  });
});

describe("marginRequest", () => {
  test("a positive amount", () => {
    assert.deepEqual(marginRequest(" 50 "), { body: { amount: "50" } });
  });

  test("zero is refused", () => {
    assert.deepEqual(marginRequest("0"), {
      error: "Amount must be a positive USD amount with at most 8 decimals.", field: "amount",
    });
  });
});

describe("pending orders (SPEC 12)", () => {
  const leg = {
    asset: "BTCUSDT", side: "LONG", leverage: 10, fields: { margin: "100", stopLoss: "55000" },
    type: "LIMIT", price: "58000", now: 1_000, quote: { bid: 5997000000000n, ask: 6003000000000n },
  };

  test("a limit order carries its type, price and expiry", () => {
    assert.deepEqual(pendingRequest({ ...leg, expiry: "1h" }).body, {
      asset: "BTCUSDT", side: "LONG", leverage: 10, margin: "100", stopLoss: "55000",
      type: "LIMIT", price: "58000", expiresAt: 3_601_000,
    });
    assert.equal("expiresAt" in pendingRequest(leg).body, false); // good till cancelled
  });

  test("a price is required, and a stop may not be triggered already", () => {
    assert.deepEqual(pendingRequest({ ...leg, price: "" }), {
      error: "Price must be a positive number with at most 8 decimals.", field: "price",
    });
    assert.equal(pendingRequest({ ...leg, type: "STOP", price: "60030" }).error, "A buy stop must be above the ask.");
    assert.equal(pendingRequest({ ...leg, type: "STOP", price: "60030.01" }).error, undefined);
    assert.equal(pendingRequest({ ...leg, side: "SHORT", type: "STOP", price: "59970" }).error, "A sell stop must be below the bid.");
    assert.equal(pendingRequest({ ...leg, price: "61000" }).error, undefined); // marketable limit: fills at once
  });

  test("an OCO sends both legs, or names the first fault", () => {
    const stop = { ...leg, type: "STOP", price: "61000" };
    assert.deepEqual(ocoRequest(leg, stop).body.orders.map((o) => [o.type, o.price]), [["LIMIT", "58000"], ["STOP", "61000"]]);
    assert.equal(ocoRequest(leg, { ...stop, price: "x" }).field, "price");
    assert.equal(ocoRequest(leg, { ...stop, asset: "ETHUSDT" }).field, "asset");
  });
});
