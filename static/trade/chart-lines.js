// What the chart draws over the candles for the shown asset: one line per price a trader
// watches, and a marker per close. Pure data (the chart turns it into lightweight-charts
// price lines and markers), keyed so the chart updates only the lines that changed. Each
// line says whether it can be dragged and which field of `PATCH /api/v1/order/{id}` a drag
// changes; pending orders (SPEC 12) add a kind here without touching the chart.
import { SCALE, toUnits, unitsToString } from "../format.js";

const BLUE = "#3b82f6";
const AMBER = "#f59e0b";
const RED = "#ea3943";
const ORANGE = "#f97316";
const GREEN = "#16c784";
const VIOLET = "#a78bfa";

/** Which order field a dragged line of each kind sets. */
export const DRAG_FIELDS = { sl: "stopLoss", tp: "takeProfit", pending: "price" };

const DURATION_MS = {
  "1s": 1000, "30s": 30_000, "1m": 60_000, "5m": 300_000, "15m": 900_000,
  "1h": 3_600_000, "4h": 14_400_000, "1d": 86_400_000,
};

/** The trailing stop's trigger price, when the order carries its mark (`trailingMark`). */
export function trailingLevel(o) {
  if (o.trailingStop == null || o.trailingMark == null) return null;
  const mark = toUnits(o.trailingMark);
  const distance = toUnits(o.trailingStop);
  return unitsToString(o.side === "LONG" ? mark - distance : mark + distance, 8);
}

/**
 * Entry, liquidation, stop-loss, take-profit and trailing stop of each open position on
 * `symbol`: {key, orderId, kind, price, color, title, style, draggable}.
 */
export function positionLines(orders, symbol) {
  const lines = [];
  for (const o of orders) {
    if (o.asset !== symbol) continue;
    const add = (kind, price, color, title, style) => {
      if (price === null || price === undefined) return;
      lines.push({ key: `${o.orderId}:${kind}`, orderId: o.orderId, kind, price, color, title, style,
        draggable: kind in DRAG_FIELDS });
    };
    add("entry", o.openPrice, o.side === "LONG" ? BLUE : AMBER, `${o.side} ${o.leverage}x`, "dashed");
    add("liq", o.liquidationPrice, RED, "Liq.", "dotted");
    add("sl", o.stopLoss, ORANGE, "SL", "dotted");
    add("tp", o.takeProfit, GREEN, "TP", "dotted");
    add("trail", trailingLevel(o), VIOLET, "Trail", "dotted");
  }
  return lines;
}

/**
 * A line per pending order on `symbol` (SPEC 12: LIMIT / STOP, OCO legs) at its price, and
 * its stops, which attach to the position at the fill: the order's price line drags to a new
 * price (PATCH `price`), its stops drag like a position's.
 */
export function pendingLines(orders, symbol) {
  const lines = [];
  for (const o of orders) {
    if (o.asset !== symbol || o.price === null || o.price === undefined) continue;
    const line = (kind, price, color, title) => ({
      key: `${o.orderId}:${kind}`, orderId: o.orderId, kind, price, color, title, style: "dashed",
      draggable: kind in DRAG_FIELDS,
    });
    const type = o.ocoGroupId ? `OCO ${o.type || ""}`.trim() : (o.type || "Order");
    lines.push(line("pending", o.price, VIOLET, `${type} ${o.side === "LONG" ? "Buy" : "Sell"}`));
    if (o.stopLoss != null) lines.push(line("sl", o.stopLoss, ORANGE, "SL (pending)"));
    if (o.takeProfit != null) lines.push(line("tp", o.takeProfit, GREEN, "TP (pending)"));
  }
  return lines;
}

/** The bucket start (seconds) of `ms` at `duration`: where a marker sits on the candles. */
export function bucketSeconds(ms, duration) {
  const size = DURATION_MS[duration] || 60_000;
  return Math.floor(Number(ms) / size) * size / 1000;
}

const CLOSE_TEXT = {
  STOP_LOSS: "SL", TAKE_PROFIT: "TP", TRAILING_STOP: "Trail", LIQUIDATION: "Liq.",
  PARTIAL: "Part", REDUCE: "Red.", MANUAL: "Close",
};

/** A marker per fill on `symbol` (SPEC 12 `fill` messages: BUY below, SELL above). */
export function fillMarkers(fills, symbol, duration) {
  return fills
    .filter((f) => f.asset === symbol && f.time != null)
    .map((f) => ({
      time: bucketSeconds(f.time, duration),
      position: f.side === "BUY" ? "belowBar" : "aboveBar",
      color: f.side === "BUY" ? BLUE : AMBER,
      shape: "circle",
      text: f.side === "BUY" ? "B" : "S",
      id: `fill:${f.fillId}`,
    }));
}

/** Markers of closes and fills together, oldest first (the chart requires the order). */
export function chartMarkers({ closed, fills = [] }, symbol, duration) {
  return [...closeMarkers(closed, symbol, duration), ...fillMarkers(fills, symbol, duration)]
    .sort((a, b) => a.time - b.time);
}

/** A marker per closed position on `symbol` (oldest first, as the chart requires). */
export function closeMarkers(closed, symbol, duration) {
  return closed
    .filter((o) => o.asset === symbol && o.closedAt != null)
    .map((o) => {
      const win = toUnits(o.pnl ?? "0") >= 0n;
      return {
        time: bucketSeconds(o.closedAt, duration),
        position: o.side === "LONG" ? "aboveBar" : "belowBar",
        color: win ? GREEN : RED,
        shape: o.side === "LONG" ? "arrowDown" : "arrowUp",
        text: CLOSE_TEXT[o.closeReason] || "Close",
        id: o.orderId,
      };
    })
    .sort((a, b) => a.time - b.time || Number(a.id) - Number(b.id));
}

/**
 * A dragged line's price as the API takes it: the chart's float rounded to `dp` decimals
 * (the price scale's precision), as an exact decimal string. Null for nothing sensible.
 */
export function dragPrice(value, dp) {
  if (!Number.isFinite(value) || value <= 0) return null;
  const text = value.toFixed(dp);
  const units = toUnits(text);
  return units > 0n && units < 10n ** 12n * SCALE ? unitsToString(units, dp) : null;
}

/**
 * What changed between two line sets (by key): lines to add, to move (new price, title...)
 * and keys to remove. The chart applies only that: 200 positions whose marks move update
 * a few lines, never all of them.
 */
export function diffLines(before, after) {
  const added = [];
  const changed = [];
  const seen = new Set();
  for (const line of after) {
    seen.add(line.key);
    const old = before.get(line.key);
    if (!old) added.push(line);
    else if (old.price !== line.price || old.title !== line.title || old.color !== line.color) changed.push(line);
  }
  const removed = [...before.keys()].filter((key) => !seen.has(key));
  return { added, changed, removed };
}
