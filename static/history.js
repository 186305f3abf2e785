// The history page: filters -> the closed positions, the statistics and the equity curve,
// all computed by the server from the same rows; the CSV link downloads those rows.
import { get, useAccount } from "./api.js";
import { EquityChart } from "./history/equity-chart.js";
import { filterError, historyPath } from "./history/filter.js";
import { showFills, showPositions, showStats } from "./history/view.js";
import { toast } from "./toast.js";
import { recall } from "./trade/dom.js";
import { ACCOUNT_KEY } from "./trade/switcher.js";

const $ = (id) => document.getElementById(id);
let account = null;

/** The account the trade screen's switcher chose, if it is still one of the user's (and
 * not the first, which the server shows by default). */
async function chooseAccount() {
  const saved = recall(ACCOUNT_KEY);
  if (!saved) return;
  const { accounts = [] } = await get("/api/v1/accounts");
  // the first account is the server's default: name only another one (links stay short)
  if (accounts.some((a, i) => i > 0 && a.accountId === saved)) {
    account = saved;
    useAccount(saved); // every request carries X-Velox-Account
  }
}

/** A download link cannot send a header: the CSV links name the account in the query. */
const withAccount = (path) =>
  account ? `${path}${path.includes("?") ? "&" : "?"}account=${encodeURIComponent(account)}` : path;

function filters() {
  return { asset: $("filter-asset").value, from: $("filter-from").value, to: $("filter-to").value };
}

async function load(chart) {
  const chosen = filters();
  const problem = filterError(chosen);
  $("history-error").textContent = problem;
  $("history-error").hidden = !problem;
  if (problem) return;
  $("csv-link").href = withAccount(historyPath("positions.csv", chosen));
  $("fills-csv-link").href = withAccount(historyPath("fills.csv", chosen));
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

async function start() {
  const chart = new EquityChart($("equity-chart"));
  $("history-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    load(chart);
  });
  try {
    await chooseAccount();
  } catch (err) {
    if (err.status === 401) return location.replace("/signin");
  }
  $("history").dataset.account = account || "";
  load(chart);
}

start();
