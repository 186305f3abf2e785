// The chart panel: the selected asset's header quote, timeframe buttons, the candle
// subscription that follows the selection, and trading from the chart: the price lines of
// its positions and pending orders (dragging a stop-loss, take-profit or pending order's
// price line modifies it) and markers of closes and fills.
// Store changes only mark the lines dirty; they are drawn once per animation frame, so a
// burst of updates about 200 positions costs one pass, touching only the lines that moved.
import { ApiError, patch } from "../api.js";
import { fmtPrice, formatUnits, priceDp } from "../format.js";
import { toast } from "../toast.js";
import { chartMarkers, pendingLines, positionLines } from "./chart-lines.js";
import { $, remember } from "./dom.js";
import { isSignedOut } from "./session.js";

const FIELD_NAMES = { stopLoss: "Stop-loss", takeProfit: "Take-profit", price: "Order price" };
const MAX_LINES_ORDERS = 200; // per kind (positions, pending): the default per-user maximum

export function mountChartView({ store, chart, live, orders, session }) {
  const buttons = [...document.querySelectorAll("#tf-group .tf")];
  let frame = 0;
  let markersDirty = true;

  /**
   * The shown asset's orders of `map`, the newest MAX_LINES_ORDERS of them: each is a price
   * line or more, and the chart paints every line on every frame (rev7: 5,000 positions were
   * thousands of lines and a page that never answered).
   */
  function newest(map, key) {
    const mine = [...map.values()].filter((o) => o.asset === store.symbol);
    if (mine.length <= MAX_LINES_ORDERS) return mine;
    return mine.sort((a, b) => Number(b[key]) - Number(a[key])).slice(0, MAX_LINES_ORDERS);
  }

  function draw() {
    frame = 0;
    chart.syncLines([
      ...positionLines(newest(store.open, "openedAt"), store.symbol),
      ...pendingLines(newest(store.pending, "orderId"), store.symbol),
    ]);
    if (markersDirty) {
      markersDirty = false;
      const seen = { closed: store.closedOrders(), fills: [...store.fills.values()] };
      chart.setMarkers(chartMarkers(seen, store.symbol, store.duration));
    }
  }

  /** Draw at the next animation frame (once, however many changes come before it). */
  function schedule({ markers = false } = {}) {
    markersDirty ||= markers;
    if (!frame) frame = requestAnimationFrame(draw);
  }

  /** A dragged line: PATCH the order; true when the server took the new price. */
  async function moveLine({ orderId, field, price }) {
    const order = store.open.get(orderId) || store.pending.get(orderId);
    if (!order) return false;
    try {
      orders.receive(await patch(`/api/v1/order/${encodeURIComponent(orderId)}`, { [field]: price }));
      toast("info", `${FIELD_NAMES[field]} moved: ${order.asset}`, fmtPrice(price));
      return true;
    } catch (err) {
      if (isSignedOut(err)) session.signedOut();
      else toast("error", `${FIELD_NAMES[field]} not moved`, err instanceof ApiError ? err.message : String(err));
      return false;
    }
  }
  chart.onLineDrag = moveLine;

  /** History of the selection, then its live candles (subscription replaced). */
  function load() {
    if (!store.symbol) return;
    live.unsubscribe("candles");
    live.subscribe("candles", {
      op: "subscribe", channel: "candles", symbol: store.symbol, duration: store.duration,
    });
    chart.load(store.symbol, store.duration).then(() => schedule({ markers: true }));
    orders.loadFills(); // its fills, for their markers
  }

  function showQuote() {
    const q = store.quotes.get(store.symbol);
    $("chart-bid").textContent = q ? formatUnits(q.bid, priceDp(q.bid)) : "—";
    $("chart-ask").textContent = q ? formatUnits(q.ask, priceDp(q.ask)) : "—";
    if (q) document.title = `${store.symbol} ${formatUnits(q.bid, priceDp(q.bid))} · Velox`;
  }

  function showDuration() {
    for (const b of buttons) {
      b.setAttribute("aria-pressed", b.dataset.duration === store.duration ? "true" : "false");
    }
  }

  /** Whether `duration` is one of the timeframe buttons (a remembered one may be gone). */
  const offered = (duration) => buttons.some((b) => b.dataset.duration === duration);

  for (const b of buttons) b.addEventListener("click", () => store.select("duration", b.dataset.duration));
  store.on("symbol", (symbol) => {
    $("chart-symbol").textContent = symbol;
    showQuote();
    schedule({ markers: true });
    load();
    remember("velox.symbol", symbol);
  });
  store.on("duration", (duration) => {
    showDuration();
    load();
    remember("velox.duration", duration);
  });
  store.on("quote", ({ symbol }) => {
    if (symbol === store.symbol) showQuote();
  });
  const NEW_FILLS = new Set(["opened", "closed"]);
  store.on("position", ({ kind, changes }) => {
    schedule();
    if (NEW_FILLS.has(kind) || changes?.some((c) => NEW_FILLS.has(c.kind))) orders.loadFills();
  });
  store.on("pending", () => schedule());
  store.on("fill", () => schedule({ markers: true }));
  store.on("history", () => schedule({ markers: true }));
  showDuration();
  /** The history again, the subscription kept (the socket restores it): after a reconnect,
   * for the candles that formed, and the forming one's moves, while it was down. */
  function reload() {
    if (store.symbol) chart.load(store.symbol, store.duration).then(() => schedule({ markers: true }));
  }
  chart.onHistoryChanged = reload; // and when the server filled in history behind it
  return { offered, reload };
}
