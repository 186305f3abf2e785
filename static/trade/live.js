// The live side of the page: websocket messages into the store and the chart, the
// connection indicator, the server's health banners, and catching up whenever the socket
// starts carrying the account's news (each connection, each switch of account).
import { toUnits } from "../format.js";
import { toast } from "../toast.js";
import { coalesced } from "./coalesce.js";
import { $ } from "./dom.js";

const HEALTH_RETRY_MS = 3000;

/** The LiveSocket's onMessage: every server message, by type (SPEC 8). */
export function messageHandler({ store, chart, orders }) {
  return (msg) => {
    switch (msg.type) {
      case "price_update": {
        const bid = toUnits(msg.data?.bidPrice);
        const ask = toUnits(msg.data?.askPrice);
        if (bid !== null && ask !== null) store.setQuote(msg.symbol, bid, ask, msg.data.timestamp, Date.now());
        break;
      }
      case "candle":
        chart.onCandle(msg);
        break;
      case "candles_filled": // history written behind the newest candle: read it again
        chart.onCandlesFilled(msg);
        break;
      case "order_opened":
        orders.receive(msg.data, { filled: true });
        break;
      case "order_updated":
      case "order_closed":
      case "order_pending": // SPEC 12: a resting order, and its end (CANCELLED, EXPIRED, ...)
      case "order_cancelled":
        orders.receive(msg.data);
        break;
      case "fill":
        store.addFill(msg.data);
        break;
      case "balance":
        store.setAccount(msg.data, { pushed: true });
        break;
      case "error":
        if (msg.error) toast("error", "Server", msg.error.message || String(msg.error));
        break;
      default:
        break;
    }
  };
}

/** The LiveSocket's onState: the indicator in the top bar. */
export function showConnection(state, label) {
  $("conn").dataset.state = state;
  $("conn-label").textContent = label;
}

/** The LiveSocket's onOpen: count connections on the indicator (data-connects); returns
 * how many there have been. */
export function onConnected() {
  const conn = $("conn");
  const connects = Number(conn.dataset.connects || 0) + 1;
  conn.dataset.connects = String(connects);
  return connects;
}

/** The simulated-prices and engine-not-ready banners, from /healthz (retried while not ready). */
export async function checkHealth() {
  try {
    const res = await fetch("/healthz", { headers: { Accept: "application/json" } });
    const h = await res.json();
    $("sim-banner").hidden = !(h.feed && h.feed.simulated);
    const banner = $("engine-banner");
    const ready = !h.engine || h.engine === "READY";
    banner.hidden = ready;
    if (!ready) {
      banner.textContent = `The trading engine is ${String(h.engine).toLowerCase()}: orders are paused until it is ready.`;
      setTimeout(checkHealth, HEALTH_RETRY_MS);
    }
  } catch { /* the connection indicator tells the story */ }
}

/**
 * Reload everything the server knows about the shown account: at start, and each time the
 * socket is ready (LiveSocket's onReady: connected, or following a newly chosen account),
 * as anything may have happened before it carried the news. One reload at a time, so an
 * older reply never lands after a newer one; the store keeps each order at its furthest
 * stage and each fill once, so reading twice shows nothing twice.
 */
export function resyncer({ account, orders, session }) {
  return coalesced(async () => {
    try {
      await Promise.all([
        account.refresh(), checkHealth(), orders.loadClosed().then(orders.loadOpen), orders.loadPending(),
        orders.loadFills(),
      ]);
    } catch (err) {
      session.failed(err, "Could not refresh");
    }
  });
}
