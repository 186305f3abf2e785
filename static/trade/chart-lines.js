// What the chart draws over the candles for the shown asset: one line per price a trader
// watches. Pure data (the chart turns it into lightweight-charts price lines), so pending
// orders and draggable lines add entries here without touching the chart.

const BLUE = "#3b82f6";
const AMBER = "#f59e0b";
const RED = "#ea3943";
const ORANGE = "#f97316";
const GREEN = "#16c784";

/** Entry, liquidation, stop-loss and take-profit of each open position on `symbol`. */
export function positionLines(orders, symbol) {
  const lines = [];
  const add = (price, color, title, style) => {
    if (price !== null && price !== undefined) lines.push({ price, color, title, style });
  };
  for (const o of orders) {
    if (o.asset !== symbol) continue;
    add(o.openPrice, o.side === "LONG" ? BLUE : AMBER, `${o.side} ${o.leverage}x`, "dashed");
    add(o.liquidationPrice, RED, "Liq.", "dotted");
    add(o.stopLoss, ORANGE, "SL", "dotted");
    add(o.takeProfit, GREEN, "TP", "dotted");
  }
  return lines;
}
