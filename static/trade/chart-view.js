// The chart panel: the selected asset's header quote, timeframe buttons, the candle
// subscription that follows the selection, and the price lines of its positions.
import { formatUnits, priceDp } from "../format.js";
import { positionLines } from "./chart-lines.js";
import { $, remember } from "./dom.js";

export function mountChartView({ store, chart, live }) {
  const buttons = [...document.querySelectorAll("#tf-group .tf")];

  function drawLines() {
    chart.setPriceLines(positionLines([...store.open.values()], store.symbol));
  }

  /** History of the selection, then its live candles (subscription replaced). */
  function load() {
    if (!store.symbol) return;
    live.unsubscribe("candles");
    live.subscribe("candles", {
      op: "subscribe", channel: "candles", symbol: store.symbol, duration: store.duration,
    });
    chart.load(store.symbol, store.duration).then(drawLines);
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
    drawLines();
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
  store.on("position", drawLines);
  showDuration();
  return { offered };
}
