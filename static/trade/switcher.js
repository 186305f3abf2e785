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

  select.addEventListener("change", async () => {
    use(select.value);
    await resync(); // and again once the socket follows it (trade.js: onReady)
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
