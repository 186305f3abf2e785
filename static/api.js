// Thin fetch wrapper for the JSON API: errors become ApiError with the server's code/message.

export class ApiError extends Error {
  constructor(status, code, message, field = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = null; // seconds a 429's Retry-After asked for
  }
}

// The account native requests act on (SPEC 13): the trade screen's switcher sets it, and
// every request then carries it; null leaves the choice to the server (the first account).
let chosenAccount = null;

export function useAccount(accountId) {
  chosenAccount = accountId || null;
}

/** A request on `account` (by default the chosen one). */
export async function api(method, path, body = undefined, account = chosenAccount) {
  const init = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  };
  if (account) init.headers["X-Velox-Account"] = account;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, "NETWORK", "Network error: the server cannot be reached.");
  }
  if (response.status === 204) return null;
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const err = data && data.error ? data.error : {};
    let message = err.message || `Request failed (${response.status})`;
    const retry = response.status === 429 ? response.headers.get("Retry-After") : null;
    if (retry) message = `${message} Try again in ${retry}s.`;
    const error = new ApiError(response.status, err.code || `HTTP_${response.status}`, message, err.field || null);
    if (retry !== null) error.retryAfter = Number(retry);
    throw error;
  }
  return data;
}

export const get = (path) => api("GET", path);
export const getOn = (account, path) => api("GET", path, undefined, account);
export const post = (path, body) => api("POST", path, body);
export const patch = (path, body) => api("PATCH", path, body);
export const del = (path) => api("DELETE", path);
