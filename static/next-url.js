// Where to go after signing in: the page's ?next=, only when it stays on this site.

/**
 * `next` as a path on `origin`, else `fallback`. Resolved as the browser will resolve it,
 * so "/\\evil.example" (which browsers read as "//evil.example") and "javascript:..." are
 * refused, not just "//...".
 */
export function sameSitePath(next, origin, fallback = "/trade") {
  if (!next || !next.startsWith("/")) return fallback;
  let url;
  try {
    url = new URL(next, origin);
  } catch {
    return fallback;
  }
  return url.origin === origin ? url.pathname + url.search + url.hash : fallback;
}
