// The pending orders tab (SPEC 12): a row per resting LIMIT / STOP order (OCO legs marked),
// newest first, with Edit (price, stops and expiry: PATCH /api/v1/order/{id}, a dialog any
// pointer or keyboard reaches) and Cancel (DELETE). Their lines on the chart drag too
// (trade/chart-view.js).
import { ApiError, del, patch } from "../api.js";
import { escapeHtml, fmt, fmtPrice, inputPrice } from "../format.js";
import { toast } from "../toast.js";
import { $, restoreRowFocus, rowFocus, showDialog, showError, stillShown, whileBusy } from "./dom.js";
import { errorField, fieldErrors } from "./field-error.js";
import { describe, sideBadge, stopsText } from "./labels.js";
import { pendingEditRequest } from "./order-request.js";
import { isSignedOut } from "./session.js";

const INPUTS = {
  price: "pending-price-input", stopLoss: "pending-sl", takeProfit: "pending-tp", trailingStop: "pending-trailing",
};
const GONE = "This order is no longer pending.";

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
    <td class="actions"><div class="row-actions">
      <button type="button" class="btn btn-xs" data-testid="pending-edit" aria-label="Edit ${escapeHtml(o.type || "order")} ${escapeHtml(o.asset)}">Edit</button>
      <button type="button" class="btn btn-xs btn-close" data-testid="cancel-button" aria-label="Cancel ${escapeHtml(o.type || "order")} ${escapeHtml(o.asset)}">Cancel</button>
    </div></td>`;
  return tr;
}

export function mountPending({ store, session, orders, account }) {
  function render() {
    const list = [...store.pending.values()].sort((a, b) => Number(b.orderId) - Number(a.orderId));
    const body = $("pending-body");
    const focus = rowFocus(body); // the rows are rebuilt: a focused button's focus stays
    body.replaceChildren(...list.map(pendingRow));
    $("pending-empty").hidden = list.length > 0;
    $("pending-count").textContent = String(list.length);
    restoreRowFocus(body, focus, $("pending-empty"));
  }

  const dialog = $("pending-dialog");
  const dialogError = (message) => showError(dialog.querySelector(".form-error"), message);
  const invalid = fieldErrors(INPUTS, $("pending-error"));

  function openEdit(order) {
    dialog.dataset.orderId = order.orderId;
    $("pending-desc").textContent = `${order.type || "Order"} ${describe(order)}`;
    $("pending-price-label").textContent = order.type === "STOP" ? "Stop price" : "Limit price";
    $(INPUTS.price).value = inputPrice(order.price);
    $(INPUTS.stopLoss).value = inputPrice(order.stopLoss);
    $(INPUTS.takeProfit).value = inputPrice(order.takeProfit);
    $(INPUTS.trailingStop).value = inputPrice(order.trailingStop, 2);
    for (const id of Object.values(INPUTS)) $(id).dataset.initial = $(id).value;
    invalid.mark(null);
    $("pending-expiry-keep").textContent = order.expiresAt ? `Unchanged (${utc(order.expiresAt)} UTC)` : "Unchanged (good till cancelled)";
    $("pending-expiry").value = "keep";
    dialogError("");
    showDialog(dialog);
    $(INPUTS.price).focus();
  }

  async function saveEdit(event) {
    event.preventDefault();
    const order = store.pending.get(dialog.dataset.orderId || "");
    if (!order) return dialogError(GONE); // filled, expired or cancelled meanwhile
    const fields = { expiry: $("pending-expiry").value };
    const initial = {};
    for (const [key, id] of Object.entries(INPUTS)) {
      fields[key] = $(id).value;
      initial[key] = $(id).dataset.initial;
    }
    const request = pendingEditRequest(fields, initial, Date.now());
    invalid.mark(request.field || null);
    if (request.error) return dialogError(request.error);
    if (!Object.keys(request.body).length) return dialog.close();
    const shown = dialog.dataset.shown; // closed or opened again meanwhile: the answer is a toast
    // Save stays disabled until the answer: a double click on a slow network sent it twice
    return whileBusy(dialog.querySelector('button[type="submit"]'), async () => {
      try {
        const updated = await patch(`/api/v1/order/${encodeURIComponent(order.orderId)}`, request.body);
        orders.receive(updated);
        if (stillShown(dialog, shown)) dialog.close();
        account.refresh(); // the reservation follows the price
        toast("info", `Order updated: ${order.asset}`, `${updated.type || order.type} @ ${fmtPrice(updated.price)} · ${stopsText(updated)}`);
      } catch (err) {
        if (isSignedOut(err)) return session.signedOut();
        const message = err instanceof ApiError ? err.message : String(err);
        if (!stillShown(dialog, shown)) return toast("error", `Order not updated: ${order.asset}`, message);
        dialogError(message);
        invalid.mark(errorField(err));
      }
      return undefined;
    });
  }

  $("pending-form").addEventListener("submit", saveEdit);
  dialog.addEventListener("close", () => { delete dialog.dataset.orderId; });
  for (const b of dialog.querySelectorAll("[data-close]")) b.addEventListener("click", () => dialog.close());
  $("pending-body").addEventListener("click", (event) => {
    const button = event.target.closest("[data-testid=pending-edit]");
    if (!button) return;
    const order = store.pending.get(button.closest("tr").dataset.orderId);
    if (order) openEdit(order);
  });

  $("pending-body").addEventListener("click", async (event) => {
    const button = event.target.closest("[data-testid=cancel-button]");
    if (!button) return;
    const order = store.pending.get(button.closest("tr").dataset.orderId);
    if (!order) return;
    await whileBusy(button, async () => {
      try {
        orders.receive(await del(`/api/v1/order/${encodeURIComponent(order.orderId)}`));
        toast("info", `Order cancelled: ${order.asset}`, `${order.type || "Order"} @ ${fmtPrice(order.price)} · margin ${fmt(order.margin)} USD`);
        account.refresh();
      } catch (err) {
        if (isSignedOut(err)) return session.signedOut();
        toast("error", "Cancel failed", err instanceof ApiError ? err.message : String(err));
      }
      return undefined;
    });
  });
  // one render per frame however many changes come (each render is the whole table)
  let frame = 0;
  store.on("pending", () => {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; render(); });
  });
  render();
}
