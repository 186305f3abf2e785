// Turning what the trader typed into API request bodies, with the same refusals the server
// would give, before anything is sent. Pure (no DOM): new ticket types (limit, stop, OCO)
// and dragged chart lines build their requests here too.
import { positiveInput } from "../format.js";

/** The optional stops of a position or order: body key and the name a message uses. */
export const STOPS = [
  ["stopLoss", "Stop-loss"],
  ["takeProfit", "Take-profit"],
  ["trailingStop", "Trailing stop"],
];

const amountError = (label) => `${label} must be a positive number with at most 8 decimals.`;

/**
 * The body of POST /api/v1/order/open from the ticket's texts, or {error, field} naming the
 * first field the server would refuse. `fields` holds margin and any stops ("" = none).
 */
export function openRequest({ asset, side, leverage, fields }) {
  const margin = (fields.margin || "").trim();
  if (positiveInput(margin) === null) {
    return { error: "Margin must be a positive USD amount with at most 8 decimals.", field: "margin" };
  }
  const body = { asset, side, leverage, margin };
  for (const [key, label] of STOPS) {
    const text = (fields[key] || "").trim();
    if (!text) continue;
    if (positiveInput(text) === null) return { error: amountError(label), field: key };
    body[key] = text;
  }
  return { body };
}

/**
 * The body of PATCH /api/v1/order/{id} from edited stops: only the fields that changed from
 * `initial`; an emptied field removes that stop (null). An empty body means nothing changed.
 */
export function stopsRequest(fields, initial) {
  const body = {};
  for (const [key, label] of STOPS) {
    const text = (fields[key] || "").trim();
    if (text === (initial[key] || "")) continue;
    if (!text) body[key] = null;
    else if (positiveInput(text) !== null) body[key] = text;
    else return { error: amountError(label), field: key };
  }
  return { body };
}

/** The body of POST /api/v1/order/{id}/margin. */
export function marginRequest(amount) {
  const text = (amount || "").trim();
  if (positiveInput(text) === null) {
    return { error: "Amount must be a positive USD amount with at most 8 decimals.", field: "amount" };
  }
  return { body: { amount: text } };
}

/** Expiry choices of a pending order: "" (good till cancelled) or a lifetime in ms. */
export const EXPIRIES = { "": null, "1h": 3_600_000, "1d": 86_400_000, "1w": 604_800_000 };

/**
 * A pending order's request (SPEC 12): the market body plus `type`, `price` and maybe
 * `expiresAt` (`now` + the chosen lifetime). A STOP already triggered by the quote would be
 * refused (422 WOULD_TRIGGER_IMMEDIATELY), so it is refused here first; a marketable LIMIT
 * is allowed (it fills at once at the quote, as the server does).
 */
export function pendingRequest({ asset, side, leverage, fields, type, price, expiry = "", now, quote = null }) {
  const base = openRequest({ asset, side, leverage, fields });
  if (base.error) return base;
  const text = (price || "").trim();
  const units = positiveInput(text);
  if (units === null) return { error: "Price must be a positive number with at most 8 decimals.", field: "price" };
  if (type === "STOP" && quote) {
    if (side === "LONG" && units <= quote.ask) return { error: "A buy stop must be above the ask.", field: "price" };
    if (side === "SHORT" && units >= quote.bid) return { error: "A sell stop must be below the bid.", field: "price" };
  }
  const body = { ...base.body, type, price: text };
  const life = EXPIRIES[expiry];
  if (life) body.expiresAt = now + life;
  return { body };
}

/** POST /api/v1/order/oco: two pending orders on one asset, one cancelling the other. */
export function ocoRequest(first, second) {
  for (const leg of [first, second]) {
    const request = pendingRequest(leg);
    if (request.error) return request;
  }
  if (first.asset !== second.asset) return { error: "Both orders of an OCO are on one asset.", field: "asset" };
  return { body: { orders: [pendingRequest(first).body, pendingRequest(second).body] } };
}

/**
 * The body of PATCH /api/v1/order/{id} for a pending order (SPEC 12) from the Edit dialog:
 * only what changed from `initial`. `price` cannot be removed; the stops as stopsRequest;
 * `expiry` is "keep" (unchanged), "" (good till cancelled: expiresAt null) or a lifetime of
 * EXPIRIES counted from `now`.
 */
export function pendingEditRequest(fields, initial, now) {
  const body = {};
  const price = (fields.price || "").trim();
  if (price !== (initial.price || "")) {
    if (positiveInput(price) === null) return { error: "Price must be a positive number with at most 8 decimals.", field: "price" };
    body.price = price;
  }
  const stops = stopsRequest(fields, initial);
  if (stops.error) return stops;
  Object.assign(body, stops.body);
  const expiry = fields.expiry ?? "keep";
  if (expiry !== "keep" && expiry in EXPIRIES) {
    const life = EXPIRIES[expiry];
    body.expiresAt = life ? now + life : null;
  }
  return { body };
}
