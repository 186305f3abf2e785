// The trading terminal's entry point: one store (trade/store.js), every panel mounted on it,
// then the account loads and the page goes live. The panels live in static/trade/ and talk
// to each other only through the store; money estimates come from estimates.js.
import { get } from "./api.js";
import { CandleChart } from "./chart.js";
import { toUnits } from "./format.js";
import { bindTabs } from "./tabs.js";
import { toast } from "./toast.js";
import { mountAccount } from "./trade/account.js";
import { mountChartView } from "./trade/chart-view.js";
import { mountClosed } from "./trade/closed.js";
import { $, recall } from "./trade/dom.js";
import { messageHandler, onConnected, resyncer, showConnection } from "./trade/live.js";
import { mountMarginAlert } from "./trade/margin-alert.js";
import { createOrders } from "./trade/orders.js";
import { mountPositionActions } from "./trade/position-actions.js";
import { mountPending } from "./trade/pending.js";
import { mountPositions } from "./trade/positions.js";
import { createSession, isSignedOut } from "./trade/session.js";
import { Store } from "./trade/store.js";
import { mountSwitcher } from "./trade/switcher.js";
import { mountTicket } from "./trade/ticket.js";
import { mountWatch } from "./trade/watch.js";
import { LiveSocket } from "./ws.js";

const STALE_CHECK_MS = 2000;

function mount() {
  const store = new Store({ mmr: toUnits($("terminal").dataset.mmr || "0.1") });
  const chart = new CandleChart($("chart"), $("chart-empty"));
  const session = createSession(store, () => live.stop());
  const orders = createOrders({ store });
  const margin = mountMarginAlert({ store });
  const account = mountAccount({ store, session, margin });
  const resync = resyncer({ account, orders, session });
  const live = new LiveSocket({
    onMessage: messageHandler({ store, chart, orders }),
    onState: showConnection,
    onAuthFailed: () => session.signedOut(),
    onOpen: () => {
      if (onConnected() > 1) chartView.reload(); // the candles missed while it was down
    },
    onReady: resync, // the socket carries the account's news: read what came before it
  });
  const watch = mountWatch({ store });
  const chartView = mountChartView({ store, chart, live, orders, session });
  mountTicket({ store, session, account, orders });
  mountPositions({ store });
  mountPending({ store, session, orders, account });
  mountClosed({ store });
  mountPositionActions({ store, session, account, orders });
  const switcher = mountSwitcher({ store, live, resync, session });
  bindTabs([...document.querySelectorAll('.toolbox [role="tab"]')]);
  $("signout").addEventListener("click", () => session.signOut());
  return { store, session, live, watch, chartView, resync, switcher, margin };
}

async function start({ store, session, live, watch, chartView, resync, switcher, margin }) {
  let me;
  try {
    me = await get("/api/v1/user/me");
  } catch (err) {
    if (isSignedOut(err)) session.signedOut();
    else toast("error", "Could not load your account", err.message);
    return;
  }
  $("user-email").textContent = me.user ? me.user.email : "";
  try {
    await watch.load();
  } catch (err) {
    session.failed(err, "Could not load the assets");
  }
  await switcher.load(); // before any account's figures, orders or fills are asked for
  const duration = recall("velox.duration");
  if (duration && chartView.offered(duration)) store.select("duration", duration);
  const saved = recall("velox.symbol");
  store.select("symbol", store.symbols.includes(saved) ? saved : (store.symbols[0] || "BTCUSDT"));
  await resync();
  live.start(); // resyncs again once it carries the account's news (onReady)
  margin.watch();
  watch.loadDayOpens();
  setInterval(watch.checkStale, STALE_CHECK_MS);
}

start(mount());
