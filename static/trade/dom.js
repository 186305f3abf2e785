// Small DOM helpers the trade screen's views share.
import { formatUnits, toUnits, unitsToString } from "../format.js";

export const $ = (id) => document.getElementById(id);

/**
 * Show an amount (decimal string or BigInt units) with 2 decimals; the exact value goes into
 * data-value (8 decimals, what the tests and the API compare) and the tooltip. Null shows "—".
 */
export function setMoney(el, value, { sign = false, colour = false } = {}) {
  if (value === null || value === undefined) {
    el.textContent = "—";
    el.dataset.value = "";
    el.removeAttribute("title");
    el.classList.remove("pos", "neg");
    return;
  }
  const units = toUnits(value);
  el.textContent = formatUnits(units, 2, { sign });
  el.dataset.value = typeof value === "bigint" ? unitsToString(value, 8) : String(value);
  el.title = unitsToString(units, 8);
  if (colour) {
    el.classList.toggle("pos", units > 0n);
    el.classList.toggle("neg", units < 0n);
  }
}

/** Show `message` in an error line; "" hides it. */
export function showError(el, message) {
  el.textContent = message;
  el.hidden = !message;
}

/**
 * Show `dialog` (modal), counting its showings in data-shown: an answer that comes after the
 * trader closed it, or opened it again for another order, must not close or write into it.
 */
export function showDialog(dialog) {
  dialog.dataset.shown = String(Number(dialog.dataset.shown || 0) + 1);
  dialog.showModal();
}

/** Whether `dialog` is still open in the showing `shown` (its data-shown then). */
export const stillShown = (dialog, shown) => dialog.open && dialog.dataset.shown === shown;

/** Remember a choice across visits; private browsing may refuse, which is fine. */
export function remember(key, value) {
  try { localStorage.setItem(key, value); } catch { /* private mode */ }
}

export function recall(key) {
  try { return localStorage.getItem(key); } catch { return null; }
}

/** A fee rate the page carries (`#terminal`'s data-maker-fee / data-taker-fee, a fraction
 * such as "0.0005"), in units; 0 when unset. */
export function feeRate(name) {
  try { return toUnits(document.getElementById("terminal")?.dataset[name] || "0") || 0n; } catch { return 0n; }
}

// ------------------------------------------------------------------ focus in table rows

/** What names a row's button across rows ("close-button", "partial-close:25"). */
const buttonKey = (el) => `${el.dataset.testid || ""}:${el.dataset.percent || ""}`;

/**
 * Run `work` with `button` disabled. Disabling a focused button drops the focus on the
 * page's body: it comes back to the button after (or, when its row went meanwhile, to the
 * same button of a neighbour row: the row remembers it in data-focus-key, see rowFocus).
 */
export async function whileBusy(button, work) {
  const focused = document.activeElement === button;
  const tr = button.closest("tr");
  if (focused && tr) tr.dataset.focusKey = buttonKey(button);
  button.disabled = true;
  try {
    return await work();
  } finally {
    button.disabled = false;
    if (tr) delete tr.dataset.focusKey;
    if (focused && button.isConnected && (!document.activeElement || document.activeElement === document.body)) {
      button.focus();
    }
  }
}

/** Where the focus is among `body`'s rows (data-order-id), to give it back after they
 * change (restoreRowFocus); null when it is elsewhere. */
export function rowFocus(body) {
  const rows = [...body.querySelectorAll("tr[data-order-id]")];
  const active = document.activeElement;
  let tr = null;
  let key = null;
  if (active && active !== document.body && body.contains(active)) {
    tr = active.closest("tr[data-order-id]");
    key = active.matches("button") ? buttonKey(active) : null;
  } else if (!active || active === document.body) {
    tr = rows.find((row) => row.dataset.focusKey) || null;
    key = tr ? tr.dataset.focusKey : null;
  }
  if (!tr) return null;
  return { id: tr.dataset.orderId, key, ids: rows.map((row) => row.dataset.orderId) };
}

/**
 * Give the focus saved by rowFocus back: to the same button of the same row when it is
 * still there (rows rebuilt), else of the row that came after it, else of the one before,
 * else to `fallback` (the table's empty-state text, focusable with tabindex=-1).
 */
export function restoreRowFocus(body, saved, fallback) {
  if (!saved) return;
  const active = document.activeElement;
  if (active && active !== document.body && active.isConnected) return; // still somewhere
  const rowOf = (id) => body.querySelector(`tr[data-order-id="${CSS.escape(id)}"]`);
  const at = saved.ids.indexOf(saved.id);
  const after = saved.ids.slice(at + 1).map(rowOf).find(Boolean);
  const before = saved.ids.slice(0, Math.max(at, 0)).reverse().map(rowOf).find(Boolean);
  const row = rowOf(saved.id) || after || before || body.querySelector("tr[data-order-id]");
  const target = row && ([...row.querySelectorAll("button")].find((b) => buttonKey(b) === saved.key)
    || row.querySelector("button"));
  if (target) target.focus();
  else if (fallback) fallback.focus();
}
