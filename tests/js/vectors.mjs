// The worked examples (tests/vectors/*.json) for the Node tests, and the two conversions the
// tests compare with: written here, not imported from static/, so a bug in the page's own
// parsing or formatting cannot hide a wrong figure.
import { readFileSync } from "node:fs";

const VECTORS = new URL("../vectors/", import.meta.url);

/** `positions` or `orders-v2`: the parsed JSON of that file. */
export function loadVectors(name) {
  return JSON.parse(readFileSync(new URL(`${name}.json`, VECTORS), "utf8"));
}

/** "-12.5" -> -1250000000n (units of 10^-8); at most 8 decimals. */
export function u(decimal) {
  const m = /^(-?)(\d+)(?:\.(\d{1,8}))?$/.exec(String(decimal));
  if (!m) throw new Error(`not a decimal with at most 8 places: ${decimal}`);
  const units = BigInt(m[2]) * 100000000n + BigInt((m[3] || "").padEnd(8, "0"));
  return m[1] ? -units : units;
}

/** -1250000000n -> "-12.50000000", as the API writes amounts. */
export function text(units) {
  if (typeof units !== "bigint") throw new Error(`not BigInt units: ${units}`);
  const abs = units < 0n ? -units : units;
  const body = `${abs / 100000000n}.${(abs % 100000000n).toString().padStart(8, "0")}`;
  return units < 0n ? `-${body}` : body;
}
