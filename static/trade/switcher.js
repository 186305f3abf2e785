// The account switcher (SPEC 13, issue 14): the user's paper accounts in the top bar. Choosing
// one makes every API call carry X-Velox-Account (api.js), the socket follow that account
// (ws.js), the store show that account only, and the positions, pending orders, history,
// fills, figures and chart lines reload. The choice is remembered across visits.
import { get, useAccount } from "../api.js";
import { $, recall, remember } from "./dom.js";

export const ACCOUNT_KEY = "velox.account"; // the history page reads the choice too
const KEY = ACCOUNT_KEY;

/** An account as the switcher (and the history page) names it. */
export const accountLabel = (a) => `${a.name} · ${a.mode === "NETTING" ? "Netting" : "Hedging"}`;

export function mountSwitcher({ store, live, resync, session }) {
  const select = $("account-select");

  /** List `accounts` (the store keeps them: the margin warning names them too). */
  function show(accounts) {
    store.setAccounts(accounts);
    select.replaceChildren(...accounts.map((a) => {
      const option = document.createElement("option");
      option.value = a.accountId;
      option.textContent = accountLabel(a);
      option.dataset.testid = `account-option-${a.accountId}`;
      return option;
    }));
    $("account-switcher").hidden = accounts.length === 0;
  }

  /** Show and follow `accountId` from now on (the store forgets the previous one's). */
  function use(accountId) {
    shown = accountId;
    select.value = accountId;
    useAccount(accountId);
    store.showAccount(accountId);
    live.follow(accountId);
    remember(KEY, accountId);
    // this tab's choice, whatever another tab chose since (the remembered one is shared)
    const history = document.getElementById("history-link");
    if (history) history.href = `/history?account=${encodeURIComponent(accountId)}`;
  }

  /** The user's accounts, and the one remembered if it is still theirs (else the first). */
  async function load() {
    let accounts;
    try {
      accounts = (await get("/api/v1/accounts")).accounts || [];
    } catch (err) {
      session.failed(err, "Could not load your accounts");
      return;
    }
    show(accounts);
    if (!accounts.length) return;
    const saved = recall(KEY);
    use(accounts.some((a) => a.accountId === saved) ? saved : accounts[0].accountId);
  }

  // Chromium changes a closed <select>'s value (and fires "change") at every arrow key: a
  // trader looking down the list must not switch account at each press. A change made by
  // a key on the closed list waits for Enter or for the focus to leave (Escape puts the
  // shown account back); one chosen from the open list (mouse, or Enter in it) is taken.
  let keyed = false;
  let shown = null;
  async function commit() {
    if (!select.value || select.value === shown) return;
    use(select.value);
    await resync(); // and again once the socket follows it (trade.js: onReady)
  }
  select.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault(); // (Chromium would open the list)
      commit();
    } else if (e.key === "Escape" && shown && select.value !== shown) {
      e.preventDefault();
      select.value = shown;
    }
    else if (!e.altKey && e.key !== " " && (e.key.length === 1 || /^(Arrow|Page|Home|End)/.test(e.key))) {
      keyed = true; // the change it makes comes before its keyup
    }
  });
  select.addEventListener("keyup", () => { keyed = false; });
  select.addEventListener("change", () => { if (!keyed) commit(); });
  select.addEventListener("blur", () => {
    keyed = false;
    commit();
  });

  // accounts created elsewhere (the account page, another tab) appear when the list opens
  select.addEventListener("focus", async () => {
    try {
      const fresh = (await get("/api/v1/accounts")).accounts || [];
      if (fresh.length !== store.accounts.length) {
        const current = select.value;
        show(fresh);
        select.value = current;
      }
    } catch { /* the list stays as it was */ }
  });

  return { load };
}
