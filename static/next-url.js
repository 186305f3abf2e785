// Where to go after signing in: the page's ?next=, only when it stays on this site.

/**
 * `next` as a path on `origin`, else `fallback`. Resolved as the browser will resolve it,
 * so "/\\evil.example" (which browsers read as "//evil.example"), "/.//evil.example" and
 * "javascript:..." are refused, not just "//...".
 */
export function sameSitePath(next, origin, fallback = "/trade") {
  if (!next || !next.startsWith("/")) return fallback;
  let url;
  try {
    url = new URL(next, origin);
  } catch {
    return fallback;
  }
  if (url.origin !== origin) return fallback;
  // Dot segments can leave a path that starts with "//" ("/.//evil.example" resolves to the
  // path "//evil.example"), which the browser then reads as another host: the path must
  // resolve to this site again, as it will when the page goes there.
  const path = url.pathname + url.search + url.hash;
  return new URL(path, origin).origin === origin ? path : fallback;
}
