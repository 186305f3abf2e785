// The account page (SPEC 13 / 16): paper accounts (create with a mode, rename, reset after a
// confirmation, a TradingView webhook token shown once, a new one after a confirmation) and
// API keys (create: the secret shown once with a copy button; revoke after a confirmation)
// the password (password-form.js) and "Sign out everywhere" (every session of the user,
// after a confirmation). An error while a dialog is open is said in the dialog (a toast
// would sit under its backdrop); a button that changes something is disabled while its
// request runs (a second click sends nothing).
import { ApiError, api, del, get, post } from "./api.js";
import { escapeHtml } from "./format.js";
import { bindPassword } from "./password-form.js";
import { toast } from "./toast.js";
import { errorField, fieldErrors } from "./trade/field-error.js";
import { accountLabel } from "./trade/switcher.js";

const $ = (id) => document.getElementById(id);
const submitOf = (formId) => $(formId).querySelector("[type=submit]");
const utc = (ms) => new Date(Number(ms)).toISOString().slice(0, 16).replace("T", " ");
let accounts = [];

/** A dialog's fields a refusal can be about (request field -> input id). */
const DIALOG_FIELDS = { "rename-dialog": { name: "rename-name" } };
const fieldMarks = new Map(); // dialog id -> fieldErrors(...), made on first use

function marks(dialog) {
  const inputs = DIALOG_FIELDS[dialog.id];
  if (!inputs) return null;
  if (!fieldMarks.has(dialog.id)) fieldMarks.set(dialog.id, fieldErrors(inputs, dialog.querySelector(".form-error")));
  return fieldMarks.get(dialog.id);
}

/** Show `message` in the dialog's error line ("" hides it), tied to `field`'s input. */
function dialogError(dialog, message, field = null) {
  const line = dialog.querySelector(".form-error");
  line.textContent = message;
  line.hidden = !message;
  marks(dialog)?.mark(message ? field : null);
}

/** Open a dialog with no error from its last time. */
function openDialog(dialog) {
  dialogError(dialog, "");
  dialog.showModal();
}

/**
 * An error: in `dialog` while it is open (with its field marked and focused, the focus kept
 * in the dialog), else a toast. Signed out: to the sign-in page.
 */
function failed(err, title, dialog = null) {
  if (err instanceof ApiError && err.status === 401) {
    location.replace("/signin");
  } else if (dialog?.open) {
    const field = errorField(err);
    const input = $(DIALOG_FIELDS[dialog.id]?.[field] ?? "");
    dialogError(dialog, err.message || String(err), input ? field : null);
    input?.focus();
  } else {
    toast("error", title, err.message || String(err));
  }
}

/** The focus to `el` when it went to the page's body (its control was removed or hidden). */
function focusIfLost(el) {
  const active = document.activeElement;
  if (el && (!active || active === document.body)) el.focus();
}

/**
 * Run `work` with `button` disabled, so that a second click sends nothing. Disabling a
 * focused button drops the focus on the page's body: it comes back to the button after,
 * unless it went somewhere meanwhile (a closed dialog gives it to its opener).
 */
async function whileBusy(button, work) {
  button.disabled = true;
  try {
    return await work();
  } finally {
    button.disabled = false;
    const dialog = button.closest("dialog");
    const active = document.activeElement;
    const lost = dialog ? dialog.open && !dialog.contains(active) : !active || active === document.body;
    if (lost) button.focus();
  }
}

async function copy(text, copied) {
  try {
    await navigator.clipboard.writeText(text);
    toast("success", copied);
  } catch {
    toast("warn", "Copy it by hand", "The browser did not allow copying.");
  }
}

/** A row's button (`act`: rename, webhook, reset) as the table shows it now. */
const rowButton = (accountId, act) =>
  $("accounts-body").querySelector(`tr[data-account-id="${CSS.escape(accountId)}"] button[data-act="${act}"]`);

function accountRow(a, first) {
  const tr = document.createElement("tr");
  tr.dataset.testid = "account-row";
  tr.dataset.accountId = a.accountId;
  tr.innerHTML = `
    <td data-label="Name"><strong data-testid="account-row-name">${escapeHtml(a.name)}</strong>${first ? ' <span class="badge reason">default</span>' : ""}</td>
    <td data-label="Mode">${escapeHtml(a.mode === "NETTING" ? "Netting" : "Hedging")}</td>
    <td data-label="Account id" class="muted">${escapeHtml(a.accountId)}</td>
    <td data-label="Created (UTC)" class="num muted">${escapeHtml(utc(a.createdAt))}</td>
    <td class="actions"><div class="row-actions">
      <button type="button" class="btn btn-xs" data-act="rename" aria-label="Rename ${escapeHtml(a.name)}">Rename</button>
      <button type="button" class="btn btn-xs" data-act="webhook" data-testid="account-webhook" aria-label="New TradingView webhook token for ${escapeHtml(a.name)}">Webhook token</button>
      <button type="button" class="btn btn-xs btn-close" data-act="reset" data-testid="account-reset" aria-label="Reset ${escapeHtml(a.name)}">Reset</button>
    </div></td>`;
  return tr;
}

function keyRow(k) {
  const tr = document.createElement("tr");
  tr.dataset.testid = "key-row";
  tr.dataset.keyId = k.keyId;
  const account = accounts.find((a) => a.accountId === k.accountId);
  tr.innerHTML = `
    <td data-label="Name">${escapeHtml(k.name)}</td>
    <td data-label="Account">${escapeHtml(account ? accountLabel(account) : k.accountId)}</td>
    <td data-label="Permissions">${escapeHtml(k.permissions.join(", "))}</td>
    <td data-label="API key"><code class="key-text">${escapeHtml(k.apiKey)}</code></td>
    <td data-label="Created (UTC)" class="num muted">${escapeHtml(utc(k.createdAt))}</td>
    <td class="actions"><button type="button" class="btn btn-xs btn-close" data-testid="key-revoke" aria-label="Revoke ${escapeHtml(k.name)}">Revoke</button></td>`;
  return tr;
}

async function loadAccounts() {
  accounts = (await get("/api/v1/accounts")).accounts;
  $("accounts-body").replaceChildren(...accounts.map((a, i) => accountRow(a, i === 0)));
  const chosen = $("key-account").value;
  $("key-account").replaceChildren(...accounts.map((a) => new Option(accountLabel(a), a.accountId)));
  if (accounts.some((a) => a.accountId === chosen)) $("key-account").value = chosen;
  offerPermissions();
}

/** A key trades only a NETTING account (SPEC 13): for a HEDGING one, "Read" only. */
function offerPermissions() {
  const account = accounts.find((a) => a.accountId === $("key-account").value);
  const readOnly = !account || account.mode !== "NETTING";
  const select = $("key-permissions");
  const trade = select.querySelector('option[value="read,trade"]');
  trade.disabled = readOnly;
  if (readOnly) select.value = "read";
  $("key-permissions-note").hidden = !readOnly;
}

async function loadKeys() {
  const { apiKeys } = await get("/api/v1/api-keys");
  $("keys-body").replaceChildren(...apiKeys.map(keyRow));
  $("keys-empty").hidden = apiKeys.length > 0;
}

async function load() {
  try {
    await loadAccounts();
    await loadKeys();
    $("account-page").dataset.loaded = "true";
  } catch (err) {
    failed(err, "Could not load the account");
  }
}

/** A new TradingView webhook token (the old one stops working), shown once like a secret;
 * the dialog that asked first closes once the server has made it. */
async function newWebhookToken(account, dialog) {
  try {
    const { token } = await post(`/api/v1/accounts/${encodeURIComponent(account.accountId)}/webhook`);
    dialog.close();
    $("webhook-value").textContent = token;
    $("webhook-account").textContent = account.name;
    $("webhook-box").dataset.accountId = account.accountId; // Done gives the focus back there
    $("webhook-box").hidden = false;
  } catch (err) {
    failed(err, "Could not make a webhook token", dialog);
  }
}

function bindAccounts() {
  const resetDialog = $("reset-dialog");
  const renameDialog = $("rename-dialog");
  const webhookDialog = $("webhook-dialog");
  $("account-form").addEventListener("submit", (event) => {
    event.preventDefault();
    whileBusy(submitOf("account-form"), async () => {
      try {
        const created = await post("/api/v1/accounts", { name: $("account-name").value.trim(), mode: $("account-mode").value });
        $("account-name").value = "";
        toast("success", `Account created: ${created.name}`, created.mode === "NETTING" ? "Netting" : "Hedging");
        await loadAccounts();
      } catch (err) {
        failed(err, "Could not create the account");
      }
    });
  });
  $("accounts-body").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-act]");
    if (!button) return;
    const account = accounts.find((a) => a.accountId === button.closest("tr").dataset.accountId);
    if (!account) return;
    if (button.dataset.act === "webhook") { // the old token stops working: ask first
      webhookDialog.dataset.accountId = account.accountId;
      $("webhook-name").textContent = account.name;
      openDialog(webhookDialog);
      return;
    }
    const dialog = button.dataset.act === "reset" ? resetDialog : renameDialog;
    dialog.dataset.accountId = account.accountId;
    $("reset-name").textContent = account.name;
    $("rename-name").value = account.name;
    openDialog(dialog);
  });
  $("reset-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = resetDialog.dataset.accountId;
    whileBusy(submitOf("reset-form"), async () => {
      try {
        const account = await post(`/api/v1/accounts/${encodeURIComponent(id)}/reset`);
        resetDialog.close();
        toast("info", `Account reset: ${account.name}`, "Back to the initial balance.");
      } catch (err) {
        failed(err, "Could not reset the account", resetDialog);
      }
    });
  });
  $("webhook-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const account = accounts.find((a) => a.accountId === webhookDialog.dataset.accountId);
    if (!account) {
      webhookDialog.close();
      return;
    }
    whileBusy(submitOf("webhook-form"), () => newWebhookToken(account, webhookDialog));
  });
  $("rename-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = renameDialog.dataset.accountId;
    whileBusy(submitOf("rename-form"), async () => {
      try {
        await api("PATCH", `/api/v1/accounts/${encodeURIComponent(id)}`, { name: $("rename-name").value.trim() });
        renameDialog.close(); // the focus back on the row's Rename, which the reload replaces
        await loadAccounts();
        focusIfLost(rowButton(id, "rename"));
        await loadKeys();
      } catch (err) {
        failed(err, "Could not rename the account", renameDialog);
      }
    });
  });
  for (const dialog of [resetDialog, renameDialog, webhookDialog]) {
    for (const b of dialog.querySelectorAll("[data-close]")) b.addEventListener("click", () => dialog.close());
  }
}

function bindKeys() {
  $("key-account").addEventListener("change", offerPermissions);
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    whileBusy(submitOf("key-form"), async () => {
      try {
        const key = await post("/api/v1/api-keys", {
          name: $("key-name").value.trim(),
          accountId: $("key-account").value,
          permissions: $("key-permissions").value.split(","),
        });
        $("key-name").value = "";
        $("secret-value").textContent = key.secret;
        $("secret-box").hidden = false;
        await loadKeys();
      } catch (err) {
        failed(err, "Could not create the key");
      }
    });
  });
  $("secret-copy").addEventListener("click", () => copy($("secret-value").textContent, "Secret copied"));
  $("secret-done").addEventListener("click", () => {
    $("secret-value").textContent = ""; // gone from the page: shown once
    $("secret-box").hidden = true;
    submitOf("key-form").focus(); // the focus was on Done: back to what opened the box
  });
  const revokeDialog = $("revoke-dialog");
  $("keys-body").addEventListener("click", (event) => {
    const button = event.target.closest("[data-testid=key-revoke]");
    if (!button) return;
    const row = button.closest("tr");
    revokeDialog.dataset.keyId = row.dataset.keyId; // it stops working at once: ask first
    $("revoke-name").textContent = row.querySelector("td").textContent;
    openDialog(revokeDialog);
  });
  $("revoke-form").addEventListener("submit", (event) => {
    event.preventDefault();
    whileBusy(submitOf("revoke-form"), async () => {
      const id = revokeDialog.dataset.keyId;
      const ids = [...$("keys-body").rows].map((tr) => tr.dataset.keyId);
      try {
        await del(`/api/v1/api-keys/${encodeURIComponent(id)}`);
        revokeDialog.close(); // the focus back on the row's Revoke, which the reload removes
        toast("info", "API key revoked", "It stops working at once.");
        await loadKeys();
        // to the next key's Revoke, else the one before's, else the "No API keys." text
        const at = ids.indexOf(id);
        const near = [...ids.slice(at + 1), ...ids.slice(0, Math.max(at, 0)).reverse()]
          .map((k) => $("keys-body").querySelector(`tr[data-key-id="${CSS.escape(k)}"] [data-testid=key-revoke]`))
          .find(Boolean);
        focusIfLost(near || $("keys-empty"));
      } catch (err) {
        failed(err, "Could not revoke the key", revokeDialog);
      }
    });
  });
  for (const b of revokeDialog.querySelectorAll("[data-close]")) b.addEventListener("click", () => revokeDialog.close());
}

/** Every session of the user ends, this one too (API keys and webhook tokens stay). */
function bindSessions() {
  const dialog = $("signout-all-dialog");
  $("signout-all").addEventListener("click", () => openDialog(dialog)); // ask first
  $("signout-all-form").addEventListener("submit", (event) => {
    event.preventDefault();
    whileBusy(submitOf("signout-all-form"), async () => {
      try {
        await post("/api/v1/user/signout-all");
        location.replace("/signin");
      } catch (err) {
        failed(err, "Could not sign out everywhere", dialog);
      }
    });
  });
  for (const b of dialog.querySelectorAll("[data-close]")) b.addEventListener("click", () => dialog.close());
}

$("webhook-copy").addEventListener("click", () => copy($("webhook-value").textContent, "Token copied"));
$("webhook-done").addEventListener("click", () => {
  $("webhook-value").textContent = "";
  $("webhook-box").hidden = true;
  // the focus was on Done: back to the row's button that opened the box
  const opener = rowButton($("webhook-box").dataset.accountId || "", "webhook");
  (opener || $("account-name")).focus();
});
$("webhook-url").textContent = `${location.origin}/api/v1/webhooks/tradingview`;
bindAccounts();
bindKeys();
bindPassword(failed);
bindSessions();
load();
