// Candlestick chart (TradingView lightweight-charts v5, loaded as the standalone global).
// Candles come as decimal strings with ms times; the chart wants numbers and seconds, so we
// convert here, for display only.
import { get } from "./api.js";
import { lineMethods } from "./trade/chart-drag.js";
import {
  following, mergeNewest, precisionFor, retryDelay, shiftedRange, toBar, toBars,
} from "./trade/chart-history.js";
import { realTime, tickLabel, timeLabel, toChartTime } from "./trade/chart-time.js";

const SECONDS_DURATIONS = new Set(["1s", "30s"]);
const PAGE = 500; // candles per request, the first page and each older one
const GAP_PAGES = 2; // pages read to join a reload to the bars shown, at most
const OLDER_AT = 30; // bars left of the first visible one: fetch the page before it
const COLORS = {
  bg: "#0d1117", text: "#8b97a8", grid: "#18202b", border: "#232c38",
  up: "#16c784", down: "#ea3943",
};


export class CandleChart {
  constructor(container, emptyEl) {
    this.container = container;
    this.emptyEl = emptyEl;
    this.symbol = null;
    this.duration = null;
    this.loadToken = 0;
    this.pending = null; // live candles that arrive while history loads
    this.lastTime = 0;
    this.count = 0;
    this.lines = new Map(); // key -> {spec, handle}: the drawn price lines (trade/chart-lines.js)
    this.drag = null; // the line being dragged: {key, spec, startY, price}
    this.onLineDrag = null; // ({orderId, kind, field, price}) => Promise<boolean>: kept?
    this.onHistoryChanged = null; // () => void: history of the series shown was written
    this.lineOps = 0; // price lines created, moved or removed so far (data-line-ops)
    this.older = null; // the request for the page before the first bar, while it runs
    this.oldest = false; // the first bar is the series' first: nothing older to fetch
    this.olderFailures = 0; // failed requests in a row: the next waits (retryDelay)
    this.olderAfter = 0; // Date.now() before which no older page is asked for
    this.moved = false; // the trader scrolled or zoomed this series (older pages follow that)
    this.shows = ""; // "symbol/duration" whose bars the series holds
    this.loaded = false; // the history of the series shown was read (not only live bars)
    this.historyFailures = 0; // failed history loads in a row: the next waits (retryDelay)
    this.retry = 0; // the timer that loads the history again after a failure
    this.historyError = ""; // why the chart has no history (shown over it)
    this.precision = 2;
    const LWC = window.LightweightCharts;
    if (!LWC) {
      this.chart = null;
      this.showEmpty("Chart library missing: run `make charts` on the server.");
      return;
    }
    this.LWC = LWC;
    this.chart = LWC.createChart(container, {
      autoSize: true,
      layout: {
        background: { type: "solid", color: COLORS.bg },
        textColor: COLORS.text,
        fontFamily: "Inter, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        fontSize: 11,
      },
      grid: { vertLines: { color: COLORS.grid }, horzLines: { color: COLORS.grid } },
      crosshair: { mode: LWC.CrosshairMode.Normal },
      rightPriceScale: { borderColor: COLORS.border, scaleMargins: { top: 0.1, bottom: 0.08 } },
      timeScale: {
        borderColor: COLORS.border, timeVisible: true, secondsVisible: false,
        rightOffset: 6, tickMarkFormatter: (t, type) => this.tickMark(t, type),
      },
      localization: { timeFormatter: (t) => this.fullTime(t) },
    });
    this.series = this.chart.addSeries(LWC.CandlestickSeries, {
      upColor: COLORS.up, downColor: COLORS.down, borderVisible: false,
      wickUpColor: COLORS.up, wickDownColor: COLORS.down,
      priceFormat: { type: "price", precision: 2, minMove: 0.01 },
    });
    this.markers = LWC.createSeriesMarkers(this.series, []);
    // Older pages follow the trader's own scrolling: the range changes the chart makes itself
    // (a new series' data, scrolling to its newest bar) report the view it replaced, late.
    for (const type of ["pointerdown", "wheel", "touchstart"]) {
      container.addEventListener(type, () => { this.moved = true; }, { passive: true });
    }
    this.chart.timeScale().subscribeVisibleLogicalRangeChange(() => this.loadOlder());
    this.bindDrag();
    container.lineY = (key) => this.lineY(key); // where a line is drawn (tests, tools)
    container.candleChart = this; // its series and view (tests, tools)
    container.linePrice = (key) => this.lines.get(key)?.handle.options().price ?? null;
  }

  tickMark(t, type) { return tickLabel(t, type, this.duration); }

  fullTime(t) { return timeLabel(t, this.duration, SECONDS_DURATIONS.has(this.duration)); }

  /** A candle as a bar at its chart time (trade/chart-time.js), and a chart time as a real one. */
  bar(candle) { return toBar(candle, (t) => toChartTime(t, this.duration)); }

  realTime(t) { return realTime(t, this.duration); }

  showEmpty(text) {
    if (!this.emptyEl) return;
    this.emptyEl.textContent = text;
    this.emptyEl.hidden = !text;
  }

  setCount(n) {
    this.count = n;
    this.container.dataset.candles = String(n);
    if (this.historyError) this.showEmpty(this.historyError);
    else this.showEmpty(n ? "" : "Waiting for trades…");
  }

  applyPrecision(price) {
    const p = precisionFor(price);
    if (p === this.precision || !this.series) return;
    this.precision = p;
    this.series.applyOptions({ priceFormat: { type: "price", precision: p, minMove: 10 ** -p } });
  }

  /** Show `symbol` at `duration`: history first, then live candles (buffered meanwhile).
   * The series shown read again (after a reconnect, a fill) keeps its older pages and the
   * trader's view, or keeps following the newest bar. */
  async load(symbol, duration) {
    const token = ++this.loadToken;
    clearTimeout(this.retry);
    const again = `${symbol}/${duration}` === this.shows && this.loaded;
    if (`${symbol}/${duration}` !== this.shows) this.historyFailures = 0;
    this.symbol = symbol;
    this.duration = duration;
    this.pending = [];
    this.older = null;
    if (!again) {
      this.oldest = false;
      this.olderFailures = 0;
      this.olderAfter = 0;
      this.moved = false;
    }
    this.container.dataset.symbol = symbol;
    this.container.dataset.duration = duration;
    this.container.setAttribute("aria-label", `${symbol} ${duration} candlestick chart`);
    if (!this.chart) return;
    this.chart.applyOptions({ // new formatters: labels cached for another duration go
      timeScale: {
        secondsVisible: SECONDS_DURATIONS.has(duration),
        tickMarkFormatter: (t, type) => this.tickMark(t, type),
      },
      localization: { timeFormatter: (t) => this.fullTime(t) },
    });
    let fresh;
    let whole;
    let newest;
    try {
      const q = new URLSearchParams({ asset: symbol, duration, limit: String(PAGE) });
      const candles = (await get(`/api/v1/candles?${q}`)).candles || [];
      whole = candles.length < PAGE;
      newest = candles[candles.length - 1];
      fresh = toBars(candles, (c) => this.bar(c));
      const shown = again ? this.series.data() : [];
      for (let n = 0; n < GAP_PAGES && !mergeNewest(shown, fresh, whole).joined; n++) {
        const before = await this.page(fresh[0].time); // the bars between, a page at a time
        whole = before.length < PAGE;
        fresh = [...toBars(before, (c) => this.bar(c)).filter((b) => b.time < fresh[0].time), ...fresh];
      }
    } catch (err) {
      if (token === this.loadToken) this.historyFailed(err, token);
      return;
    }
    if (token !== this.loadToken) return;
    this.shows = `${symbol}/${duration}`;
    this.loaded = true;
    this.historyError = "";
    this.historyFailures = 0;
    const shown = again ? this.series.data() : [];
    const { bars, joined } = mergeNewest(shown, fresh, whole);
    const view = again ? this.chart.timeScale().getVisibleLogicalRange() : null;
    if (bars.length) this.applyPrecision(bars[bars.length - 1].close);
    this.series.setData(bars);
    if (newest || !bars.length) this.container.dataset.lastClose = newest ? String(newest.close) : "";
    this.lastTime = bars.length ? bars[bars.length - 1].time : 0;
    if (!again || !joined) this.oldest = whole;
    this.setCount(bars.length);
    const buffered = this.pending;
    this.pending = null;
    for (const c of buffered) this.update(c);
    const kept = again && joined && !following(view, shown.length) && shiftedRange(shown, bars, view);
    if (kept) this.chart.timeScale().setVisibleLogicalRange(kept);
    else this.chart.timeScale().scrollToRealTime();
  }

  /** The history could not be read: the bars of this series already shown stay (another
   * series' go, and with none the chart says why), live candles are drawn meanwhile, the
   * start of history is not taken as reached, and it is asked again after a wait that grows. */
  historyFailed(err, token) {
    const shows = `${this.symbol}/${this.duration}`;
    if (shows !== this.shows) { // the series holds another asset's or timeframe's bars
      this.shows = shows;
      this.loaded = false;
      this.series.setData([]);
      this.lastTime = 0;
      this.count = 0;
      this.container.dataset.lastClose = "";
    }
    this.historyError = this.loaded ? "" : `Chart unavailable: ${err.message}. Trying again…`;
    const buffered = this.pending;
    this.pending = null;
    for (const c of buffered) this.update(c);
    this.setCount(this.count);
    const wait = retryDelay(this.historyFailures, err.retryAfter);
    this.historyFailures += 1;
    this.retry = setTimeout(() => {
      if (token === this.loadToken) this.load(this.symbol, this.duration);
    }, wait);
  }

  /** The page of candles (API shape, oldest first) before the bar at `time`. */
  async page(time) {
    const q = new URLSearchParams({
      asset: this.symbol, duration: this.duration, endTime: String(this.realTime(time) * 1000 - 1),
      limit: String(PAGE),
    });
    return (await get(`/api/v1/candles?${q}`)).candles || [];
  }

  /** Scrolled by the trader near the first bar: the page of candles before it, put in
   * front, the view kept where it is. One request at a time; none once the series' first
   * bar is shown; after a failure, none until a wait that grows (or a 429's Retry-After). */
  async loadOlder() {
    if (this.older || this.oldest || this.pending || !this.loaded || !this.count || !this.moved) return;
    if (Date.now() < this.olderAfter) return; // the last one failed: not at every scroll
    const range = this.chart.timeScale().getVisibleLogicalRange();
    if (!range || range.from >= OLDER_AT) return;
    const token = this.loadToken;
    const first = this.series.data()[0].time;
    this.older = this.page(first);
    let candles = null;
    let failed = null;
    try {
      candles = await this.older;
    } catch (err) {
      failed = err;
    } finally {
      if (token === this.loadToken) this.older = null;
    }
    if (token !== this.loadToken) return; // another series is shown now
    if (failed) { // tried again at a later scroll, after a wait that grows
      this.olderAfter = Date.now() + retryDelay(this.olderFailures, failed.retryAfter);
      this.olderFailures += 1;
      return;
    }
    this.olderFailures = 0;
    if (candles.length < PAGE) this.oldest = true;
    const before = candles.map((c) => this.bar(c)).filter((bar, i, all) => bar.time < first
      && (i === 0 || bar.time > all[i - 1].time));
    if (!before.length) return;
    const view = this.chart.timeScale().getVisibleLogicalRange(); // as it is after the wait
    this.series.setData([...before, ...this.series.data()]);
    if (view) {
      this.chart.timeScale().setVisibleLogicalRange({
        from: view.from + before.length, to: view.to + before.length,
      });
    }
    this.setCount(this.count + before.length);
  }

  /** A websocket candle for (symbol, duration); others are ignored. */
  onCandle(msg) {
    if (msg.symbol !== this.symbol || msg.duration !== this.duration || !this.chart) return;
    if (this.pending) {
      this.pending.push(msg.data);
      return;
    }
    this.update(msg.data);
  }

  /** History of a series was written behind its newest candle (an outage filled in): for
   * the one shown, `onHistoryChanged` (the chart view reloads it; a live candle never goes
   * back in time). */
  onCandlesFilled(msg) {
    if (msg.symbol !== this.symbol || msg.duration !== this.duration || !this.chart) return;
    if (this.onHistoryChanged) this.onHistoryChanged();
  }

  update(candle) {
    const bar = this.bar(candle);
    if (!Number.isFinite(bar.time) || bar.time < this.lastTime) return; // never rewrite history
    if (!this.count) this.applyPrecision(bar.close);
    this.series.update(bar);
    this.container.dataset.lastClose = String(candle.close);
    if (bar.time > this.lastTime) {
      this.lastTime = bar.time;
      this.setCount(this.count + 1);
    }
  }
}

Object.assign(CandleChart.prototype, lineMethods);
