// The order ticket: side, margin, leverage and stops, the estimate of what the order will
// be (estimates.ticketEstimate, at the side's quote), and sending it.
import { post } from "../api.js";
import { entryPrice, marginShare, ticketEstimate } from "../estimates.js";
import {
  baseAsset, fmt, fmtQty, formatUnits, positiveInput, priceDp, toUnits, unitsToString,
} from "../format.js";
import { toast } from "../toast.js";
import { $, showError } from "./dom.js";
import { sideName } from "./labels.js";
import { openRequest } from "./order-request.js";
import { isSignedOut } from "./session.js";

/** Request field -> the ticket's input (also for the server's `field` in a refusal). */
const INPUTS = { margin: "order-margin", stopLoss: "order-sl", takeProfit: "order-tp", trailingStop: "order-trailing" };
const STOP_INPUTS = ["order-sl", "order-tp", "order-trailing"];

const leverage = () => Number($("order-leverage").value);

function markInvalid(field) {
  for (const [key, id] of Object.entries(INPUTS)) {
    $(id).setAttribute("aria-invalid", key === field ? "true" : "false");
  }
}

export function mountTicket({ store, session, account, orders }) {
  const sideButtons = [...document.querySelectorAll(".side-group .side")];

  function showSidePrices() {
    const q = store.quotes.get(store.symbol);
    $("side-short-price").textContent = q ? formatUnits(q.bid, priceDp(q.bid)) : "—";
    $("side-long-price").textContent = q ? formatUnits(q.ask, priceDp(q.ask)) : "—";
  }

  function showEstimate() {
    const lev = leverage();
    $("order-leverage-value").textContent = `${lev}x`;
    const submit = $("order-submit");
    submit.textContent = `Open ${sideName(store.side)} ${lev}x`;
    submit.classList.toggle("btn-long", store.side === "LONG");
    submit.classList.toggle("btn-short", store.side === "SHORT");
    const q = store.quotes.get(store.symbol);
    const margin = positiveInput($("order-margin").value);
    for (const id of ["order-entry", "order-size", "order-notional", "order-liq"]) $(id).textContent = "—";
    if (!q) return;
    const price = entryPrice(store.side, q);
    const dp = priceDp(price);
    $("order-entry").textContent = formatUnits(price, dp);
    if (margin === null) return;
    const est = ticketEstimate({ side: store.side, price, leverage: lev, margin, mmr: store.mmr });
    $("order-size").textContent = est.qty > 0n ? `${fmtQty(unitsToString(est.qty))} ${baseAsset(store.symbol)}` : "too small";
    $("order-notional").textContent = `${formatUnits(est.notional, 2)} USD`;
    $("order-liq").textContent = est.liquidationPrice === null ? "—" : formatUnits(est.liquidationPrice, dp);
  }

  function refuse(message, field) {
    showError($("order-error"), message);
    markInvalid(field);
    if (field && INPUTS[field]) $(INPUTS[field]).focus();
  }

  async function submit(event) {
    event.preventDefault();
    showError($("order-error"), "");
    const fields = Object.fromEntries(Object.entries(INPUTS).map(([key, id]) => [key, $(id).value]));
    const request = openRequest({ asset: store.symbol, side: store.side, leverage: leverage(), fields });
    if (request.error) return refuse(request.error, request.field);
    markInvalid(null);
    const button = $("order-submit");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      orders.receive(await post("/api/v1/order/open", request.body), { filled: true });
      for (const id of STOP_INPUTS) $(id).value = "";
      await account.refresh(); // the free margin is current before the next order
    } catch (err) {
      if (isSignedOut(err)) return session.signedOut();
      refuse(err.message, err.field);
      toast("error", "Order rejected", err.message);
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
    return undefined;
  }

  function useShare(share) {
    const a = store.account;
    const free = a ? toUnits(a.freeMargin ?? a.balance) : 0n;
    if (free <= 0n) return;
    $("order-margin").value = unitsToString(marginShare(free, share), 2);
    showEstimate();
  }

  function showSide() {
    for (const b of sideButtons) b.setAttribute("aria-pressed", b.dataset.side === store.side ? "true" : "false");
    showEstimate();
  }

  for (const b of sideButtons) b.addEventListener("click", () => store.select("side", b.dataset.side));
  for (const chip of document.querySelectorAll("#margin-chips .chip")) {
    chip.addEventListener("click", () => useShare(Number(chip.dataset.share)));
  }
  $("order-leverage").addEventListener("input", showEstimate);
  $("order-margin").addEventListener("input", showEstimate);
  $("order-form").addEventListener("submit", submit);
  store.on("side", showSide);
  store.on("symbol", (symbol) => {
    $("order-symbol").textContent = symbol;
    showSidePrices();
    showEstimate();
  });
  store.on("quote", ({ symbol }) => {
    if (symbol !== store.symbol) return;
    showSidePrices();
    showEstimate();
  });
  store.on("account", (a) => {
    $("order-free").textContent = `${fmt(a.freeMargin ?? a.balance)} USD`;
  });
  showSide();
}
