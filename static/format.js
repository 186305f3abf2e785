// Exact decimal handling for the UI. The API sends money, prices and quantities as decimal
// strings with 8 decimals; we keep them as BigInt units of 10^-8 (as the server does) so
// estimates and formatting never suffer float rounding. Number is used only for the chart.

export const SCALE = 100000000n;
const DECIMAL_RE = /^([+-])?(\d*)(?:\.(\d*))?$/;
const INPUT_RE = /^\d+(\.\d{1,8})?$/;

/** "92000.5" -> 9200050000000n; null/undefined/"" -> null. Throws on garbage. */
export function toUnits(value) {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "bigint") return value;
  const text = String(value).trim();
  const m = DECIMAL_RE.exec(text);
  if (!m || (m[2] === "" && (m[3] === undefined || m[3] === ""))) {
    throw new Error(`not a decimal: ${text}`);
  }
  const frac = (m[3] || "").padEnd(8, "0");
  // More than 8 decimals is truncated toward zero (display only; inputs are validated first).
  const units = BigInt(m[2] || "0") * SCALE + BigInt(frac.slice(0, 8) || "0");
  return m[1] === "-" ? -units : units;
}

/** Is `text` a positive decimal the API accepts as an input (at most 8 decimals)? */
export function isDecimalInput(text) {
  return INPUT_RE.test(String(text).trim());
}

/** The units of an input that must be a positive amount (at most 8 decimals), else null. */
export function positiveInput(text) {
  if (!isDecimalInput(text)) return null;
  const units = toUnits(String(text).trim());
  return units > 0n ? units : null;
}

/** "BTCUSDT" -> "BTC": the asset a quantity counts. */
export function baseAsset(symbol) {
  return symbol.replace(/(USDT|USDC|USD)$/, "");
}

/** Floor division for BigInt (BigInt `/` truncates toward zero). */
export function floorDiv(a, b) {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

/** Ceiling division for BigInt. */
export function ceilDiv(a, b) {
  return -floorDiv(-a, b);
}

/** Units -> plain decimal string with exactly `dp` decimals, rounded half away from zero. */
export function unitsToString(units, dp = 8, round = "half") {
  if (units === null || units === undefined) return "";
  const neg = units < 0n;
  let abs = neg ? -units : units;
  const drop = 10n ** BigInt(8 - dp);
  if (dp < 8) {
    // "half": half away from zero; "down": toward -infinity; "up": toward +infinity
    const away = round === "half" ? abs % drop >= drop / 2n
      : abs % drop !== 0n && (round === "down") === neg;
    abs = abs / drop + (away ? 1n : 0n);
  }
  const base = 10n ** BigInt(dp);
  const int = abs / base;
  const frac = abs % base;
  const body = dp > 0 ? `${int}.${frac.toString().padStart(dp, "0")}` : `${int}`;
  return neg && abs !== 0n ? `-${body}` : body;
}

function groupThousands(intPart) {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Units -> "1,234.56" (dp decimals, thousands separators). `sign` adds "+" to positives;
 * `round`: "half" (away from zero), "down" (toward -infinity) or "up" (toward +infinity). */
export function formatUnits(units, dp = 2, { sign = false, round = "half" } = {}) {
  if (units === null || units === undefined) return "—";
  const text = unitsToString(units, dp, round);
  const neg = text.startsWith("-");
  const [int, frac] = (neg ? text.slice(1) : text).split(".");
  const body = groupThousands(int) + (frac !== undefined ? `.${frac}` : "");
  if (neg) return `−${body}`; // U+2212 minus: same width as "+" in tabular figures
  return sign && units > 0n ? `+${body}` : body;
}

/** A decimal string from the API -> display string; null -> "—". */
export function fmt(value, dp = 2, opts = {}) {
  if (value === null || value === undefined || value === "") return "—";
  return formatUnits(toUnits(value), dp, opts);
}

/** Display decimals for a price of this size: 2 for >= 1, more for small prices. */
/** A price (or distance) as an edit dialog's input shows it: exact, with at least the
 * price's usual decimals (`minDp`, default priceDp's); "" for none. Rounded to those
 * decimals, 140.123456 read 140.12 and a trailing distance of 0.004 read 0.00. */
export function inputPrice(value, minDp = null) {
  if (value === null || value === undefined || value === "") return "";
  const units = toUnits(value);
  const exact = unitsToString(units, 8).replace(/\.?0+$/, "");
  const [int, frac = ""] = exact.split(".");
  const dp = minDp ?? priceDp(units);
  return dp > 0 ? `${int}.${frac.padEnd(dp, "0")}` : exact;
}

export function priceDp(units) {
  if (units === null || units === undefined) return 2;
  const abs = units < 0n ? -units : units;
  if (abs >= SCALE) return 2;
  if (abs >= SCALE / 100n) return 4;
  return 6;
}

export function fmtPrice(value) {
  if (value === null || value === undefined || value === "") return "—";
  const u = toUnits(value);
  return formatUnits(u, priceDp(u));
}

/** Quantity: up to 8 decimals, trailing zeros trimmed (keeping at least 2). */
export function fmtQty(value) {
  if (value === null || value === undefined || value === "") return "—";
  let text = unitsToString(toUnits(value), 8);
  text = text.replace(/0+$/, "");
  const [int, frac = ""] = text.split(".");
  return `${groupThousands(int)}.${frac.padEnd(2, "0")}`;
}

/** Sign class for colouring: "pos", "neg" or "" for zero / unknown. */
export function signClass(units) {
  if (units === null || units === undefined) return "";
  return units > 0n ? "pos" : units < 0n ? "neg" : "";
}

/** Percentage a/b*100 with `dp` decimals, as a display string ("—" when b is 0). */
export function percent(a, b, dp = 2) {
  if (a === null || b === null || b === 0n) return "—";
  const scaled = floorDiv(a * 100n * 10n ** BigInt(dp) * 10n, b); // one extra digit to round
  const rounded = scaled >= 0n ? (scaled + 5n) / 10n : -((-scaled + 5n) / 10n);
  const neg = rounded < 0n;
  const abs = neg ? -rounded : rounded;
  const base = 10n ** BigInt(dp);
  const body = `${abs / base}.${(abs % base).toString().padStart(dp, "0")}`;
  return neg ? `−${body}` : `${body}`;
}

/** Number for charts only. */
export function toNumber(value) {
  return value === null || value === undefined ? NaN : Number(value);
}

const timeFmt = new Intl.DateTimeFormat(undefined, {
  month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
});

export function fmtTime(ms) {
  if (ms === null || ms === undefined) return "—";
  return timeFmt.format(new Date(Number(ms)));
}

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
}
