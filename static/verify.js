// The page a magic link opened from another site lands on: sign in only when asked, with a
// same-origin JSON POST (which no other site can make), then go where the server says.
import { post } from "./api.js";

const button = document.getElementById("verify-submit");
const error = document.querySelector(".form-error");

button.addEventListener("click", async () => {
  button.disabled = true;
  try {
    const token = new URLSearchParams(location.search).get("token") || "";
    const { location: next } = await post("/api/v1/user/auth/verify", { token });
    location.assign(next);
  } catch (err) {
    error.textContent = err.message || "Could not sign in.";
    error.hidden = false;
    button.disabled = false;
  }
});
