// Every money figure the browser estimates itself: the ticket's size, margin, liquidation
// price and fee before the order is sent, live PnL and account figures between the server's
// updates, the new liquidation price in the add-margin dialog.
//
// These are the engine's formulas (SPEC sections 1-4 and 12, velox/engine/formulas.py) in
// exact BigInt units of 10^-8, rounding against the trader exactly as the server does, so a
// figure the page shows before the server answers is the figure the server then books.
// tests/js/estimates.test.mjs checks them against tests/vectors/*.json.
// No DOM here: Node's test runner imports this module as it is.
import { SCALE, ceilDiv, floorDiv, toUnits } from "./format.js";

export const LONG = "LONG";
export const SHORT = "SHORT";
const CENT = SCALE / 100n;

/** The platform's quote around a reference price (SPEC 2): the bid rounds down, the ask up. */
export function quoteFromRef(ref, spread) {
  return {
    bid: floorDiv(ref * (2n * SCALE - spread), 2n * SCALE),
    ask: ceilDiv(ref * (2n * SCALE + spread), 2n * SCALE),
  };
}

/** LONG opens at the ask, SHORT at the bid. */
export function entryPrice(side, quote) {
  return side === LONG ? quote.ask : quote.bid;
}

/** LONG closes at the bid, SHORT at the ask: the price a position is marked at. */
export function exitPrice(side, quote) {
  return side === LONG ? quote.bid : quote.ask;
}

/** qty = margin * leverage / price, rounded down (0 means the margin is too small). */
export function qtyForMargin(margin, leverage, price) {
  return floorDiv(margin * BigInt(leverage) * SCALE, price);
}

/** margin = price * qty / leverage, rounded up. */
export function marginForQty(qty, leverage, price) {
  return ceilDiv(price * qty, SCALE * BigInt(leverage));
}

/**
 * LONG: price - margin * (1 - mmr) / qty, rounded up and never below 0;
 * SHORT: price + margin * (1 - mmr) / qty, rounded down. Null without a quantity.
 */
export function liquidationPrice(side, price, margin, qty, mmr) {
  if (qty <= 0n) return null;
  const cushion = floorDiv(margin * (SCALE - mmr), qty);
  if (side !== LONG) return price + cushion;
  return price > cushion ? price - cushion : 0n;
}

/** (exit - entry) * qty for LONG, (entry - exit) * qty for SHORT, floored (also losses). */
export function pnl(side, entry, exit, qty) {
  return floorDiv((side === LONG ? exit - entry : entry - exit) * qty, SCALE);
}

/** The PnL of an open position if it were closed at `quote` now. */
export function unrealizedPnl(side, entry, qty, quote) {
  return pnl(side, entry, exitPrice(side, quote), qty);
}

/** fee = ceil(price * qty * rate) in USD units (SPEC 12); `rate` is a fraction in units. */
export function fee(price, qty, rate) {
  return ceilDiv(price * qty * rate, SCALE * SCALE);
}

/** What the trader receives at a close: max(0, margin + pnl - closeFee). */
export function settlement(margin, profit, closeFee = 0n) {
  const value = margin + profit - closeFee;
  return value > 0n ? value : 0n;
}

/**
 * A closed position's result (units): what it did to the trader's cash after fees and
 * funding, as the history page shows it (velox/web/history.py `result_of`): pnl - fee +
 * funding whenever the close paid anything back. Settled at 0 (a gap through the
 * liquidation price), the loss is all that was put in: -(margin - funding) less the open
 * fee. The row's fee sums what was paid (SPEC 12): the open fee and the part of the close
 * fee that margin + pnl covered, min(closeFee, max(0, margin + pnl)) (none past the
 * margin), closeFee = ceil(closePrice * qty * takerRate), a close being a taker fill (a
 * part's row has no open fee). `order`: a closed order as the API gives it (decimal
 * strings); `takerRate`: the page's taker fee in units (0: the close fee counts as none
 * paid, a figure never better than the server's; so is a row an older Velox wrote with the
 * whole close fee).
 */
export function closedResult(order, takerRate = 0n) {
  const amount = (v) => (v === null || v === undefined || v === "" ? 0n : toUnits(v));
  const fees = amount(order.fee);
  const funding = amount(order.funding);
  const margin = amount(order.margin);
  const net = amount(order.pnl) - fees + funding;
  const closeFee = fee(amount(order.closePrice), amount(order.qty), takerRate);
  const left = margin + amount(order.pnl);
  const paid = left <= 0n ? 0n : left < closeFee ? left : closeFee;
  const openFees = order.parentOrderId ? 0n : fees > paid ? fees - paid : 0n;
  const allPutIn = -(margin - funding) - openFees;
  return net > allPutIn ? net : allPutIn;
}

/** price * qty in USD, rounded down (display only: nothing is booked on it). */
export function notional(price, qty) {
  return floorDiv(price * qty, SCALE);
}

/**
 * What the order ticket shows before sending: sized from `margin` or from `qty` (exactly one)
 * at `price` (the quote's side for a market order, the order's own price otherwise), with the
 * liquidation price and the open fee at `feeRate` (0 when the server charges none).
 */
export function ticketEstimate({ side, price, leverage, margin = null, qty = null, mmr, feeRate = 0n }) {
  const size = margin !== null ? qtyForMargin(margin, leverage, price) : qty;
  const collateral = margin !== null ? margin : marginForQty(qty, leverage, price);
  return {
    price,
    qty: size,
    margin: collateral,
    notional: notional(price, size),
    liquidationPrice: liquidationPrice(side, price, collateral, size, mmr),
    fee: fee(price, size, feeRate),
  };
}

/**
 * An order on a NETTING account that holds `held` (a position on the same asset: {side, qty,
 * margin, openPrice, leverage}, units) acts on it (SPEC 12; velox/engine/fills.py): the same
 * side scales in ("ADD": qty and margin add up, the entry is the quantity-weighted average
 * rounded against the trader, LONG up, SHORT down), and must have the position's leverage
 * ("LEVERAGE": refused); the other side reduces it ("REDUCE", margin part floor(M * q / Q)),
 * closes it ("CLOSE") or closes it and opens the rest the other way ("FLIP", margin for the
 * rest at the order's leverage). `order` is the ticket's estimate (its qty and margin at
 * `price`). The fee: the order's own rate (`feeRate`) on what it opens or adds, the taker
 * rate (`takerRate`) on what it closes, as the server charges them. Returns the effect, the
 * position after it (null after a close or a refusal) and the fee.
 */
export function nettedEstimate(held, { side, price, leverage, mmr, feeRate = 0n, takerRate = 0n }, order) {
  const q = order.qty;
  const Q = held.qty;
  if (side === held.side) {
    if (leverage !== held.leverage) return { effect: "LEVERAGE", position: null, fee: 0n };
    const total = Q * held.openPrice + q * price;
    const openPrice = side === LONG ? ceilDiv(total, Q + q) : floorDiv(total, Q + q);
    const margin = held.margin + order.margin;
    const liq = liquidationPrice(side, openPrice, margin, Q + q, mmr);
    return { effect: "ADD", position: { side, qty: Q + q, margin, openPrice, liquidationPrice: liq }, fee: fee(price, q, feeRate) };
  }
  const closing = fee(price, q < Q ? q : Q, takerRate);
  if (q < Q) {
    const margin = held.margin - floorDiv(held.margin * q, Q);
    const liq = liquidationPrice(held.side, held.openPrice, margin, Q - q, mmr);
    return { effect: "REDUCE", position: { side: held.side, qty: Q - q, margin, openPrice: held.openPrice, liquidationPrice: liq }, fee: closing };
  }
  if (q === Q) return { effect: "CLOSE", position: null, fee: closing };
  const rest = q - Q;
  const margin = marginForQty(rest, leverage, price);
  const liq = liquidationPrice(side, price, margin, rest, mmr);
  return { effect: "FLIP", position: { side, qty: rest, margin, openPrice: price, liquidationPrice: liq }, fee: closing + fee(price, rest, feeRate) };
}

/**
 * The account bar's figures (SPEC 3) from the free balance, each open position's margin
 * and PnL, and the margin pending orders reserve (still the trader's money, as the server
 * counts it): equity = balance + pending + sum(max(0, margin + pnl)); the margin level is
 * equity / usedMargin * 100 with 2 decimals rounded down, as a string ("523.45"), null with
 * nothing open.
 */
export function accountFigures(balance, positions, pendingMargin = 0n) {
  let usedMargin = 0n;
  let unrealized = 0n;
  let equity = balance + pendingMargin;
  for (const { margin, pnl: profit } of positions) {
    usedMargin += margin;
    unrealized += profit;
    equity += settlement(margin, profit);
  }
  let marginLevel = null;
  if (usedMargin > 0n) {
    const hundredths = floorDiv(equity * 10000n, usedMargin);
    marginLevel = `${hundredths / 100n}.${(hundredths % 100n).toString().padStart(2, "0")}`;
  }
  return { balance, usedMargin, unrealizedPnl: unrealized, equity, freeMargin: balance, marginLevel };
}

/** `percent` % of the free margin, rounded down to the cent (the ticket's 10 %...Max chips). */
export function marginShare(free, percent) {
  if (free <= 0n) return 0n;
  return floorDiv(free * BigInt(percent), 100n * CENT) * CENT;
}

/**
 * The largest margin, at most `wanted` and a whole cent, whose open fee fits in `free` with
 * it: the server refuses an open when margin + fee is over the free balance, so "Max"
 * leaves room for the fee (SPEC 12: fee = ceil(price * qty * rate)).
 */
export function affordableMargin(wanted, free, { price, leverage, feeRate = 0n }) {
  let margin = wanted;
  if (feeRate > 0n) {
    // margin * (1 + leverage * rate) <= free, then exactly, a cent at a time
    const bound = floorDiv(free * SCALE, SCALE + BigInt(leverage) * feeRate);
    if (bound < margin) margin = floorDiv(bound, CENT) * CENT;
    while (margin > 0n && margin + fee(price, qtyForMargin(margin, leverage, price), feeRate) > free) {
      margin -= CENT;
    }
  }
  return margin > 0n ? margin : 0n;
}
