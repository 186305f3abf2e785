// The history filter: form values to the query string every history endpoint takes (the
// JSON list, the CSV download and the statistics read the same rows). Dates are UTC days,
// both inclusive. No DOM here: Node's test runner imports it as it is.

const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** "2026-01-02" -> ms of that UTC midnight; "" or garbage -> null. */
export function dayStart(text) {
  const m = DATE_RE.exec(text || "");
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

/** {asset, from, to} as typed -> URLSearchParams (`to` is inclusive: its last ms). */
export function historyQuery({ asset = "", from = "", to = "" } = {}) {
  const q = new URLSearchParams();
  if (asset) q.set("asset", asset);
  const start = dayStart(from);
  const end = dayStart(to);
  if (start !== null) q.set("startTime", String(start));
  if (end !== null) q.set("endTime", String(end + DAY_MS - 1));
  return q;
}

/** The path of `endpoint` ("positions", "positions.csv", "stats") for these filters. */
export function historyPath(endpoint, filters) {
  const q = historyQuery(filters).toString();
  return `/api/v1/history/${endpoint}${q ? `?${q}` : ""}`;
}

/** An error to show before asking the server, or "" (a range that ends before it starts). */
export function filterError({ from = "", to = "" } = {}) {
  const start = dayStart(from);
  const end = dayStart(to);
  if (start !== null && end !== null && end < start) return "The end date is before the start date.";
  return "";
}

export const PAGE = 500; // rows per request (the server's default; at most MAX_PAGE)
export const MAX_PAGE = 1000;

/**
 * The filter's query for the page after `rows` (newest first, `timeOf(row)` in ms):
 * endTime is the oldest row's millisecond, inclusive, so rows that ended in that same
 * millisecond are not skipped; the limit grows by the rows already seen in it, whose
 * repeats `withOlder` drops.
 */
export function olderQuery(filters, rows, timeOf) {
  const q = historyQuery(filters);
  if (!rows.length) {
    q.set("limit", String(PAGE));
    return q;
  }
  const oldest = timeOf(rows[rows.length - 1]);
  const seen = rows.filter((row) => timeOf(row) === oldest).length;
  q.set("endTime", String(oldest));
  q.set("limit", String(Math.min(MAX_PAGE, PAGE + seen)));
  return q;
}

/** `rows`, then the rows of `page` that are not among them already (by `idOf`). */
export function withOlder(rows, page, idOf) {
  const seen = new Set(rows.map(idOf));
  return [...rows, ...page.filter((row) => !seen.has(idOf(row)))];
}
