// Candlestick chart (TradingView lightweight-charts v5, loaded as the standalone global).
// Candles come as decimal strings with ms times; the chart wants numbers and seconds, so we
// convert here, for display only.
import { get } from "./api.js";

const SECONDS_DURATIONS = new Set(["1s", "30s"]);
const COLORS = {
  bg: "#0d1117", text: "#8b97a8", grid: "#18202b", border: "#232c38",
  up: "#16c784", down: "#ea3943",
};

const two = (n) => String(n).padStart(2, "0");
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function toBar(c) {
  return {
    time: Math.floor(Number(c.time) / 1000),
    open: Number(c.open),
    high: Number(c.high),
    low: Number(c.low),
    close: Number(c.close),
  };
}

function precisionFor(price) {
  if (!(price > 0)) return 2;
  if (price >= 1) return 2;
  if (price >= 0.01) return 4;
  return 6;
}

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
    this.priceLines = [];
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
  }

  tickMark(t, type) {
    const d = new Date(t * 1000);
    switch (type) {
      case 0: return String(d.getFullYear());
      case 1: return MONTHS[d.getMonth()];
      case 2: return String(d.getDate());
      case 4: return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
      default: return `${two(d.getHours())}:${two(d.getMinutes())}`;
    }
  }

  fullTime(t) {
    const d = new Date(t * 1000);
    const date = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
    const time = `${two(d.getHours())}:${two(d.getMinutes())}`;
    return SECONDS_DURATIONS.has(this.duration) ? `${date} ${time}:${two(d.getSeconds())}` : `${date} ${time}`;
  }

  showEmpty(text) {
    if (!this.emptyEl) return;
    this.emptyEl.textContent = text;
    this.emptyEl.hidden = !text;
  }

  setCount(n) {
    this.count = n;
    this.container.dataset.candles = String(n);
    this.showEmpty(n ? "" : "Waiting for trades…");
  }

  applyPrecision(price) {
    const p = precisionFor(price);
    if (p === this.precision || !this.series) return;
    this.precision = p;
    this.series.applyOptions({ priceFormat: { type: "price", precision: p, minMove: 10 ** -p } });
  }

  /** Show `symbol` at `duration`: history first, then live candles (buffered meanwhile). */
  async load(symbol, duration) {
    const token = ++this.loadToken;
    this.symbol = symbol;
    this.duration = duration;
    this.pending = [];
    this.container.dataset.symbol = symbol;
    this.container.dataset.duration = duration;
    this.container.setAttribute("aria-label", `${symbol} ${duration} candlestick chart`);
    if (!this.chart) return;
    this.chart.applyOptions({ timeScale: { secondsVisible: SECONDS_DURATIONS.has(duration) } });
    let candles = [];
    try {
      const q = new URLSearchParams({ asset: symbol, duration, limit: "500" });
      candles = (await get(`/api/v1/candles?${q}`)).candles || [];
    } catch (err) {
      if (token !== this.loadToken) return;
      this.showEmpty(`Chart unavailable: ${err.message}`);
    }
    if (token !== this.loadToken) return;
    const bars = [];
    for (const c of candles) {
      const bar = toBar(c);
      if (bars.length && bar.time <= bars[bars.length - 1].time) continue;
      bars.push(bar);
    }
    if (bars.length) this.applyPrecision(bars[bars.length - 1].close);
    this.series.setData(bars);
    this.container.dataset.lastClose = candles.length ? String(candles[candles.length - 1].close) : "";
    this.lastTime = bars.length ? bars[bars.length - 1].time : 0;
    this.setCount(bars.length);
    const buffered = this.pending;
    this.pending = null;
    for (const c of buffered) this.update(c);
    this.chart.timeScale().scrollToRealTime();
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

  update(candle) {
    const bar = toBar(candle);
    if (!Number.isFinite(bar.time) || bar.time < this.lastTime) return; // never rewrite history
    if (!this.count) this.applyPrecision(bar.close);
    this.series.update(bar);
    this.container.dataset.lastClose = String(candle.close);
    if (bar.time > this.lastTime) {
      this.lastTime = bar.time;
      this.setCount(this.count + 1);
    }
  }

  /** Horizontal price lines ({price, color, title, style: "dashed"|"dotted"}), replacing
   * the previous ones (see trade/chart-lines.js). */
  setPriceLines(lines) {
    if (!this.chart) return;
    for (const line of this.priceLines) this.series.removePriceLine(line);
    const styles = { dashed: this.LWC.LineStyle.Dashed, dotted: this.LWC.LineStyle.Dotted };
    this.priceLines = lines.map(({ price, color, title, style }) => this.series.createPriceLine({
      price: Number(price), color, lineWidth: 1, lineStyle: styles[style], axisLabelVisible: true, title,
    }));
  }
}
