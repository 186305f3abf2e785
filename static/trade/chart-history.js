// The candle chart's history, apart from drawing it (chart.js): candles as bars, when to ask
// again after a failed request, and joining a reload to the bars shown.

export const RETRY_MS = [1000, 2000, 5000, 10000, 30000]; // after failures in a row
export const MAX_WAIT_MS = 300_000; // a 429's Retry-After is followed up to this

/** How long to wait before asking again after `failures` failed requests in a row (0: the
 * first failure), at least a 429's Retry-After (`retryAfter`, seconds); bounded. */
export function retryDelay(failures, retryAfter = 0) {
  const wait = RETRY_MS[Math.min(Math.max(failures, 0), RETRY_MS.length - 1)];
  return Math.min(Math.max(wait, (Number(retryAfter) || 0) * 1000), MAX_WAIT_MS);
}

/** Candles (API shape, oldest first) as chart bars through `toBar`, each later than the one
 * before (a repeated or out-of-order one is dropped). */
export function toBars(candles, toBar) {
  const bars = [];
  for (const c of candles) {
    const bar = toBar(c);
    if (bars.length && !(bar.time > bars[bars.length - 1].time)) continue;
    bars.push(bar);
  }
  return bars;
}

/** The bars shown, their newest part read again (`fresh`, the newest page, oldest first;
 * `whole`: it holds the series' whole history): the shown bars before the fresh ones are
 * kept, the fresh ones replace the rest. `joined` is false when the fresh page starts after
 * the last bar shown and more may lie between (then the older bars are not kept). */
export function mergeNewest(shown, fresh, whole) {
  if (!fresh.length) return { bars: shown, joined: true };
  const start = fresh[0].time;
  const joined = whole || !shown.length || start <= shown[shown.length - 1].time;
  if (!joined) return { bars: fresh, joined };
  return { bars: [...shown.filter((b) => b.time < start), ...fresh], joined };
}

/** Where the visible logical `range` of `before` (bars, by index) lies in `after`: the bar
 * at its left edge stays at its left edge. Null when `range` is none or `after` is empty. */
export function shiftedRange(before, after, range) {
  if (!range || !before.length || !after.length) return null;
  const at = Math.min(Math.max(Math.floor(range.from), 0), before.length - 1);
  const time = before[at].time;
  let to = after.findIndex((b) => b.time >= time);
  if (to < 0) to = after.length - 1;
  return { from: range.from + to - at, to: range.to + to - at };
}

/** Whether the visible logical `range` shows the newest of `count` bars (following it). */
export const following = (range, count) => !range || range.to >= count - 1;

/** A candle (decimal strings, ms) as a chart bar (numbers, seconds), for display only, at
 * `chartTime` of its time (trade/chart-time.js). */
export function toBar(c, chartTime = (t) => t) {
  return {
    time: chartTime(Math.floor(Number(c.time) / 1000)),
    open: Number(c.open), high: Number(c.high), low: Number(c.low), close: Number(c.close),
  };
}

/** The decimals a price axis shows for prices around `price`. */
export function precisionFor(price) {
  if (!(price > 0) || price >= 1) return 2;
  return price >= 0.01 ? 4 : 6;
}
