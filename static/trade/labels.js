// How positions are named in rows, dialogs and toasts.
import { baseAsset, escapeHtml, fmtPrice, fmtQty } from "../format.js";

export const REASONS = {
  MANUAL: "Manual", PARTIAL: "Partial", STOP_LOSS: "Stop-loss", TAKE_PROFIT: "Take-profit",
  TRAILING_STOP: "Trailing stop", LIQUIDATION: "Liquidation", REDUCE: "Reduced",
};

export const sideName = (side) => (side === "LONG" ? "Long" : "Short");

/** "LONG 0.0833 BTCUSDT 100x": names a position in labels and dialogs. */
export function describe(order) {
  return `${order.side} ${fmtQty(order.qty)} ${order.asset} ${order.leverage}x`;
}

/** "Long BTCUSDT 100x": the title of a toast about a position. */
export function headline(order) {
  return `${sideName(order.side)} ${order.asset} ${order.leverage}x`;
}

/** "0.0833 BTC @ 60,030.00": a fill or a close. */
export function fillText(order, price) {
  return `${fmtQty(order.qty)} ${baseAsset(order.asset)} @ ${fmtPrice(price)}`;
}

/** The side badge and leverage (HTML; every part escaped). */
export function sideBadge(order) {
  const cls = order.side === "LONG" ? "badge-long" : "badge-short";
  return `<span class="badge ${cls}">${sideName(order.side)}</span><span class="lev">${escapeHtml(Number(order.leverage))}x</span>`;
}

/** "55,000.00 / 70,000.00 / —": stop-loss, take-profit, trailing distance. */
export function stopsText(order) {
  const part = (v) => (v === null || v === undefined ? "—" : fmtPrice(v));
  return `${part(order.stopLoss)} / ${part(order.takeProfit)} / ${part(order.trailingStop)}`;
}
