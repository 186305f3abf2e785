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
  const timer = setTimeout(() => {
    el.classList.add("toast-out");
    setTimeout(() => el.remove(), 300);
  }, DURATION[kind] || 5000);
  el.addEventListener("mouseenter", () => clearTimeout(timer), { once: true });
  return el;
}
