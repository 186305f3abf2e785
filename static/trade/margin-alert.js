// The margin warning: a banner while the account's margin level (equity / used margin x 100,
// SPEC 3) is under 150 %, and a browser notification each time it falls under, if the
// trader allowed them. The level is the one the top bar shows (the server's figures, or the
// same figures recomputed from live quotes), so the banner and the number always agree.
import { SCALE, formatUnits, toUnits } from "../format.js";
import { $ } from "./dom.js";

export const WARN_LEVEL = 150n * SCALE;

/** Whether a margin level (decimal string or units; null: no open position) warrants it. */
export function underWarning(level) {
  if (level === null || level === undefined || level === "") return false;
  return toUnits(level) < WARN_LEVEL;
}

function notify(text) {
  if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
  try {
    new Notification("Velox: margin level under 150 %", { body: text, tag: "velox-margin" });
  } catch { /* some browsers allow notifications only from a service worker */ }
}

/** `levelOf()` returns the shown margin level; call the returned `check` after each render. */
export function mountMarginAlert() {
  const banner = $("margin-banner");
  const button = $("notify-enable");
  let warned = false;

  const canAsk = () => typeof Notification !== "undefined" && Notification.permission === "default";
  button.addEventListener("click", async () => {
    try { await Notification.requestPermission(); } catch { /* refused */ }
    button.hidden = !canAsk();
  });

  return function check(level) {
    const under = underWarning(level);
    banner.hidden = !under;
    if (!under) {
      warned = false;
      return;
    }
    const text = `${formatUnits(toUnits(level), 2)}%`; // as the top bar shows it
    $("margin-banner-level").textContent = text;
    banner.dataset.value = String(level);
    button.hidden = !canAsk();
    if (!warned) notify(`Your margin level is ${text}. Add margin or reduce your positions.`);
    warned = true;
  };
}
