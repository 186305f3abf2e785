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
