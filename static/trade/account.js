// The top bar's account figures: the server's, and between its updates the same figures
// recomputed from the live quotes (estimates.accountFigures, SPEC 3); the margin level goes
// to the margin warning too (margin-alert.js).
import { get } from "../api.js";
import { accountFigures } from "../estimates.js";
import { SCALE, formatUnits, toUnits } from "../format.js";
import { coalesced } from "./coalesce.js";
import { $, setMoney } from "./dom.js";

/** The figures to show: the server's, or the live ones once a quote moved a position. */
function shownFigures(store) {
  const a = store.account;
  if (!store.liveFigures || !store.open.size) return a;
  const positions = [...store.open.values()].map((o) => ({ margin: toUnits(o.margin), pnl: store.pnlOf(o) }));
  const live = accountFigures(toUnits(a.balance), positions, toUnits(a.pendingMargin ?? "0"));
  return { ...a, equity: live.equity, unrealizedPnl: live.unrealizedPnl, usedMargin: live.usedMargin, marginLevel: live.marginLevel };
}

function renderLevel(el, level) {
  el.classList.remove("neg", "warn");
  if (level === null || level === undefined) {
    el.textContent = "—";
    el.dataset.value = "";
    return;
  }
  const units = toUnits(level);
  el.textContent = `${formatUnits(units, 2)}%`;
  el.dataset.value = String(level);
  el.classList.toggle("neg", units < 150n * SCALE);
  el.classList.toggle("warn", units >= 150n * SCALE && units < 300n * SCALE);
}

export function mountAccount({ store, session, margin }) {
  function render() {
    const f = store.account ? shownFigures(store) : {}; // none yet: every figure "—"
    setMoney($("acct-balance"), f.balance);
    setMoney($("acct-equity"), f.equity);
    setMoney($("acct-used"), f.usedMargin);
    // what resting orders reserve: in equity, not in the balance or the used margin, so
    // without it the bar's figures did not add up; shown only while orders reserve some
    const reserved = f.pendingMargin ?? "0";
    $("fig-reserved").hidden = toUnits(reserved) === 0n;
    setMoney($("acct-reserved"), reserved);
    setMoney($("acct-free"), f.freeMargin ?? f.balance);
    setMoney($("acct-upnl"), f.unrealizedPnl, { sign: true, colour: true });
    renderLevel($("acct-level"), f.marginLevel);
    setMoney($("acct-fees"), store.account ? f.fees ?? "0" : null); // paid in total (SPEC 12)
    setMoney($("acct-funding"), store.account ? f.funding ?? "0" : null, { sign: true, colour: true }); // net
    if (store.account) margin.report(store.accountId, store.open.size ? f.marginLevel : null);
  }

  /**
   * Ask the server for the figures; a websocket push during the request wins over them, and
   * they are dropped if another account was chosen meanwhile. One request at a time, calls
   * meanwhile make one more (rev7: dozens of calls in a row were dozens of requests).
   */
  const refresh = coalesced(async () => {
    const { accountPushes, accountId } = store;
    try {
      const figures = await get("/api/v1/order/user/balance");
      if (store.accountPushes === accountPushes && store.accountId === accountId) store.setAccount(figures);
    } catch (err) {
      session.failed(err, "Could not load the account");
    }
  });

  store.on("account", render);
  // the live figures add up every position: once per frame, however many quotes came
  let frame = 0;
  store.on("quote", () => {
    if (!frame && store.liveFigures) frame = requestAnimationFrame(() => { frame = 0; render(); });
  });
  return { refresh };
}
