// Toast notifications: kind is "success", "info", "warn", "error" or "liquidation".

const DURATION = { success: 5000, info: 5000, warn: 7000, error: 8000, liquidation: 15000 };

// Where the keyboard was before it went into the toasts: a dismissed toast that held the
// focus hands it to the next toast's button, the one before, else back there (never to the
// page's body, where a keyboard or screen-reader user would have to start again).
let cameFrom = null;

function dismiss(el) {
  if (el.contains(document.activeElement)) {
    const near = el.nextElementSibling || el.previousElementSibling;
    const next = near?.querySelector(".toast-close") || (cameFrom?.isConnected ? cameFrom : null);
    el.remove();
    next?.focus();
  } else {
    el.remove();
  }
}

function watchFocus(box) {
  if (box.dataset.focusWatched) return;
  box.dataset.focusWatched = "1";
  box.addEventListener("focusin", (e) => {
    if (e.relatedTarget && !box.contains(e.relatedTarget)) cameFrom = e.relatedTarget;
  });
}

export function toast(kind, title, message = "") {
  const box = document.getElementById("toasts");
  if (!box) return null;
  watchFocus(box);
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
  close.addEventListener("click", () => dismiss(el));
  el.append(close);
  box.append(el);
  while (box.children.length > 6) {
    // the oldest toast the keyboard is not in (removing that one would drop the focus)
    const idle = [...box.children].find((t) => !t.contains(document.activeElement));
    (idle || box.firstElementChild).remove();
  }
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
