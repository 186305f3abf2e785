// The candle chart's history, apart from drawing it (chart.js): when to ask again after a
// failed request.

export const RETRY_MS = [1000, 2000, 5000, 10000, 30000]; // after failures in a row
export const MAX_WAIT_MS = 300_000; // a 429's Retry-After is followed up to this

/** How long to wait before asking again after `failures` failed requests in a row (0: the
 * first failure), at least a 429's Retry-After (`retryAfter`, seconds); bounded. */
export function retryDelay(failures, retryAfter = 0) {
  const wait = RETRY_MS[Math.min(Math.max(failures, 0), RETRY_MS.length - 1)];
  return Math.min(Math.max(wait, (Number(retryAfter) || 0) * 1000), MAX_WAIT_MS);
}
