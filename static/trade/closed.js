// The closed positions table (newest first, the last 200) with close-reason badges. Its
// result is after fees and funding (estimates.closedResult), as the history page shows it;
// the gross P/L and the fees are beside it.
import { closedResult } from "../estimates.js";
import {
  escapeHtml, fmt, fmtPrice, fmtQty, fmtTime, formatUnits, signClass, toUnits, unitsToString,
} from "../format.js";
import { $, feeRate } from "./dom.js";
import { REASONS, sideBadge } from "./labels.js";

const SHOWN = 200;

function closedRow(o) {
  const tr = document.createElement("tr");
  tr.dataset.testid = "closed-position-row";
  tr.dataset.orderId = o.orderId;
  const reason = o.closeReason || "";
  tr.dataset.reason = reason;
  const pnl = toUnits(o.pnl);
  const result = closedResult(o, feeRate("takerFee"));
  tr.innerHTML = `
    <td data-label="Position" class="pos-cell"><span class="sym-cell">${escapeHtml(o.asset)}</span><span class="side-cell">${sideBadge(o)}</span></td>
    <td data-label="Size" class="num">${escapeHtml(fmtQty(o.qty))}</td>
    <td data-label="Entry" class="num">${escapeHtml(fmtPrice(o.openPrice))}</td>
    <td data-label="Close" class="num">${escapeHtml(fmtPrice(o.closePrice))}</td>
    <td data-label="Reason"><span class="badge reason reason-${escapeHtml(reason.toLowerCase())}" data-testid="close-reason" data-reason="${escapeHtml(reason)}">${escapeHtml(REASONS[reason] || reason || "—")}</span></td>
    <td data-label="Margin" class="num">${escapeHtml(fmt(o.margin))}</td>
    <td data-label="P/L" class="num muted"><span data-testid="realized-pnl" data-value="${escapeHtml(o.pnl ?? "")}" title="${escapeHtml(o.pnl ?? "")}">${escapeHtml(formatUnits(pnl, 2, { sign: true }))}</span></td>
    <td data-label="Fees" class="num muted"><span data-testid="closed-fee" data-value="${escapeHtml(o.fee ?? "")}">${escapeHtml(fmt(o.fee ?? "0"))}</span></td>
    <td data-label="Result" class="num ${signClass(result)}"><span data-testid="closed-result" data-value="${escapeHtml(unitsToString(result))}" title="P/L ${escapeHtml(o.pnl ?? "")} · fees ${escapeHtml(o.fee ?? "0")} · funding ${escapeHtml(o.funding ?? "0")}">${escapeHtml(formatUnits(result, 2, { sign: true }))}</span></td>
    <td data-label="Closed" class="num muted">${escapeHtml(fmtTime(o.closedAt))}</td>`;
  return tr;
}

export function mountClosed({ store }) {
  function render() {
    const orders = store.closedOrders();
    $("closed-body").replaceChildren(...orders.slice(0, SHOWN).map(closedRow));
    $("closed-empty").hidden = orders.length > 0;
  }
  store.on("history", render);
  render();
}
