// Where every description of an order goes in: HTTP replies, websocket messages and reloads
// all pass through `receive` (the store orders them by lifecycle), and the trader hears
// about a fill or a close exactly once, however many copies arrive.
import { get } from "../api.js";
import { closedResult } from "../estimates.js";
import { fmt, formatUnits, toUnits } from "../format.js";
import { toast } from "../toast.js";
import { coalesced } from "./coalesce.js";
import { feeRate } from "./dom.js";
import { fillText, headline } from "./labels.js";

const CLOSE_TOASTS = {
  LIQUIDATION: ["liquidation", "Liquidated"],
  STOP_LOSS: ["warn", "Stop-loss hit"],
  TRAILING_STOP: ["warn", "Trailing stop hit"],
  TAKE_PROFIT: ["success", "Take-profit hit"],
  PARTIAL: ["info", "Partially closed"],
  REDUCE: ["info", "Reduced"],
};

/** `on`: the name of the account, when it is not the one shown. */
function announceFill(order, on = null) {
  toast("success", `Filled${on ? ` on ${on}` : ""}: ${headline(order)}`,
    `${fillText(order, order.openPrice)} · margin ${fmt(order.margin)} USD`);
}

function announceClose(order, on = null) {
  const [kind, verb] = CLOSE_TOASTS[order.closeReason] || ["info", "Closed"];
  // the result after fees and funding (the history page's), the gross P/L beside it
  const result = formatUnits(closedResult(order, feeRate("takerFee")), 2, { sign: true });
  const parts = [`P/L ${fmt(order.pnl, 2, { sign: true })}`, `fees ${fmt(order.fee ?? "0")}`];
  if (order.funding && toUnits(order.funding) !== 0n) parts.push(`funding ${fmt(order.funding, 2, { sign: true })}`);
  toast(kind, `${verb}${on ? ` on ${on}` : ""}: ${headline(order)}`,
    `${fillText(order, order.closePrice)} · result ${result} USD (${parts.join(", ")})`);
}

export function createOrders({ store }) {
  /**
   * Take in `order` as the server describes it. `filled`: this is the news of its fill (the
   * open reply, `order_opened`), worth a toast the first time. Returns the store's verdict.
   */
  function receive(order, { filled = false } = {}) {
    const kind = store.applyOrder(order);
    const id = order.orderId;
    if (filled && (kind === "opened" || kind === "updated") && store.announceOnce(`opened:${id}`)) {
      announceFill(order);
    }
    if (kind === "closed" && store.announceOnce(`closed:${id}`)) announceClose(order);
    return kind;
  }

  /**
   * The answer to an order sent on account `accountId` before the trader chose another: the
   * store drops it (not the shown account's), but its fill or close is said once, naming
   * the account.
   */
  function receiveElsewhere(order, accountId) {
    const on = store.accountName(accountId) ?? "another account";
    if (order.status === "OPEN" && store.announceOnce(`opened:${order.orderId}`)) announceFill(order, on);
    if (order.status === "CLOSED" && store.announceOnce(`closed:${order.orderId}`)) announceClose(order, on);
  }

  /** The open positions, from the server; ones gone meanwhile are dropped. */
  async function loadOpen() {
    const before = new Set(store.open.keys()); // rows opened during the request stay
    const { orders } = await get("/api/v1/order/user/orders?status=OPEN");
    for (const o of orders) store.markAnnounced(`opened:${o.orderId}`); // not news
    store.applyOrders(orders);
    const listed = new Set(orders.map((o) => o.orderId));
    for (const id of before) if (!listed.has(id)) store.forgetOpen(id);
  }

  /**
   * The closed positions, from the server. One we showed as open that closed while the
   * socket was down still gets its toast (a liquidation must not pass unnoticed); older
   * history does not.
   */
  async function loadClosed() {
    const { orders } = await get("/api/v1/order/user/orders?status=CLOSED");
    for (const o of orders) if (!store.open.has(o.orderId)) store.markAnnounced(`closed:${o.orderId}`);
    store.applyOrders(orders).forEach((kind, i) => {
      if (kind === "closed" && store.announceOnce(`closed:${orders[i].orderId}`)) announceClose(orders[i]);
    });
  }

  /** The pending orders (SPEC 12), when the server has them; ones gone meanwhile drop. */
  async function loadPending() {
    const types = (document.getElementById("terminal")?.dataset.orderTypes || "MARKET").split(",");
    if (types.length < 2) return; // a server without pending orders refuses status=PENDING
    const before = new Set(store.pending.keys());
    const { orders } = await get("/api/v1/order/user/orders?status=PENDING");
    store.applyOrders(orders);
    const listed = new Set(orders.map((o) => o.orderId));
    for (const id of before) if (!listed.has(id)) store.forgetPending(id);
  }

  /**
   * The shown asset's fills, for the chart's markers (`fill` messages may not be pushed):
   * one request at a time, calls meanwhile ask for one more. Markers are a nicety, the
   * tables hold the truth: a failure is left at that.
   */
  const loadFills = coalesced(async () => {
    if (!store.symbol) return;
    try {
      const q = new URLSearchParams({ asset: store.symbol, limit: "500" });
      const { fills } = await get(`/api/v1/order/user/fills?${q}`);
      for (const f of fills) store.addFill(f);
    } catch { /* no markers for now */ }
  });

  return { receive, receiveElsewhere, loadOpen, loadClosed, loadPending, loadFills };
}
