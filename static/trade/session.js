// The signed-in session: what a failed request means for it, and signing out.
import { ApiError, post } from "../api.js";
import { toast } from "../toast.js";

/** True when the server no longer knows this session (the page must go to /signin). */
export const isSignedOut = (err) => err instanceof ApiError && err.status === 401;

/** `stopLive` closes the websocket before leaving, so it does not reconnect meanwhile. */
export function createSession(store, stopLive) {
  async function go(to, replace) {
    stopLive();
    try {
      await post("/api/v1/user/signout"); // also clears a stale httpOnly cookie
    } catch { /* signed out anyway */ }
    if (replace) location.replace(to);
    else location.assign(to);
  }

  /** The server said 401: go to the sign-in page (once, however many requests fail). */
  function signedOut() {
    if (store.leave()) go("/signin", true);
  }

  /** A request failed: sign out on 401, else say what went wrong. */
  function failed(err, title = "Request failed") {
    if (isSignedOut(err)) signedOut();
    else toast("error", title, err.message || String(err));
  }

  /** The trader pressed "Sign out". */
  function signOut() {
    if (store.leave()) go("/", false);
  }

  return { signedOut, failed, signOut };
}
