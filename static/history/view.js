// What the history page shows: the statistics (exact strings in data-value, rounded text for
// people) and the closed positions table. Each new row kind (fills, funding) is one more
// row builder here.
import { escapeHtml, fmt, fmtPrice, fmtQty, formatUnits, signClass, toUnits } from "../format.js";
import { REASONS, sideBadge } from "../trade/labels.js";
import { accountLabel } from "../trade/switcher.js";

const $ = (id) => document.getElementById(id);

function setStat(name, text, value, cls = "") {
  const el = $(`stat-${name}`);
  el.textContent = text;
  el.dataset.value = value === null || value === undefined ? "" : String(value);
  el.className = cls;
}

/** "2026-01-02 15:04:05" in UTC, like the filter's dates. */
export const utcTime = (ms) => new Date(Number(ms)).toISOString().slice(0, 19).replace("T", " ");

/**
 * The statistics' texts (2 decimals). The server rounds each against the trader to 8; the
 * page's rounding must not undo that: what favours the trader (win rate, result, profit
 * factor, average win, Sharpe) is rounded down, what counts against him (the average loss,
 * the drawdown) toward the larger. Each exact figure is in its data-value.
 */
export function statTexts(s) {
  const shown = (v, round, opts = {}) => (v === null || v === undefined ? "—" : fmt(v, 2, { ...opts, round }));
  const pct = (v, round) => (v === null || v === undefined ? "—" : `${shown(v, round)} %`);
  return {
    trades: String(s.trades),
    winRate: pct(s.winRate, "down"),
    netResult: `${shown(s.netResult, "down", { sign: true })} USD`,
    profitFactor: shown(s.profitFactor, "down"),
    averageWin: shown(s.averageWin, "down", { sign: true }),
    averageLoss: shown(s.averageLoss, "down"),
    maxDrawdown: `${shown(s.maxDrawdown, "up")} (${pct(s.maxDrawdownPercent, "up")})`,
    sharpe: shown(s.sharpe, "down"),
  };
}

/** The statistics of GET /api/v1/history/stats. */
export function showStats(s) {
  const text = statTexts(s);
  setStat("trades", text.trades, s.trades);
  setStat("winRate", text.winRate, s.winRate);
  setStat("netResult", text.netResult, s.netResult, signClass(toUnits(s.netResult)));
  setStat("profitFactor", text.profitFactor, s.profitFactor);
  setStat("averageWin", text.averageWin, s.averageWin, "pos");
  setStat("averageLoss", text.averageLoss, s.averageLoss, "neg");
  setStat("maxDrawdown", text.maxDrawdown, s.maxDrawdown);
  setStat("sharpe", text.sharpe, s.sharpe);
}

function positionRow(o) {
  const tr = document.createElement("tr");
  tr.dataset.testid = "history-row";
  tr.dataset.orderId = o.orderId;
  const reason = o.closeReason || "";
  const result = toUnits(o.result);
  tr.innerHTML = `
    <td data-label="Position" class="pos-cell"><span class="sym-cell">${escapeHtml(o.asset)}</span><span class="side-cell">${sideBadge(o)}</span></td>
    <td data-label="Size" class="num">${escapeHtml(fmtQty(o.qty))}</td>
    <td data-label="Entry" class="num">${escapeHtml(fmtPrice(o.openPrice))}</td>
    <td data-label="Close" class="num">${escapeHtml(fmtPrice(o.closePrice))}</td>
    <td data-label="Reason"><span class="badge reason reason-${escapeHtml(reason.toLowerCase())}">${escapeHtml(REASONS[reason] || reason || "—")}</span></td>
    <td data-label="Margin" class="num">${escapeHtml(fmt(o.margin))}</td>
    <td data-label="Result" class="num ${signClass(result)}"><span data-testid="history-result" data-value="${escapeHtml(o.result)}" title="PnL ${escapeHtml(o.pnl)}">${escapeHtml(formatUnits(result, 2, { sign: true }))}</span></td>
    <td data-label="Closed (UTC)" class="num muted">${escapeHtml(utcTime(o.closedAt))}</td>`;
  return tr;
}

/** The rows of GET /api/v1/history/positions read so far (newest first), of `total` the
 * filter matches; `more`: the server has older ones ("Show older"). */
export function showPositions(positions, { more = false, total = null } = {}) {
  $("history-body").replaceChildren(...positions.map(positionRow));
  $("history-empty").hidden = positions.length > 0;
  const all = total === null ? positions.length : Math.max(total, positions.length);
  const noun = all === 1 ? "position" : "positions";
  $("history-count").textContent = positions.length < all
    ? `newest ${positions.length} of ${all} ${noun}` : `${all} ${noun}`;
  $("positions-more").hidden = !more;
}

/** Which account the page shows (the trade screen's choice): its name and mode. */
export function showAccount(chosen) {
  $("history-account").textContent = chosen ? `Account: ${accountLabel(chosen)}` : "";
}

function fillRow(f) {
  const tr = document.createElement("tr");
  tr.dataset.testid = "fill-row";
  tr.dataset.fillId = f.fillId;
  const pnl = toUnits(f.realizedPnl);
  tr.innerHTML = `
    <td data-label="Asset">${escapeHtml(f.asset)}</td>
    <td data-label="Side"><span class="badge ${f.side === "BUY" ? "badge-long" : "badge-short"}">${escapeHtml(f.side === "BUY" ? "Buy" : "Sell")}</span></td>
    <td data-label="Price" class="num">${escapeHtml(fmtPrice(f.price))}</td>
    <td data-label="Quantity" class="num">${escapeHtml(fmtQty(f.qty))}</td>
    <td data-label="Fee" class="num">${escapeHtml(fmt(f.fee))}</td>
    <td data-label="Realized P/L" class="num ${signClass(pnl)}">${escapeHtml(formatUnits(pnl, 2, { sign: true }))}</td>
    <td data-label="Liquidity" class="muted">${f.maker ? "Maker" : "Taker"}</td>
    <td data-label="Time (UTC)" class="num muted">${escapeHtml(utcTime(f.time))}</td>`;
  return tr;
}

/** The rows of GET /api/v1/order/user/fills read so far (newest first); `more` as above. */
export function showFills(fills, { more = false } = {}) {
  $("fills-body").replaceChildren(...fills.map(fillRow));
  $("fills-empty").hidden = fills.length > 0;
  $("fills-count").textContent = more ? `newest ${fills.length} fills` : `${fills.length} ${fills.length === 1 ? "fill" : "fills"}`;
  $("fills-more").hidden = !more;
}
