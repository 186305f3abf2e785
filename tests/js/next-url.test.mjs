// After signing in, ?next= may only lead to a page of this site (an open redirect would let
// a phishing link send a fresh sign-in anywhere).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { sameSitePath } from "../../static/next-url.js";

const ORIGIN = "https://velox.example";

describe("the page after signing in", () => {
  test("a path of this site is kept, query and fragment too", () => {
    assert.equal(sameSitePath("/history?asset=BTCUSDT#fills", ORIGIN), "/history?asset=BTCUSDT#fills");
    assert.equal(sameSitePath("/account", ORIGIN), "/account");
  });

  test("anything that leaves the site goes to the trade screen", () => {
    for (const next of [
      "//evil.example/phish",
      "/\\evil.example/phish", // browsers read a backslash as a slash
      "/\\/evil.example",
      "/\t/evil.example", // tabs and newlines are dropped by the URL parser
      "/.//evil.example/x", // dot segments resolve to the path "//evil.example/x"
      "/..//evil.example/",
      "/%2e//evil.example",
      "/./\\evil.example",
      "https://evil.example/",
      "javascript:alert(1)",
      "evil.example",
      "",
      null,
    ]) {
      assert.equal(sameSitePath(next, ORIGIN), "/trade", String(next));
    }
  });
});
