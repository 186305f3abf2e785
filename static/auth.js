// Register, sign-in (password and magic link) forms.
import { post } from "./api.js";
import { sameSitePath } from "./next-url.js";
import { bindTabs } from "./tabs.js";

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function showError(form, message) {
  const el = form.querySelector(".form-error");
  if (!el) return;
  el.textContent = message;
  el.hidden = !message;
}

function setBusy(form, busy) {
  const button = form.querySelector("button[type=submit]");
  if (button) {
    button.disabled = busy;
    button.setAttribute("aria-busy", busy ? "true" : "false");
  }
}

function markInvalid(form, field) {
  form.querySelectorAll("input").forEach((input) => {
    input.setAttribute("aria-invalid", input.name === field ? "true" : "false");
  });
  if (field) form.querySelector(`input[name="${field}"]`)?.focus();
}

function credentials(form) {
  const email = form.elements.email.value.trim();
  const password = form.elements.password ? form.elements.password.value : undefined;
  if (!EMAIL_RE.test(email)) return { error: "Enter a valid email address.", field: "email" };
  if (password !== undefined && !password) return { error: "Enter your password.", field: "password" };
  return { email, password };
}

function nextUrl() {
  return sameSitePath(new URLSearchParams(location.search).get("next"), location.origin);
}

function bindCredentialsForm(form, path) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const c = credentials(form);
    if (c.error) {
      showError(form, c.error);
      markInvalid(form, c.field);
      return;
    }
    showError(form, "");
    setBusy(form, true);
    try {
      await post(path, { email: c.email, password: c.password });
      location.assign(nextUrl());
    } catch (err) {
      showError(form, err.message);
      markInvalid(form, err.field);
      setBusy(form, false);
    }
  });
  setBusy(form, false); // bound: it may be sent now
}

// The forms' buttons are disabled in the page until their handlers are bound here: a form
// sent before would go the browser's way, with the password in a request of its own.
const register = document.getElementById("register-form");
if (register) bindCredentialsForm(register, "/api/v1/user/signup");

const signin = document.getElementById("signin-form");
if (signin) bindCredentialsForm(signin, "/api/v1/user/signin");

const magic = document.getElementById("magic-form");
if (magic) {
  setBusy(magic, false);
  magic.addEventListener("submit", async (event) => {
    event.preventDefault();
    const sent = magic.querySelector(".form-success");
    sent.hidden = true;
    const c = credentials(magic);
    if (c.error) {
      showError(magic, c.error);
      markInvalid(magic, c.field);
      return;
    }
    showError(magic, "");
    setBusy(magic, true);
    try {
      await post("/api/v1/user/magic-link", { email: c.email });
      sent.textContent = `Check your email: a one-time sign-in link is on its way to ${c.email}.`;
      sent.hidden = false;
    } catch (err) {
      showError(magic, err.message);
      markInvalid(magic, err.field);
    } finally {
      setBusy(magic, false);
    }
  });
}

// Sign-in method tabs; the URL remembers the magic-link tab (a reload keeps it).
bindTabs([...document.querySelectorAll('.auth [role="tab"]')], (tab) => {
  const url = new URL(location.href);
  if (tab.id === "tab-magic") url.searchParams.set("tab", "magic");
  else url.searchParams.delete("tab");
  history.replaceState(null, "", url);
});

// The magic-link email prefills from the password tab and vice versa.
const pwEmail = document.getElementById("signin-email");
const mlEmail = document.getElementById("magic-email");
if (pwEmail && mlEmail) {
  pwEmail.addEventListener("input", () => { mlEmail.value = pwEmail.value; });
  mlEmail.addEventListener("input", () => { pwEmail.value = mlEmail.value; });
}
