// The margin warning (SPEC 16): a banner while any of the user's accounts has a margin level
// (equity / used margin x 100, SPEC 3) under 150 %, naming each such account, and a browser
// notification each time one falls under, if the trader allowed them. The shown account's
// level is the one the top bar shows (account.js reports it after each render), so the banner
// and the number always agree; the socket carries only that account's figures, so the
// others' are read from the server every few seconds.
import { getOn } from "../api.js";
import { SCALE, formatUnits, toUnits } from "../format.js";
import { coalesced } from "./coalesce.js";
import { $ } from "./dom.js";

export const WARN_LEVEL = 150n * SCALE;
const POLL_MS = 3000;

/** Whether a margin level (decimal string or units; null: no open position) warrants it. */
export function underWarning(level) {
  if (level === null || level === undefined || level === "") return false;
  return toUnits(level) < WARN_LEVEL;
}

/** A level as the top bar shows it: "106.72%". */
const levelText = (level) => `${formatUnits(toUnits(level), 2)}%`;

function notify(accountId, text) {
  if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
  try {
    new Notification("Velox: margin level under 150 %", { body: text, tag: `velox-margin-${accountId}` });
  } catch { /* some browsers allow notifications only from a service worker */ }
}

/** "Main at 106.72%": an account under the warning level, in the banner. */
function entry(name, level) {
  const item = document.createElement("span");
  const account = document.createElement("span");
  account.dataset.testid = "margin-banner-account";
  account.textContent = name;
  const value = document.createElement("span");
  value.dataset.testid = "margin-banner-level";
  value.dataset.value = String(level);
  value.textContent = levelText(level);
  item.append(account, " at ", value);
  return item;
}

/**
 * `report(accountId, level)` after each render of the shown account's figures; `watch()`
 * starts reading the other accounts' (once the accounts are known).
 */
export function mountMarginAlert({ store }) {
  const banner = $("margin-banner");
  const list = $("margin-banner-accounts");
  const button = $("notify-enable");
  const under = new Map(); // accountId -> level, while under the warning level
  const nameOf = (accountId) => store.accountName(accountId) ?? "this account";

  const canAsk = () => typeof Notification !== "undefined" && Notification.permission === "default";
  button.addEventListener("click", async () => {
    try { await Notification.requestPermission(); } catch { /* refused */ }
    button.hidden = !canAsk();
  });

  function render() {
    const items = [...under].map(([accountId, level]) => entry(nameOf(accountId), level));
    list.replaceChildren(...items.flatMap((item, i) => (i ? [", ", item] : [item])));
    banner.hidden = under.size === 0;
    button.hidden = banner.hidden || !canAsk();
  }

  function report(accountId, level) {
    if (!underWarning(level)) {
      if (under.delete(accountId)) render();
      return;
    }
    if (under.get(accountId) === level) return; // as shown already
    const fell = !under.has(accountId);
    under.set(accountId, level);
    render();
    if (fell) {
      const text = `Your margin level on ${nameOf(accountId)} is ${levelText(level)}.`;
      // closing raises the level; adding margin lowers it (more used margin, same equity)
      notify(accountId, `${text} Close or reduce positions to raise it.`);
    }
  }

  /**
   * The accounts not on screen, from the server: one pass at a time, one request at a time
   * (rev7: 20 accounts were a burst of 20 balance requests every pass).
   */
  const poll = coalesced(async () => {
    const others = store.accounts.filter((a) => a.accountId !== store.accountId);
    for (const { accountId } of others) {
      try {
        const figures = await getOn(accountId, "/api/v1/order/user/balance");
        if (accountId !== store.accountId) report(accountId, figures.marginLevel); // else shown meanwhile
      } catch { /* asked again at the next pass */ }
    }
  });

  function watch() {
    poll();
    setInterval(poll, POLL_MS);
  }

  return { report, watch };
}
