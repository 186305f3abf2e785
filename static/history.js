// The history page: filters -> the closed positions, the statistics and the equity curve,
// all computed by the server from the same rows; the CSV link downloads those rows. The
// tables show a page at a time, newest first; "Show older" reads the next one.
import { get, useAccount } from "./api.js";
import { EquityChart } from "./history/equity-chart.js";
import { filterError, historyPath, olderQuery, withOlder } from "./history/filter.js";
import { showAccount, showFills, showPositions, showStats } from "./history/view.js";
import { toast } from "./toast.js";
import { recall } from "./trade/dom.js";
import { ACCOUNT_KEY } from "./trade/switcher.js";

const $ = (id) => document.getElementById(id);
let account = null;

/** The rows shown of each table, and whether the server has older ones. */
const TABLES = {
  positions: {
    path: "/api/v1/history/positions", key: "positions", show: showPositions,
    timeOf: (o) => o.closedAt, idOf: (o) => o.orderId,
  },
  fills: {
    path: "/api/v1/order/user/fills", key: "fills", show: showFills,
    timeOf: (f) => f.time, idOf: (f) => f.fillId,
  },
};
// `generation` counts loads: a page still on its way when the filter changed is not shown
const shown = { generation: 0, filters: null, trades: 0, positions: [], fills: [] };

/** The account the trade screen's switcher chose, if it is still one of the user's (the
 * first is the server's default, so only another one is named in requests); the page says
 * which account it shows either way. The link from a trade screen names its tab's account
 * (`?account=`): the remembered choice is shared by every tab, and another tab's would win. */
async function chooseAccount() {
  const { accounts = [] } = await get("/api/v1/accounts");
  const saved = new URLSearchParams(location.search).get("account") ?? recall(ACCOUNT_KEY);
  const index = accounts.findIndex((a, i) => i > 0 && a.accountId === saved);
  if (index > 0) {
    account = saved;
    useAccount(saved); // every request carries X-Velox-Account
  }
  showAccount(accounts[Math.max(index, 0)] || null);
}

/** A download link cannot send a header: the CSV links name the account in the query. */
const withAccount = (path) =>
  account ? `${path}${path.includes("?") ? "&" : "?"}account=${encodeURIComponent(account)}` : path;

function filters() {
  return { asset: $("filter-asset").value, from: $("filter-from").value, to: $("filter-to").value };
}

/** The next page of `name` (the first when nothing is shown), added to the table. */
async function older(name) {
  const table = TABLES[name];
  const generation = shown.generation;
  const query = olderQuery(shown.filters, shown[name], table.timeOf);
  const page = (await get(`${table.path}?${query}`))[table.key];
  if (generation !== shown.generation) return; // the filter changed: that load shows its own
  shown[name] = withOlder(shown[name], page, table.idOf);
  const full = page.length >= Number(query.get("limit"));
  table.show(shown[name], { more: full, total: name === "positions" ? shown.trades : null });
}

async function load(chart) {
  const chosen = filters();
  const problem = filterError(chosen);
  $("history-error").textContent = problem;
  $("history-error").hidden = !problem;
  if (problem) return;
  $("csv-link").href = withAccount(historyPath("positions.csv", chosen));
  $("fills-csv-link").href = withAccount(historyPath("fills.csv", chosen));
  const generation = shown.generation + 1;
  Object.assign(shown, { generation, filters: chosen, positions: [], fills: [] });
  try {
    const stats = await get(historyPath("stats", chosen));
    if (generation !== shown.generation) return;
    shown.trades = stats.trades;
    await Promise.all([older("positions"), older("fills")]);
    // the filter changed while its pages came (a large page takes seconds on a slow
    // network): the newer load shows its statistics and curve, these are not the tables'
    if (generation !== shown.generation) return;
    showStats(stats);
    chart.show(stats.equity);
    $("history").dataset.loaded = String(Number($("history").dataset.loaded || 0) + 1);
  } catch (err) {
    failed(err);
  }
}

function failed(err) {
  if (err.status === 401) location.replace("/signin");
  else toast("error", "Could not load the history", err.message);
}

async function start() {
  const chart = new EquityChart($("equity-chart"));
  $("history-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    load(chart);
  });
  for (const name of Object.keys(TABLES)) {
    $(`${name}-more`).addEventListener("click", () => older(name).catch(failed));
  }
  try {
    await chooseAccount();
  } catch (err) {
    if (err.status === 401) return location.replace("/signin");
  }
  $("history").dataset.account = account || "";
  load(chart);
}

start();
