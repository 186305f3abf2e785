// The pending orders tab (SPEC 12): a row per resting LIMIT / STOP order (OCO legs marked),
// newest first, with Cancel (DELETE /api/v1/order/{id}). Its price and stops move by
// dragging their lines on the chart (trade/chart-view.js).
import { ApiError, del } from "../api.js";
import { escapeHtml, fmt, fmtPrice } from "../format.js";
import { toast } from "../toast.js";
import { $ } from "./dom.js";
import { sideBadge, stopsText } from "./labels.js";
import { isSignedOut } from "./session.js";

const utc = (ms) => new Date(Number(ms)).toISOString().slice(0, 16).replace("T", " ");

function pendingRow(o) {
  const tr = document.createElement("tr");
  tr.dataset.testid = "pending-row";
  tr.dataset.orderId = o.orderId;
  const kind = `${o.type || ""}${o.ocoGroupId ? " · OCO" : ""}`;
  tr.innerHTML = `
    <td data-label="Order" class="pos-cell"><span class="sym-cell">${escapeHtml(o.asset)}</span><span class="side-cell">${sideBadge(o)}</span></td>
    <td data-label="Type">${escapeHtml(kind)}</td>
    <td data-label="Price" class="num" data-testid="pending-price">${escapeHtml(fmtPrice(o.price))}</td>
    <td data-label="Margin" class="num">${escapeHtml(fmt(o.margin))}</td>
    <td data-label="SL / TP / Trail" class="num stops">${escapeHtml(stopsText(o))}</td>
    <td data-label="Expires" class="num muted">${o.expiresAt ? `${escapeHtml(utc(o.expiresAt))} UTC` : "GTC"}</td>
    <td class="actions"><button type="button" class="btn btn-xs btn-close" data-testid="cancel-button" aria-label="Cancel ${escapeHtml(o.type || "order")} ${escapeHtml(o.asset)}">Cancel</button></td>`;
  return tr;
}

export function mountPending({ store, session, orders, account }) {
  function render() {
    const list = [...store.pending.values()].sort((a, b) => Number(b.orderId) - Number(a.orderId));
    $("pending-body").replaceChildren(...list.map(pendingRow));
    $("pending-empty").hidden = list.length > 0;
    $("pending-count").textContent = String(list.length);
  }

  $("pending-body").addEventListener("click", async (event) => {
    const button = event.target.closest("[data-testid=cancel-button]");
    if (!button) return;
    const order = store.pending.get(button.closest("tr").dataset.orderId);
    if (!order) return;
    button.disabled = true;
    try {
      orders.receive(await del(`/api/v1/order/${encodeURIComponent(order.orderId)}`));
      account.refresh();
    } catch (err) {
      if (isSignedOut(err)) return session.signedOut();
      toast("error", "Cancel failed", err instanceof ApiError ? err.message : String(err));
    } finally {
      button.disabled = false;
    }
    return undefined;
  });
  store.on("pending", render);
  render();
}
