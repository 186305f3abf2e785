// The equity curve: a line of the account's equity after each close (lightweight-charts,
// the same standalone global as the trade chart). Times are ms from the API; the chart wants
// strictly increasing seconds, so closes within one second keep the last equity.

export function equitySeries(points) {
  const out = [];
  for (const p of points) {
    const time = Math.floor(Number(p.time) / 1000);
    const value = Number(p.equity); // display only
    if (out.length && out[out.length - 1].time >= time) out[out.length - 1].value = value;
    else out.push({ time, value });
  }
  return out;
}

export class EquityChart {
  constructor(container) {
    this.container = container;
    const LWC = window.LightweightCharts;
    this.chart = null;
    if (!LWC) return;
    this.chart = LWC.createChart(container, {
      autoSize: true,
      layout: { background: { type: "solid", color: "#0d1117" }, textColor: "#8b97a8", fontSize: 11 },
      grid: { vertLines: { color: "#18202b" }, horzLines: { color: "#18202b" } },
      rightPriceScale: { borderColor: "#232c38" },
      timeScale: { borderColor: "#232c38", timeVisible: true },
    });
    this.series = this.chart.addSeries(LWC.AreaSeries, {
      lineColor: "#3b82f6", topColor: "rgba(59,130,246,0.35)", bottomColor: "rgba(59,130,246,0.02)",
      lineWidth: 2, priceFormat: { type: "price", precision: 2, minMove: 0.01 },
    });
  }

  show(points) {
    const data = equitySeries(points);
    this.container.dataset.points = String(points.length);
    this.container.dataset.last = points.length ? points[points.length - 1].equity : "";
    if (!this.chart) return;
    this.series.setData(data);
    this.chart.timeScale().fitContent();
  }
}
