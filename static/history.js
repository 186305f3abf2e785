// The history page: filters -> the closed positions, the statistics and the equity curve,
// all computed by the server from the same rows; the CSV link downloads those rows.
import { get } from "./api.js";
import { EquityChart } from "./history/equity-chart.js";
import { filterError, historyPath } from "./history/filter.js";
import { showFills, showPositions, showStats } from "./history/view.js";
import { toast } from "./toast.js";

const $ = (id) => document.getElementById(id);

function filters() {
  return { asset: $("filter-asset").value, from: $("filter-from").value, to: $("filter-to").value };
}

async function load(chart) {
  const chosen = filters();
  const problem = filterError(chosen);
  $("history-error").textContent = problem;
  $("history-error").hidden = !problem;
  if (problem) return;
  $("csv-link").href = historyPath("positions.csv", chosen);
  $("fills-csv-link").href = historyPath("fills.csv", chosen);
  const fillsQuery = historyPath("fills.csv", chosen).split("?")[1];
  try {
    const [list, stats, fills] = await Promise.all([
      get(historyPath("positions", chosen)), get(historyPath("stats", chosen)),
      get(`/api/v1/order/user/fills${fillsQuery ? `?${fillsQuery}` : ""}`),
    ]);
    showPositions(list.positions);
    showFills(fills.fills);
    showStats(stats);
    chart.show(stats.equity);
    $("history").dataset.loaded = String(Number($("history").dataset.loaded || 0) + 1);
  } catch (err) {
    if (err.status === 401) location.replace("/signin");
    else toast("error", "Could not load the history", err.message);
  }
}

function start() {
  const chart = new EquityChart($("equity-chart"));
  $("history-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    load(chart);
  });
  load(chart);
}

start();
