// Toast notifications: kind is "success", "info", "warn", "error" or "liquidation".

const DURATION = { success: 5000, info: 5000, warn: 7000, error: 8000, liquidation: 15000 };

export function toast(kind, title, message = "") {
  const box = document.getElementById("toasts");
  if (!box) return null;
  const el = document.createElement("div");
  el.className = `toast toast-${kind}`;
  el.dataset.testid = "toast";
  el.dataset.kind = kind;
  el.setAttribute("role", kind === "error" || kind === "liquidation" ? "alert" : "status");
  const strong = document.createElement("strong");
  strong.className = "toast-title";
  strong.textContent = title;
  el.append(strong);
  if (message) {
    const p = document.createElement("div");
    p.className = "toast-body";
    p.textContent = message;
    el.append(p);
  }
  const close = document.createElement("button");
  close.type = "button";
  close.className = "toast-close";
  close.setAttribute("aria-label", "Dismiss notification");
  close.textContent = "×";
  close.addEventListener("click", () => el.remove());
  el.append(close);
  box.append(el);
  while (box.children.length > 6) box.firstElementChild.remove();
  keepWhileUsed(el, DURATION[kind] || 5000);
  return el;
}

/**
 * Remove `el` after `ms`, the clock stopped while a pointer is over it or the keyboard focus
 * is in it (a toast must not vanish while being read or reached by Tab: WCAG 2.2.1).
 */
function keepWhileUsed(el, ms) {
  let left = ms;
  let since = 0;
  let timer = null;
  let hovered = false;
  const start = () => {
    since = Date.now();
    timer = setTimeout(() => {
      el.classList.add("toast-out");
      setTimeout(() => el.remove(), 300);
    }, left);
  };
  const update = () => {
    const used = hovered || el.contains(document.activeElement);
    if (used && timer !== null) {
      clearTimeout(timer);
      timer = null;
      left = Math.max(left - (Date.now() - since), 1000); // a moment to read it after
    } else if (!used && timer === null) {
      start();
    }
  };
  el.addEventListener("mouseenter", () => { hovered = true; update(); });
  el.addEventListener("mouseleave", () => { hovered = false; update(); });
  el.addEventListener("focusin", update);
  el.addEventListener("focusout", () => setTimeout(update)); // once the focus has moved
  start();
}
