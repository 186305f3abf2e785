// The order ticket: type (Market, and Limit / Stop / OCO when the server takes them: the
// page lists them in #type-group), side, margin, leverage and stops, the estimate of what the
// order will be (estimates.ticketEstimate at the side's quote, or at the order's price) with
// its fee, and sending it. On a NETTING account holding a position on the asset, an order
// acts on that position (SPEC 12): the button says how (add to, reduce, close, flip) and the
// estimate is of the position after it (estimates.nettedEstimate).
import { post } from "../api.js";
import {
  affordableMargin, entryPrice, marginShare, nettedEstimate, ticketEstimate,
} from "../estimates.js";
import {
  baseAsset, fmt, fmtPrice, fmtQty, formatUnits, positiveInput, priceDp, toUnits, unitsToString,
} from "../format.js";
import { toast } from "../toast.js";
import { $, feeRate, showError } from "./dom.js";
import { errorField, fieldErrors } from "./field-error.js";
import { headline, sideName } from "./labels.js";
import { ocoRequest, openRequest, pendingRequest } from "./order-request.js";
import { isSignedOut } from "./session.js";

/** Request field -> the ticket's input (also for the server's `field` in a refusal). */
const INPUTS = {
  margin: "order-margin", price: "order-price", price2: "order-price-2", stopLoss: "order-sl",
  takeProfit: "order-tp", trailingStop: "order-trailing", leverage: "order-leverage",
};
const STOP_INPUTS = ["order-sl", "order-tp", "order-trailing"];
/** The inputs that hold prices (or price distances) of the ticket's asset. */
const ASSET_PRICE_INPUTS = ["order-price", "order-price-2", ...STOP_INPUTS];

const leverage = () => Number($("order-leverage").value);
const TYPE_VERB = { MARKET: "Open", LIMIT: "Place limit", STOP: "Place stop", OCO: "Place OCO" };
const NET_VERB = { ADD: "Add to", REDUCE: "Reduce", CLOSE: "Close", FLIP: "Flip to" };

export function mountTicket({ store, session, account, orders }) {
  const sideButtons = [...document.querySelectorAll(".side-group .side")];
  const typeButtons = [...document.querySelectorAll("#type-group [data-type]")];
  let type = "MARKET";
  let ticketSymbol = store.symbol; // the asset the ticket's prices were typed for
  const invalid = fieldErrors(INPUTS, $("order-error"));

  function showType() {
    for (const b of typeButtons) b.setAttribute("aria-pressed", b.dataset.type === type ? "true" : "false");
    $("price-field").hidden = type === "MARKET";
    $("oco-field").hidden = type !== "OCO";
    $("expiry-field").hidden = type === "MARKET";
    $("order-price-label").textContent = type === "OCO" ? "Limit price" : type === "STOP" ? "Stop price" : "Limit price";
    showEstimate();
  }

  function showSidePrices() {
    const q = store.quotes.get(store.symbol);
    $("side-short-price").textContent = q ? formatUnits(q.bid, priceDp(q.bid)) : "—";
    $("side-long-price").textContent = q ? formatUnits(q.ask, priceDp(q.ask)) : "—";
  }

  /** The price the ticket's order would fill at and its fee rate; null without a quote. */
  function expectedFill() {
    const q = store.quotes.get(store.symbol);
    if (!q) return null;
    const ordered = type === "MARKET" ? null : positiveInput($("order-price").value);
    // A resting limit is a maker fill at its price; a market order or a marketable limit, a
    // taker fill at the quote (the server fills those at once, at the quote); a stop, at its
    // price (where its margin is reserved). An OCO's limit leg always rests (the server
    // refuses one that would fill at once).
    const limit = type === "LIMIT" && ordered !== null;
    const resting = (type === "OCO" && ordered !== null)
      || (limit && (store.side === "LONG" ? ordered < q.ask : ordered > q.bid));
    const price = type === "STOP" || resting ? ordered : entryPrice(store.side, q);
    return { price: price ?? entryPrice(store.side, q), rate: resting ? feeRate("makerFee") : feeRate("takerFee") };
  }

  /** The position the shown NETTING account holds on the ticket's asset (units), if any. */
  function nettedPosition() {
    const shown = store.accounts.find((a) => a.accountId === store.accountId);
    if (shown?.mode !== "NETTING") return null;
    const held = [...store.open.values()].find((o) => o.asset === store.symbol);
    if (!held) return null;
    return {
      side: held.side, qty: toUnits(held.qty), margin: toUnits(held.margin),
      openPrice: toUnits(held.openPrice), leverage: Number(held.leverage),
    };
  }

  /** The button: what the order does ("Open Long 10x"; on a netted position, how it acts). */
  function label(lev, effect, held = null) {
    const side = sideName(store.side);
    if (!effect) return `${TYPE_VERB[type]} ${side} ${lev}x`;
    if (effect === "LEVERAGE") return `Add to ${side} at ${held.leverage}x only`;
    const target = effect === "ADD" || effect === "FLIP" ? `${side} ${lev}x` : sideName(store.side === "LONG" ? "SHORT" : "LONG");
    const verb = NET_VERB[effect];
    return type === "MARKET" ? `${verb} ${target}` : `${TYPE_VERB[type]}: ${verb.toLowerCase()} ${target}`;
  }

  /** What one order fills as (price, fee rate) and becomes: the ticket's figures, as
   * strings, and how it acts on a netted position. */
  function legEstimate(fill, margin, acting, held) {
    const { price, rate } = fill;
    const dp = priceDp(price);
    const shown = { entry: formatUnits(price, dp), size: "—", notional: "—", liq: "—", fee: "—", effect: null };
    if (margin === null) return shown;
    const est = ticketEstimate({ ...acting, price, margin, feeRate: rate });
    shown.fee = `${formatUnits(est.fee, 2)} USD`;
    shown.size = est.qty > 0n ? `${fmtQty(unitsToString(est.qty))} ${baseAsset(store.symbol)}` : "too small";
    shown.notional = `${formatUnits(est.notional, 2)} USD`;
    let liq = est.liquidationPrice;
    if (held && est.qty > 0n) { // the position after the fill, as the server will hold it
      const at = { ...acting, price, feeRate: rate, takerRate: feeRate("takerFee") };
      const net = nettedEstimate(held, at, est);
      shown.effect = net.effect;
      liq = net.position ? net.position.liquidationPrice : null;
      // "Position size" is the position the order leaves, as the liquidation price is
      shown.size = net.position
        ? `${fmtQty(unitsToString(net.position.qty))} ${baseAsset(store.symbol)}`
        : net.effect === "CLOSE" ? "none (closed)" : "—";
      shown.fee = `${formatUnits(net.fee, 2)} USD`;
    }
    shown.liq = liq === null ? "—" : formatUnits(liq, dp);
    return shown;
  }

  /** An OCO's other order: a stop fills at its price as a taker, a limit rests (maker). */
  function otherLegFill() {
    const price = positiveInput($("order-price-2").value);
    if (price === null) return null;
    const stop = $("order-type-2").value === "STOP";
    return { price, rate: stop ? feeRate("takerFee") : feeRate("makerFee") };
  }

  function showEstimate() {
    const lev = leverage();
    $("order-leverage-value").textContent = `${lev}x`;
    const submit = $("order-submit");
    const held = nettedPosition();
    const acting = { side: store.side, leverage: lev, mmr: store.mmr };
    // with no size yet, what any order of this side does: an empty one's effect (adds, or
    // is refused at another leverage; the other side reduces at least)
    const none = held && nettedEstimate(held, { ...acting, price: 0n }, { qty: 0n, margin: 0n });
    submit.textContent = label(lev, none ? none.effect : null, held);
    submit.classList.toggle("btn-long", store.side === "LONG");
    submit.classList.toggle("btn-short", store.side === "SHORT");
    const margin = positiveInput($("order-margin").value);
    const figures = { entry: "order-entry", size: "order-size", notional: "order-notional", liq: "order-liq", fee: "order-fee" };
    for (const id of Object.values(figures)) $(id).textContent = "—";
    const fill = expectedFill();
    if (!fill) return;
    const legs = [legEstimate(fill, margin, acting, held)];
    // an OCO fills one of its two orders: the figures of each, the limit's first (they
    // differ: another price, and a stop pays the taker fee where the limit pays the maker's)
    const other = type === "OCO" ? otherLegFill() : null;
    if (other) legs.push(legEstimate(other, margin, acting, held));
    if (other) { // which line is which
      legs[0].entry += " limit";
      legs[1].entry += ` ${$("order-type-2").value.toLowerCase()}`;
    }
    $("order-entry").closest(".summary").classList.toggle("legs", legs.length > 1);
    for (const [name, id] of Object.entries(figures)) $(id).textContent = legs.map((leg) => leg[name]).join("\n");
    if (legs[0].effect) submit.textContent = label(lev, legs[0].effect, held);
  }

  function refuse(message, field) {
    showError($("order-error"), message);
    invalid.mark(field);
    if (field && INPUTS[field]) $(INPUTS[field]).focus();
  }

  async function submit(event) {
    event.preventDefault();
    showError($("order-error"), "");
    const fields = Object.fromEntries(Object.entries(INPUTS).map(([key, id]) => [key, $(id).value]));
    const request = buildRequest(fields);
    if (request.error) return refuse(request.error, request.field);
    invalid.mark(null);
    // the order's asset and account: the trader may choose others before the answer comes,
    // and the answer must then speak of these and leave the other ticket as it is
    const asset = store.symbol;
    const accountId = store.accountId;
    const elsewhere = () => (store.accountId === accountId ? "" : ` on ${store.accountName(accountId) ?? "another account"}`);
    const button = $("order-submit");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      if (type === "OCO") {
        const reply = await post("/api/v1/order/oco", request.body);
        for (const o of reply.orders) orders.receive(o, { filled: true });
        toast("info", `OCO placed: ${asset}${elsewhere()}`, "Two orders; when one fills, the other is cancelled.");
      } else {
        const before = nettedPosition();
        const reply = await post("/api/v1/order/open", request.body);
        if (store.accountId === accountId) orders.receive(reply, { filled: true });
        else orders.receiveElsewhere(reply, accountId);
        if (reply.status === "PENDING") toast("info", `Order placed: ${asset}${elsewhere()}`, `${reply.type} @ ${fmtPrice(reply.price)}`);
        else if (before && reply.status === "OPEN" && reply.side === before.side && toUnits(reply.qty) > before.qty) {
          // a scale-in answers with the position it joined, already announced: say so here
          const added = unitsToString(toUnits(reply.qty) - before.qty);
          toast("success", `Added: ${headline(reply)}`,
            `+${fmtQty(added)} ${baseAsset(reply.asset)} · ${fmtQty(reply.qty)} @ ${fmtPrice(reply.openPrice)} average`);
        }
      }
      if (store.symbol === asset) for (const id of STOP_INPUTS) $(id).value = "";
      await account.refresh(); // the free margin is current before the next order
    } catch (err) {
      if (isSignedOut(err)) return session.signedOut();
      if (store.symbol !== asset || store.accountId !== accountId) { // not the shown ticket's
        toast("error", `Order rejected: ${asset}${elsewhere()}`, err.message);
      } else {
        refuse(err.message, errorField(err));
        // the error line (role=alert) says it once; a toast only if it cannot be seen
        if (!$("order-error").getClientRects().length) toast("error", "Order rejected", err.message);
      }
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
    return undefined;
  }

  /** The request for what the ticket holds, by type. */
  function buildRequest(fields) {
    const base = { asset: store.symbol, side: store.side, leverage: leverage(), fields };
    if (type === "MARKET") return openRequest(base);
    const quote = store.quotes.get(store.symbol) || null;
    const expiry = $("order-expiry").value;
    const first = { ...base, type: "LIMIT", price: fields.price, expiry, now: Date.now(), quote };
    if (type !== "OCO") return pendingRequest({ ...first, type });
    const second = { ...first, type: $("order-type-2").value, price: $("order-price-2").value };
    const request = ocoRequest(first, second);
    return request.error && request.field === "price" && pendingRequest(first).body
      ? { ...request, field: "price2" } : request;
  }

  function useShare(share) {
    const a = store.account;
    const free = a ? toUnits(a.freeMargin ?? a.balance) : 0n;
    if (free <= 0n) return;
    const fill = expectedFill();
    const wanted = marginShare(free, share);
    const margin = fill ? affordableMargin(wanted, free, { price: fill.price, leverage: leverage(), feeRate: fill.rate }) : wanted;
    $("order-margin").value = unitsToString(margin, 2);
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
  $("order-price").addEventListener("input", showEstimate);
  $("order-price-2").addEventListener("input", showEstimate);
  $("order-type-2").addEventListener("change", showEstimate);
  for (const b of typeButtons) {
    b.addEventListener("click", () => {
      type = b.dataset.type;
      showType();
    });
  }
  $("order-form").addEventListener("submit", submit);
  // A held Enter repeats its keydown (some 30 times a second) and each repeat submitted the
  // form again once the previous order was answered: a 3 s press opened 6 positions on a
  // slow phone. One press, one order (a repeat's keypress, which submits, never comes).
  $("order-form").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && e.repeat) e.preventDefault();
  });
  store.on("side", showSide);
  // The button is disabled in the page until the ticket can send an order: pressed before
  // the scripts ran, the browser sent the form its own way (the page reloaded as
  // /trade?margin=10&..., no order); before the account and asset were chosen, an order
  // would have gone to the first account whatever the one about to be shown.
  let ready = false;
  store.on("symbol", () => {
    if (ready) return;
    ready = true;
    $("order-submit").disabled = false;
  });
  store.on("symbol", (symbol) => {
    // Prices typed for one asset mean nothing for another: a limit of 3,100 left from ETH
    // would fill a BTC order at market. Emptied, they are asked for again.
    if (symbol !== ticketSymbol) {
      for (const id of ASSET_PRICE_INPUTS) $(id).value = "";
      invalid.mark(null);
      showError($("order-error"), "");
    }
    ticketSymbol = symbol;
    $("order-symbol").textContent = symbol;
    showSidePrices();
    showEstimate();
  });
  store.on("quote", ({ symbol }) => {
    if (symbol !== store.symbol) return;
    showSidePrices();
    showEstimate();
  });
  store.on("position", () => showEstimate()); // a netted position opened, changed or closed
  store.on("account", (a) => {
    $("order-free").textContent = a ? `${fmt(a.freeMargin ?? a.balance)} USD` : "—"; // none: a switch
  });
  showSide();
}
