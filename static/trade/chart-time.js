// The chart's time axis in the trader's time zone. lightweight-charts reads every time as UTC
// and puts its day and month ticks at UTC midnight, so (its documented way) an intraday bar is
// given to it shifted by the zone's offset at that instant: its "chart time" reads, as UTC, the
// local wall time; a chart time is shifted back wherever it becomes a real one (the labels,
// asking for older history). When clocks go back, the two hours around the repeated one are
// drawn at half speed, so every bar stays, in order, with its true local time as its label.
// Daily candles are UTC days on the server (as on Binance, which shows one as its UTC date):
// they are not shifted and are labelled with their UTC date, never with the day before.

const two = (n) => String(n).padStart(2, "0");
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const SPAN = 3 * 3600; // s, more than any clock change
const WIDEST = 15 * 3600; // s, more than any zone's offset

/** Whether `duration`'s candles are UTC days (or longer): not shifted, labelled in UTC. */
export const isDaily = (duration) => /^\d+[dwM]$/.test(duration || "");

/** The zone's offset (s east of UTC) at the instant `t` (s). */
const offset = (t) => -new Date(t * 1000).getTimezoneOffset() * 60;

/** The clocks going back within SPAN of `t`: {at (s), gap (s), before (offset)} or null. */
function fallBack(t) {
  let lo = Math.floor(t) - SPAN;
  let hi = Math.floor(t) + SPAN;
  const before = offset(lo);
  const after = offset(hi);
  if (before <= after) return null;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offset(mid) === before) lo = mid;
    else hi = mid;
  }
  return { at: hi, gap: before - after, before };
}

/** The chart time (s) of the real time `t` (s) for a series of `duration`. */
export function toChartTime(t, duration) {
  if (isDaily(duration)) return t;
  const back = fallBack(t);
  if (back && t >= back.at - back.gap && t < back.at + back.gap) {
    const start = back.at - back.gap; // the repeated hour and the one before it: half speed
    return start + back.before + (t - start) / 2;
  }
  return t + offset(t);
}

/** The real time (s) of the chart time `c` (s): the inverse of toChartTime. */
export function realTime(c, duration) {
  if (isDaily(duration)) return c;
  let lo = Math.floor(c) - WIDEST;
  let hi = Math.ceil(c) + WIDEST;
  while (hi - lo > 1) { // the first whole second whose chart time is c or later
    const mid = Math.floor((lo + hi) / 2);
    if (toChartTime(mid, duration) >= c) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The date and time fields of the chart time `c`: local, or UTC for daily candles. */
function fields(c, duration) {
  const d = new Date(realTime(c, duration) * 1000);
  const utc = isDaily(duration) ? "UTC" : "";
  const get = (name) => d[`get${utc}${name}`]();
  return {
    y: get("FullYear"), mo: get("Month"), d: get("Date"),
    h: get("Hours"), mi: get("Minutes"), s: get("Seconds"),
  };
}

/** A time-axis label (lightweight-charts' tickMarkFormatter: 0 year, 1 month, 2 day of the
 * month, 3 time, 4 time with seconds). */
export function tickLabel(c, type, duration) {
  const f = fields(c, duration);
  switch (type) {
    case 0: return String(f.y);
    case 1: return MONTHS[f.mo];
    case 2: return String(f.d);
    case 4: return `${two(f.h)}:${two(f.mi)}:${two(f.s)}`;
    default: return `${two(f.h)}:${two(f.mi)}`;
  }
}

/** The crosshair's label: the date (a daily candle's UTC date) and the local time, with
 * seconds when `seconds`. */
export function timeLabel(c, duration, seconds = false) {
  const f = fields(c, duration);
  const date = `${f.y}-${two(f.mo + 1)}-${two(f.d)}`;
  if (isDaily(duration)) return date;
  return seconds ? `${date} ${two(f.h)}:${two(f.mi)}:${two(f.s)}` : `${date} ${two(f.h)}:${two(f.mi)}`;
}
