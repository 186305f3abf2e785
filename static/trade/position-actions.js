// What the buttons of an open position's row do: close all or part of it, edit its stops,
// add margin (with the new liquidation price previewed as the amount is typed).
import { ApiError, patch, post } from "../api.js";
import { liquidationPrice } from "../estimates.js";
import { fmt, fmtPrice, formatUnits, inputPrice, positiveInput, priceDp, toUnits } from "../format.js";
import { toast } from "../toast.js";
import { $, showDialog, showError, stillShown, whileBusy } from "./dom.js";
import { errorField, fieldErrors } from "./field-error.js";
import { describe, stopsText } from "./labels.js";
import { STOPS, marginRequest, stopsRequest } from "./order-request.js";
import { isSignedOut } from "./session.js";

const GONE = "This position is no longer open.";
const STOP_INPUTS = { stopLoss: "edit-sl", takeProfit: "edit-tp", trailingStop: "edit-trailing" };
const orderPath = (order, tail = "") => `/api/v1/order/${encodeURIComponent(order.orderId)}${tail}`;
const closePath = (order) => `/api/v1/order/close/${encodeURIComponent(order.orderId)}`;

export function mountPositionActions({ store, session, account, orders }) {
  const editDialog = $("edit-dialog");
  const marginDialog = $("margin-dialog");
  const dialogError = (dialog, message) => showError(dialog.querySelector(".form-error"), message);
  // A dialog's Save is disabled until its request is answered: on a slow network a double
  // click (or Enter pressed twice) sent it twice, and adding margin is not idempotent.
  const saveButton = (dialog) => dialog.querySelector('button[type="submit"]');
  /** The open position a dialog is about (its id is kept on the dialog while it is open). */
  const subject = (dialog) => store.open.get(dialog.dataset.orderId || "");
  const stopErrors = fieldErrors(STOP_INPUTS, $("edit-error"));
  const marginErrors = fieldErrors({ amount: "margin-amount" }, $("margin-error"));
  const AMOUNT = { margin: "amount" }; // the margin dialog's one field: "not enough" is its

  const close = (order, percentValue, button) => whileBusy(button, async () => {
    // another account chosen before the answer: the screen drops this one's orders, but
    // the close and its result are still said, naming the account
    const accountId = store.accountId;
    const closed = (record) => (store.accountId === accountId
      ? orders.receive(record) : orders.receiveElsewhere(record, accountId));
    try {
      if (percentValue) {
        const res = await post(closePath(order), { percent: percentValue });
        if (res.closed) closed(res.closed);
        if (res.order) orders.receive(res.order);
      } else {
        closed(await post(closePath(order)));
      }
      await account.refresh();
    } catch (err) {
      if (err instanceof ApiError && err.code === "ORDER_CLOSED") {
        store.forgetOpen(order.orderId);
        orders.loadClosed().catch((e) => session.failed(e, "Could not refresh"));
      }
      session.failed(err, "Close failed");
    }
  });

  function openEdit(order) {
    editDialog.dataset.orderId = order.orderId;
    $("edit-desc").textContent = describe(order);
    $("edit-sl").value = inputPrice(order.stopLoss);
    $("edit-tp").value = inputPrice(order.takeProfit);
    $("edit-trailing").value = inputPrice(order.trailingStop, 2);
    for (const id of Object.values(STOP_INPUTS)) $(id).dataset.initial = $(id).value;
    stopErrors.mark(null);
    dialogError(editDialog, "");
    showDialog(editDialog);
    $("edit-sl").focus();
  }

  async function saveEdit(event) {
    event.preventDefault();
    const order = subject(editDialog);
    if (!order) return dialogError(editDialog, GONE);
    const fields = {};
    const initial = {};
    for (const [key] of STOPS) {
      fields[key] = $(STOP_INPUTS[key]).value;
      initial[key] = $(STOP_INPUTS[key]).dataset.initial;
    }
    const request = stopsRequest(fields, initial);
    stopErrors.mark(request.field || null);
    if (request.error) return dialogError(editDialog, request.error);
    if (!Object.keys(request.body).length) return editDialog.close();
    const shown = editDialog.dataset.shown; // closed or opened again meanwhile: the answer is a toast
    return whileBusy(saveButton(editDialog), async () => {
      try {
        orders.receive(await patch(orderPath(order), request.body));
        if (stillShown(editDialog, shown)) editDialog.close();
        toast("info", `Stops updated: ${order.asset}`, stopsText(store.open.get(order.orderId) || order));
      } catch (err) {
        if (isSignedOut(err)) return session.signedOut();
        if (!stillShown(editDialog, shown)) return toast("error", `Stops not updated: ${order.asset}`, err.message);
        dialogError(editDialog, err.message);
        stopErrors.mark(errorField(err));
      }
      return undefined;
    });
  }

  function openMargin(order) {
    marginDialog.dataset.orderId = order.orderId;
    $("margin-desc").textContent = describe(order);
    $("margin-amount").value = "";
    marginErrors.mark(null);
    $("margin-free").textContent = store.account ? fmt(store.account.freeMargin ?? store.account.balance) : "—";
    $("margin-liq").textContent = fmtPrice(order.liquidationPrice);
    dialogError(marginDialog, "");
    showDialog(marginDialog);
    $("margin-amount").focus();
  }

  /** The liquidation price the position would have with the typed amount added. */
  function previewMargin() {
    const order = subject(marginDialog);
    if (!order) return;
    const amount = positiveInput($("margin-amount").value);
    if (amount === null) {
      $("margin-liq").textContent = fmtPrice(order.liquidationPrice);
      return;
    }
    const open = toUnits(order.openPrice);
    const liq = liquidationPrice(order.side, open, toUnits(order.margin) + amount, toUnits(order.qty), store.mmr);
    $("margin-liq").textContent = liq === null ? "—" : formatUnits(liq, priceDp(open));
  }

  async function saveMargin(event) {
    event.preventDefault();
    const order = subject(marginDialog);
    if (!order) return dialogError(marginDialog, GONE);
    const request = marginRequest($("margin-amount").value);
    marginErrors.mark(request.error ? "amount" : null);
    if (request.error) return dialogError(marginDialog, request.error);
    const shown = marginDialog.dataset.shown; // (as the stops dialog's)
    return whileBusy(saveButton(marginDialog), async () => {
      try {
        orders.receive(await post(orderPath(order, "/margin"), request.body));
        if (stillShown(marginDialog, shown)) marginDialog.close();
        account.refresh();
        const liq = fmtPrice(store.open.get(order.orderId)?.liquidationPrice);
        toast("info", `Margin added: ${order.asset}`, `${fmt(request.body.amount)} USD · new liq. price ${liq}`);
      } catch (err) {
        if (isSignedOut(err)) return session.signedOut();
        if (!stillShown(marginDialog, shown)) return toast("error", `Margin not added: ${order.asset}`, err.message);
        dialogError(marginDialog, err.message);
        marginErrors.mark(errorField(err, AMOUNT));
      }
      return undefined;
    });
  }

  function onRowAction(event) {
    const button = event.target.closest("button[data-act]");
    if (!button) return undefined;
    const order = store.open.get(button.closest("tr").dataset.orderId);
    if (!order) return undefined;
    switch (button.dataset.act) {
      case "close": return close(order, null, button);
      case "partial": return close(order, Number(button.dataset.percent), button);
      case "edit": return openEdit(order);
      case "margin": return openMargin(order);
      default: return undefined;
    }
  }

  $("open-body").addEventListener("click", onRowAction);
  $("edit-form").addEventListener("submit", saveEdit);
  $("margin-form").addEventListener("submit", saveMargin);
  $("margin-amount").addEventListener("input", previewMargin);
  for (const dialog of [editDialog, marginDialog]) {
    dialog.addEventListener("close", () => { delete dialog.dataset.orderId; });
    for (const b of dialog.querySelectorAll("[data-close]")) b.addEventListener("click", () => dialog.close());
  }
}
