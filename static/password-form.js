// The account page's password form: change the password (the current one is required), or
// set a first one (no current one, within 10 minutes of signing in by link or provider). The
// server ends every other session and renews this one's cookie, so the page goes on working.
import { post } from "./api.js";
import { toast } from "./toast.js";

/** Binds the form, then enables its button (disabled in the page until now). */
export function bindPassword(failed) {
  const form = document.getElementById("password-form");
  const current = document.getElementById("password-current");
  const next = document.getElementById("password-new");
  const button = form.querySelector("[type=submit]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { password: next.value };
    if (current.value) body.currentPassword = current.value;
    button.disabled = true;
    try {
      await post("/api/v1/user/password", body);
      form.reset();
      toast("success", "Password changed", "Every other session of yours is signed out.");
    } catch (err) {
      failed(err, "Could not change the password");
    } finally {
      button.disabled = false;
    }
  });
  button.disabled = false;
}
